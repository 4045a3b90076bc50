import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CatchUpPlan, LearnedRecord } from '../core/index.js';
import { atomicWrite, syncDirectory } from './atomic-write.js';
import { appendBlock } from './chronicle.js';
import { ARCHIVED_AGENTS_DIR, LEARNED_FILE, SOUL_FILE, WORKING_FILE, agentDir, fileStamp, soulDir } from './layout.js';
import type { FileMutex } from './mutex.js';
import { catchUp, entryBody } from './seq-mark.js';

/**
 * The memory stack of SPEC §6 for one agent: L1 base identity (`souls/<soul>/SOUL.md`) plus its
 * per-project overlay, L2 project rules (`.context`), L3 scratchpad (`working.md`) and L4 what
 * it learned (`learned.md`). Writers hold the file mutex; every write is atomic.
 */
export interface AgentMemory {
  /** L1: the soul's base SOUL.md followed by the project overlay (when it says anything). */
  soul_md: string;
  /** L2: the project's `.context`. */
  context: string;
  /** L3: `working.md`. */
  working: string;
  /** L4: `learned.md`. */
  learned: string;
}

export interface DistillResult {
  learned_path: string;
  archived_path: string | null;
}

export const WORKING_TEMPLATE = '# Working notes\n\nScratchpad for the current task. Cleared by distill_memory.\n';
export const LEARNED_TEMPLATE = '# Learned\n\nWhat this agent learned in this project, newest last.\n';

export function overlayTemplate(soulId: string, projectId: string): string {
  return `# ${soulId} in ${projectId}\n\nProject-specific additions to ${soulId}'s SOUL.md.\n`;
}

export async function readTextOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Writes `content` to `file` only when it does not exist yet (initialisation is idempotent). */
export async function writeIfMissing(mutex: FileMutex, file: string, content: string): Promise<boolean> {
  return mutex.withLock(file, async () => {
    if (await exists(file)) return false;
    await atomicWrite(file, content);
    return true;
  });
}

export async function writeSoulFile(dataDir: string, mutex: FileMutex, soulId: string, md: string): Promise<string> {
  const file = path.join(soulDir(dataDir, soulId), SOUL_FILE);
  await mkdir(path.dirname(file), { recursive: true });
  await mutex.withLock(file, () => atomicWrite(file, md));
  return file;
}

export async function initAgentFiles(dataDir: string, mutex: FileMutex, projectId: string, soulId: string, overlay?: string): Promise<string> {
  const dir = agentDir(dataDir, projectId, soulId);
  await mkdir(dir, { recursive: true });
  const overlayFile = path.join(dir, SOUL_FILE);
  if (overlay !== undefined) await mutex.withLock(overlayFile, () => atomicWrite(overlayFile, overlay));
  else await writeIfMissing(mutex, overlayFile, overlayTemplate(soulId, projectId));
  await writeIfMissing(mutex, path.join(dir, WORKING_FILE), WORKING_TEMPLATE);
  await writeIfMissing(mutex, path.join(dir, LEARNED_FILE), LEARNED_TEMPLATE);
  return dir;
}

/** A learned.md entry: `## <ISO time>`, a blank line, the summary. */
export function renderLearnedEntry(at: number, summary: string): string {
  return `## ${new Date(at).toISOString()}\n\n${summary.replace(/\r\n?/g, '\n').trim()}\n`;
}

export function appendLearned(doc: string, at: number, summary: string): string {
  return appendBlock(doc, renderLearnedEntry(at, summary));
}

/**
 * learned.md after the distilled summaries it lacks (src/workspace/seq-mark.ts); null when it
 * holds them all. An entry written before seq marks is recognised by its summary alone: its
 * heading carries the workspace's clock, not the event's time.
 */
export function catchUpLearned(doc: string, plan: CatchUpPlan<LearnedRecord>): string | null {
  const render = (r: LearnedRecord): string => renderLearnedEntry(r.at, r.summary);
  return catchUp(doc, plan, render, (last, r) => entryBody(last) === entryBody(render(r)));
}

/** learned.md catches up with the event log; false (nothing written) when the agent's folder is gone. */
export async function syncLearnedFile(dataDir: string, mutex: FileMutex, projectId: string, soulId: string, plan: CatchUpPlan<LearnedRecord>): Promise<boolean> {
  const dir = agentDir(dataDir, projectId, soulId);
  if (!(await exists(dir))) return false;
  const learnedFile = path.join(dir, LEARNED_FILE);
  return mutex.withLock(learnedFile, async () => {
    const next = catchUpLearned((await readTextOrEmpty(learnedFile)) || LEARNED_TEMPLATE, plan);
    if (next !== null) await atomicWrite(learnedFile, next);
    return true;
  });
}

/**
 * distill_memory: learned.md gets the new summary (`learned` updates the document; null leaves
 * it), then working.md is archived to `archive/working-<ts>.md` (when asked and when it holds
 * more than the template) and reset. Both files are locked together, in the mutex's fixed order.
 */
export async function distill(
  dataDir: string,
  mutex: FileMutex,
  projectId: string,
  soulId: string,
  opts: { learned: (doc: string) => string | null; archiveWorkingNotes: boolean; at: number },
): Promise<DistillResult> {
  const dir = agentDir(dataDir, projectId, soulId);
  await mkdir(dir, { recursive: true });
  const learnedFile = path.join(dir, LEARNED_FILE);
  const workingFile = path.join(dir, WORKING_FILE);
  return mutex.withLocks([learnedFile, workingFile], async () => {
    const learned = opts.learned((await readTextOrEmpty(learnedFile)) || LEARNED_TEMPLATE);
    if (learned !== null) await atomicWrite(learnedFile, learned);
    const working = await readTextOrEmpty(workingFile);
    let archived: string | null = null;
    if (opts.archiveWorkingNotes && working.trim() !== '' && working !== WORKING_TEMPLATE) {
      const archiveDir = path.join(dir, 'archive');
      await mkdir(archiveDir, { recursive: true });
      const name = `working-${fileStamp(opts.at)}.md`;
      await atomicWrite(path.join(archiveDir, name), working);
      archived = `agents/${soulId}/archive/${name}`;
    }
    await atomicWrite(workingFile, WORKING_TEMPLATE);
    return { learned_path: `agents/${soulId}/${LEARNED_FILE}`, archived_path: archived };
  });
}

/** On destroy: moves `agents/<soul>/` to `agents/.archived/<soul>-<ts>/`; null when absent. */
export async function archiveAgentFiles(dataDir: string, projectId: string, soulId: string, at: number): Promise<string | null> {
  const dir = agentDir(dataDir, projectId, soulId);
  if (!(await exists(dir))) return null;
  const archiveRoot = path.join(path.dirname(dir), ARCHIVED_AGENTS_DIR);
  await mkdir(archiveRoot, { recursive: true });
  let name = `${soulId}-${fileStamp(at)}`;
  for (let i = 2; await exists(path.join(archiveRoot, name)); i++) name = `${soulId}-${fileStamp(at)}-${i}`;
  await rename(dir, path.join(archiveRoot, name));
  await syncDirectory(path.dirname(dir));
  return `agents/${ARCHIVED_AGENTS_DIR}/${name}`;
}

export async function readAgentMemory(dataDir: string, projectId: string, soulId: string, contextFile: string): Promise<AgentMemory> {
  const dir = agentDir(dataDir, projectId, soulId);
  const base = await readTextOrEmpty(path.join(soulDir(dataDir, soulId), SOUL_FILE));
  const overlay = await readTextOrEmpty(path.join(dir, SOUL_FILE));
  const overlayCounts = overlay.trim() !== '' && overlay !== overlayTemplate(soulId, projectId);
  return {
    soul_md: overlayCounts ? `${base.replace(/\n*$/, '')}\n\n${overlay}` : base,
    context: await readTextOrEmpty(contextFile),
    working: await readTextOrEmpty(path.join(dir, WORKING_FILE)),
    learned: await readTextOrEmpty(path.join(dir, LEARNED_FILE)),
  };
}
