import { createHash } from 'node:crypto';
import path from 'node:path';
import { assertSlug } from '../core/index.js';

/**
 * Where things live under the data dir (SPEC §6). Every id is checked as a slug before it
 * becomes a path segment, so ids can never climb out of their folder.
 */
export const KANBAN_FILE = 'KANBAN.md';
export const CHRONICLE_FILE = 'CHRONICLE.md';
export const CONTEXT_FILE = '.context';
export const DAILY_DIR = 'daily';
export const AGENTS_DIR = 'agents';
export const ARCHIVED_AGENTS_DIR = '.archived';
export const SRC_DIR = 'src';
/** Not a slug, so it can never collide with a project id. */
export const DELETED_PROJECTS_DIR = '.deleted';
export const SOUL_FILE = 'SOUL.md';
export const WORKING_FILE = 'working.md';
export const LEARNED_FILE = 'learned.md';

export function projectsRoot(dataDir: string): string {
  return path.join(dataDir, 'projects');
}

export function projectDir(dataDir: string, projectId: string): string {
  return path.join(projectsRoot(dataDir), assertSlug(projectId, 'project_id'));
}

export function soulDir(dataDir: string, soulId: string): string {
  return path.join(dataDir, 'souls', assertSlug(soulId, 'soul_id'));
}

export function agentDir(dataDir: string, projectId: string, soulId: string): string {
  return path.join(projectDir(dataDir, projectId), AGENTS_DIR, assertSlug(soulId, 'soul_id'));
}

/** `daily/YYYY-MM-DD.md` for the UTC date of `at`. */
export function dailyFileName(at: number): string {
  return `${new Date(at).toISOString().slice(0, 10)}.md`;
}

/** A timestamp fit for a file name: `20260122T101500123Z`. */
export function fileStamp(at: number): string {
  return new Date(at).toISOString().replace(/[-:.]/g, '');
}

/** The version of a file's content that `expected_version` compares against: short sha256 hex. */
export function contentVersion(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}
