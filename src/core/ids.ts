import { MissionError } from './errors.js';

/** Project and soul ids (SPEC §2). */
export const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** What may become one NATS subject token (DESIGN "Bus and subjects"). */
export const SUBJECT_TOKEN_RE = /^[A-Za-z0-9_-]+$/;
const TASK_ID_RE = /^([a-z0-9][a-z0-9-]{0,39})-([1-9][0-9]{0,9})$/;

export function isSlug(value: string): boolean {
  return SLUG_RE.test(value);
}

export function assertSlug(value: string, what: string): string {
  if (!isSlug(value)) {
    throw new MissionError('INVALID_INPUT', `${what} must match ${SLUG_RE.source}`, { [what]: value });
  }
  return value;
}

/** Lower-cases a display name into a project slug ("Vanguard Ops" → "vanguard-ops"). */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return slug;
}

export function taskId(projectId: string, n: number): string {
  return `${projectId}-${n}`;
}

/** Splits `<project_id>-<n>`; the project is everything before the last dash. */
export function parseTaskId(id: string): { projectId: string; n: number } {
  const m = TASK_ID_RE.exec(id);
  if (!m) throw new MissionError('INVALID_INPUT', 'task_id must look like <project_id>-<n>', { task_id: id });
  return { projectId: m[1]!, n: Number(m[2]) };
}

export function instanceId(soulId: string, projectId: string): string {
  return `${soulId}:${projectId}`;
}

export function parseInstanceId(id: string): { soulId: string; projectId: string } {
  const parts = id.split(':');
  if (parts.length !== 2 || !isSlug(parts[0]!) || !isSlug(parts[1]!)) {
    throw new MissionError('INVALID_INPUT', 'instance_id must look like <soul_id>:<project_id>', { instance_id: id });
  }
  return { soulId: parts[0]!, projectId: parts[1]! };
}

export function assertSubjectToken(value: string, what: string): string {
  if (!SUBJECT_TOKEN_RE.test(value)) {
    throw new MissionError('INVALID_INPUT', `${what} may only contain letters, digits, '_' and '-'`, { [what]: value });
  }
  return value;
}
