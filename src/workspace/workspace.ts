import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { MissionError, assertSlug, systemClock, type CatchUpPlan, type ChronicleRecord, type Clock, type LearnedRecord } from '../core/index.js';
import type { FileActor } from './access.js';
import { atomicWrite, durableAppend, sweepTemporaries, syncDirectory } from './atomic-write.js';
import { appendBlock, chronicleHeader, dailyHeader, renderChronicleEntry, renderDailyEntry, sameChronicleEntry, type ChronicleEntry, type DailyEntry } from './chronicle.js';
import { assertDocName, listProjectDocs, type DocInfo } from './docs.js';
import { DEFAULT_JAIL_LIMITS, type JailLimits } from './jail.js';
import { renderKanban, type KanbanCard } from './kanban.js';
import {
  AGENTS_DIR,
  CHRONICLE_FILE,
  CONTEXT_FILE,
  DAILY_DIR,
  KANBAN_FILE,
  SRC_DIR,
  DELETED_PROJECTS_DIR,
  contentVersion,
  dailyFileName,
  fileStamp,
  projectDir,
} from './layout.js';
import {
  appendLearned,
  archiveAgentFiles,
  catchUpLearned,
  distill,
  initAgentFiles,
  readAgentMemory,
  readTextOrEmpty,
  syncLearnedFile,
  writeIfMissing,
  writeSoulFile,
  type AgentMemory,
  type DistillResult,
} from './memory.js';
import { FileMutex } from './mutex.js';
import { catchUp } from './seq-mark.js';
import { ScopedFileSystem, type FileEntry, type FileRead, type FileWritten } from './scoped-fs.js';

export interface WorkspaceOptions {
  dataDir: string;
  /** One lock attempt's wait (SPEC §7 default 30 s). */
  lockTimeoutMs?: number;
  /** Lock attempts after the first (default 3). */
  lockRetries?: number;
  /** Largest file `mission.fs.*` reads or writes (default 1 MiB). */
  maxFileBytes?: number;
  jailLimits?: JailLimits;
  clock?: Clock;
}

type ProjectRef = string | { id: string; name: string };

interface KanbanQueue {
  latest: { project: { id: string; name: string }; tasks: readonly KanbanCard[] } | null;
  waiters: { resolve: (v: { version: string }) => void; reject: (e: unknown) => void }[];
}

/**
 * The project workspace on disk (SPEC §6–§7): the jailed file system agents use, the server's
 * single-writer documents (KANBAN.md, CHRONICLE.md, daily logs) and the memory stack.
 */
export class Workspace {
  readonly dataDir: string;
  readonly mutex: FileMutex;
  readonly maxFileBytes: number;
  private readonly jailLimits: JailLimits;
  private readonly clock: Clock;
  private readonly kanbanQueues = new Map<string, KanbanQueue>();

  constructor(opts: WorkspaceOptions) {
    this.dataDir = path.resolve(opts.dataDir);
    this.mutex = new FileMutex({ timeoutMs: opts.lockTimeoutMs ?? 30_000, retries: opts.lockRetries ?? 3 });
    this.maxFileBytes = opts.maxFileBytes ?? 1024 * 1024;
    this.jailLimits = opts.jailLimits ?? DEFAULT_JAIL_LIMITS;
    this.clock = opts.clock ?? systemClock;
  }

  /** Absolute path of a project's scope, `<data_dir>/projects/<id>/`. */
  projectDir(projectId: string): string {
    return projectDir(this.dataDir, projectId);
  }

  private scoped(projectId: string): ScopedFileSystem {
    return new ScopedFileSystem(this.projectDir(projectId), this.mutex, this.maxFileBytes, this.jailLimits);
  }

  private file(projectId: string, name: string): string {
    return path.join(this.projectDir(projectId), name);
  }

  // ── mission.fs.* ────────────────────────────────────────────────────────────────────────

  fsRead(projectId: string, filePath: unknown, opts: { as: FileActor }): Promise<FileRead> {
    return this.scoped(projectId).read(filePath, opts.as);
  }

  fsWrite(projectId: string, filePath: unknown, opts: { as: FileActor; content: string; expected_version?: string | null }): Promise<FileWritten> {
    const writeOpts = opts.expected_version === undefined ? {} : { expected_version: opts.expected_version };
    return this.scoped(projectId).write(filePath, opts.content, opts.as, writeOpts);
  }

  fsList(projectId: string, filePath: unknown, opts: { as: FileActor }): Promise<{ path: string; entries: FileEntry[] }> {
    return this.scoped(projectId).list(filePath ?? '', opts.as);
  }

  fsDelete(projectId: string, filePath: unknown, opts: { as: FileActor; expected_version?: string | null }): Promise<{ path: string; deleted: 'file' | 'dir' }> {
    const writeOpts = opts.expected_version === undefined ? {} : { expected_version: opts.expected_version };
    return this.scoped(projectId).delete(filePath, opts.as, writeOpts);
  }

  // ── project and agent folders ───────────────────────────────────────────────────────────

  /** Creates the folder tree of SPEC §6 (idempotent); `context` replaces `.context` when given. */
  async initProject(projectId: string, opts: { name: string; context?: string }): Promise<string> {
    const dir = this.projectDir(projectId);
    for (const sub of [DAILY_DIR, AGENTS_DIR, SRC_DIR]) await mkdir(path.join(dir, sub), { recursive: true });
    const contextFile = this.file(projectId, CONTEXT_FILE);
    if (opts.context !== undefined) await this.mutex.withLock(contextFile, () => atomicWrite(contextFile, opts.context!));
    else await writeIfMissing(this.mutex, contextFile, `# ${opts.name}\n\nProject rules for every agent (L2). Edit through the board.\n`);
    await writeIfMissing(this.mutex, this.file(projectId, CHRONICLE_FILE), chronicleHeader(opts.name));
    await writeIfMissing(this.mutex, this.file(projectId, KANBAN_FILE), renderKanban({ id: projectId, name: opts.name }, []));
    await sweepTemporaries(dir, 60_000, Date.now());
    return dir;
  }

  writeSoul(soulId: string, md: string): Promise<string> {
    return writeSoulFile(this.dataDir, this.mutex, soulId, md);
  }

  async initAgent(projectId: string, soulId: string, opts: { overlay?: string } = {}): Promise<string> {
    await this.requireProject(projectId);
    return initAgentFiles(this.dataDir, this.mutex, projectId, soulId, opts.overlay);
  }

  async distillMemory(projectId: string, soulId: string, opts: { summary: string; archiveWorkingNotes?: boolean }): Promise<DistillResult> {
    if (opts.summary.trim() === '') throw new MissionError('INVALID_INPUT', 'summary must not be empty');
    await this.requireProject(projectId);
    const at = this.clock.now();
    return distill(this.dataDir, this.mutex, projectId, soulId, {
      learned: (doc) => appendLearned(doc, at, opts.summary),
      archiveWorkingNotes: opts.archiveWorkingNotes ?? true,
      at,
    });
  }

  /**
   * distill_memory after its `memory.distilled` event is committed: learned.md gets every
   * distilled summary it lacks (`plan` reads them from the event log), then working.md is
   * archived (when asked) and reset, at the event's time.
   */
  async distillCommitted(projectId: string, soulId: string, plan: CatchUpPlan<LearnedRecord>, opts: { archiveWorkingNotes: boolean; at: number }): Promise<DistillResult> {
    await this.requireProject(projectId);
    return distill(this.dataDir, this.mutex, projectId, soulId, { learned: (doc) => catchUpLearned(doc, plan), ...opts });
  }

  /** learned.md catches up with the event log, nothing else; false when the agent has no folder (destroyed). */
  async syncLearned(projectId: string, soulId: string, plan: CatchUpPlan<LearnedRecord>): Promise<boolean> {
    await this.requireProject(projectId);
    return syncLearnedFile(this.dataDir, this.mutex, projectId, soulId, plan);
  }

  archiveAgent(projectId: string, soulId: string): Promise<string | null> {
    return archiveAgentFiles(this.dataDir, projectId, soulId, this.clock.now());
  }

  /**
   * On project delete: moves the whole scope to `projects/.deleted/<id>-<ts>/` (ids are never
   * reused, and an operator can still recover the files). Null when there is no folder.
   */
  async archiveProjectFiles(projectId: string): Promise<string | null> {
    const dir = this.projectDir(projectId);
    try {
      await stat(dir);
    } catch {
      return null;
    }
    const deletedRoot = path.join(path.dirname(dir), DELETED_PROJECTS_DIR);
    await mkdir(deletedRoot, { recursive: true });
    const name = `${projectId}-${fileStamp(this.clock.now())}`;
    await rename(dir, path.join(deletedRoot, name));
    await syncDirectory(path.dirname(dir));
    return `projects/${DELETED_PROJECTS_DIR}/${name}`;
  }

  /** L1–L4 of one agent in one project, for the pulse prompt. Missing files read as ''. */
  readMemory(projectId: string, soulId: string): Promise<AgentMemory> {
    return readAgentMemory(this.dataDir, projectId, soulId, this.file(projectId, CONTEXT_FILE));
  }

  // ── single-writer documents ─────────────────────────────────────────────────────────────

  /**
   * Re-renders KANBAN.md from `tasks` (read from the DB by the caller). Calls made while a
   * write is in flight coalesce: only the newest board is written next, and every caller
   * resolves once a board at least as new as its own is on disk.
   */
  writeKanban(project: ProjectRef, tasks: readonly KanbanCard[]): Promise<{ version: string }> {
    const ref = typeof project === 'string' ? { id: project, name: project } : project;
    assertSlug(ref.id, 'project_id');
    let queue = this.kanbanQueues.get(ref.id);
    const promise = new Promise<{ version: string }>((resolve, reject) => {
      if (!queue) {
        queue = { latest: null, waiters: [] };
        this.kanbanQueues.set(ref.id, queue);
        queueMicrotask(() => void this.drainKanban(ref.id, queue!));
      }
      queue.latest = { project: ref, tasks };
      queue.waiters.push({ resolve, reject });
    });
    return promise;
  }

  private async drainKanban(projectId: string, queue: KanbanQueue): Promise<void> {
    while (queue.latest) {
      const job = queue.latest;
      const waiters = queue.waiters;
      queue.latest = null;
      queue.waiters = [];
      try {
        const content = renderKanban(job.project, job.tasks);
        const file = this.file(projectId, KANBAN_FILE);
        // A late board change must not resurrect the folder of a deleted project.
        await this.requireProject(projectId);
        await this.mutex.withLock(file, () => atomicWrite(file, content));
        const version = contentVersion(content);
        for (const w of waiters) w.resolve({ version });
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.kanbanQueues.delete(projectId);
  }

  /** Appends one entry to CHRONICLE.md: lock → read → append → atomic rewrite → unlock. */
  async appendChronicle(projectId: string, entry: ChronicleEntry): Promise<{ version: string }> {
    if (entry.summary.trim() === '') throw new MissionError('INVALID_INPUT', 'summary must not be empty');
    const block = renderChronicleEntry(entry);
    return this.rewriteDocument(projectId, CHRONICLE_FILE, chronicleHeader(projectId), (doc) => appendBlock(doc, block));
  }

  /**
   * CHRONICLE.md catches up with the event log (SPEC §7): lock → read its seq mark → append the
   * `chronicle.updated` entries after it (`plan` reads them from the DB) → atomic rewrite →
   * unlock. Nothing is written when it already holds them all.
   */
  async syncChronicle(projectId: string, plan: CatchUpPlan<ChronicleRecord>): Promise<{ version: string }> {
    return this.rewriteDocument(projectId, CHRONICLE_FILE, chronicleHeader(projectId), (doc) => catchUp(doc, plan, renderChronicleEntry, sameChronicleEntry));
  }

  /**
   * Appends one entry to `daily/YYYY-MM-DD.md` (the UTC date of `at`). A day's log grows with
   * every pulse (with its output), so it is appended to, not rewritten: a rewrite per pulse cost
   * O(file) time and memory and showed as RSS growth in the soak. A new day's file is created
   * atomically with its header.
   */
  async appendDaily(projectId: string, at: number, entry: DailyEntry): Promise<{ name: string }> {
    const name = `${DAILY_DIR}/${dailyFileName(at)}`;
    const block = renderDailyEntry(at, entry).replace(/\n*$/, '\n');
    await this.requireProject(projectId);
    const file = this.file(projectId, name);
    await mkdir(path.dirname(file), { recursive: true });
    await this.mutex.withLock(file, async () => {
      const size = await stat(file).then((s) => s.size, () => 0);
      if (size === 0) return atomicWrite(file, appendBlock(dailyHeader(at), block));
      const limit = this.maxFileBytes * 64;
      if (size + Buffer.byteLength(block, 'utf8') + 1 > limit) throw new MissionError('LIMIT_EXCEEDED', `${name} would exceed ${limit} bytes`, { name });
      // Every entry ends with one newline; appendBlock's blank line between entries.
      await durableAppend(file, `\n${block}`);
    });
    return { name };
  }

  /** A server document's update under its lock; `update` returns null to leave the file as it is. */
  private async rewriteDocument(projectId: string, name: string, header: string, update: (doc: string) => string | null): Promise<{ version: string }> {
    await this.requireProject(projectId);
    const file = this.file(projectId, name);
    await mkdir(path.dirname(file), { recursive: true });
    return this.mutex.withLock(file, async () => {
      const current = (await readTextOrEmpty(file)) || header;
      const next = update(current);
      if (next === null) return { version: contentVersion(current) };
      const bytes = Buffer.byteLength(next, 'utf8');
      // Server documents get 64× the agents' file limit before they must be rotated by hand.
      if (bytes > this.maxFileBytes * 64) throw new MissionError('LIMIT_EXCEEDED', `${name} would exceed ${this.maxFileBytes * 64} bytes`, { name });
      await atomicWrite(file, next);
      return { version: contentVersion(next) };
    });
  }

  // ── mission.doc.* ───────────────────────────────────────────────────────────────────────

  async listDocs(projectId: string): Promise<DocInfo[]> {
    await this.requireProject(projectId);
    return listProjectDocs(this.projectDir(projectId));
  }

  async readDoc(projectId: string, name: unknown): Promise<FileRead> {
    const doc = assertDocName(name);
    // Server documents may outgrow the agents' file limit (see rewriteDocument).
    const docs = new ScopedFileSystem(this.projectDir(projectId), this.mutex, this.maxFileBytes * 64, this.jailLimits);
    return docs.read(doc, { kind: 'human' });
  }

  private async requireProject(projectId: string): Promise<void> {
    const dir = this.projectDir(projectId);
    try {
      await stat(dir);
    } catch {
      throw new MissionError('NOT_FOUND', `Project ${projectId} has no folder; initialise it first`, { project_id: projectId });
    }
  }
}
