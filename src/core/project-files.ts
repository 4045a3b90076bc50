import type { AgentView, TaskEventView, TaskView } from './views.js';

/** What a pulse prompt is built from (SPEC §4 System Pulse Template). */
export interface PulsePromptState {
  pulse_id: string;
  project_id: string;
  instance: AgentView;
  task: TaskView | null;
  recent_task_events: TaskEventView[];
  notifications: { id: number; kind: string; body: string; task_id: string | null }[];
}

/** A CHRONICLE.md entry, rendered from its `chronicle.updated` event. */
export interface ChronicleRecord {
  seq: number;
  at: number;
  /** The instance that wrote it. */
  author: string;
  summary: string;
  technical_debt?: string | null;
}

/** A learned.md entry, rendered from its `memory.distilled` event. */
export interface LearnedRecord {
  seq: number;
  at: number;
  summary: string;
}

/**
 * How far a server-written document (CHRONICLE.md, learned.md) holds its events, read under the
 * document's lock: the seq mark it carries, or for a document written before marks, its last entry.
 */
export interface DocumentProgress<E> {
  /** Seq of the newest event the document holds; null when it carries no mark. */
  through: number | null;
  /** Whether it has any entry (a document without a mark and without entries holds nothing). */
  hasEntries: boolean;
  /** Whether its last entry is the one `record` renders to (how a document without a mark is placed in the log). */
  endsWith(record: E): boolean;
}

/** What the runtime answers from the event log: the entries the document lacks, in seq order, and the seq it then holds. */
export interface DocumentCatchUp<E> {
  through: number;
  records: E[];
}

/** Called under the document's lock, so no other writer moves it between the read and the write. */
export type CatchUpPlan<E> = (progress: DocumentProgress<E>) => DocumentCatchUp<E>;

/**
 * The project's file effects, called by the runtime after commit and implemented by the
 * workspace (`createProjectFiles(workspace)` in src/workspace): KANBAN.md, CHRONICLE.md, daily
 * logs, SOUL.md and memory files, archives, the pulse prompt. One source of truth for each: the
 * runtime has no fallback of its own. Here in core so neither folder depends on the other.
 */
export interface ProjectFiles {
  projectCreated(projectId: string, name: string): Promise<void>;
  /** Archives the project folder. */
  projectDeleted(projectId: string): Promise<void>;
  /** `souls/<soul>/SOUL.md` after a soul is created or gets a new version. */
  soulWritten(soulId: string, soulMd: string): Promise<void>;
  instanceCreated(projectId: string, soulId: string, soulMd: string): Promise<void>;
  /** Archives `agents/<soul>/` of the project. */
  instanceDestroyed(projectId: string, soulId: string): Promise<void>;
  /**
   * Rewrites KANBAN.md from `board()`, the committed board read when the file is written: a
   * port that keeps no files reads nothing.
   */
  writeKanban(projectId: string, board: () => TaskView[]): Promise<void>;
  /** Appends to CHRONICLE.md every `chronicle.updated` event it lacks (`plan` reads them from the log). */
  syncChronicle(projectId: string, plan: CatchUpPlan<ChronicleRecord>): Promise<void>;
  /** One pulse's result in `daily/YYYY-MM-DD.md`: outcome, error, and what the agent printed (bounded by the workspace). */
  appendDaily(projectId: string, entry: { instance_id: string; pulse_id: string; outcome: string; at: number; error?: string | null; output?: string }): Promise<void>;
  /** distill_memory's effect: learned.md catches up with `plan`, then working.md is archived (when asked) and reset. */
  distillMemory(projectId: string, soulId: string, plan: CatchUpPlan<LearnedRecord>, opts: { archiveWorkingNotes: boolean; at: number }): Promise<void>;
  /** learned.md catches up with `plan`; nothing else (start-up reconciliation). No-op when the agent has no folder. */
  syncLearned(projectId: string, soulId: string, plan: CatchUpPlan<LearnedRecord>): Promise<void>;
  buildPulsePrompt(state: PulsePromptState): Promise<string>;
}
