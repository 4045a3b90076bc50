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
  writeKanban(projectId: string, tasks: TaskView[]): Promise<void>;
  appendChronicle(projectId: string, entry: { summary: string; technical_debt?: string; author: string; at: number }): Promise<void>;
  /** One pulse's result in `daily/YYYY-MM-DD.md`: outcome, error, and what the agent printed (bounded by the workspace). */
  appendDaily(projectId: string, entry: { instance_id: string; pulse_id: string; outcome: string; at: number; error?: string | null; output?: string }): Promise<void>;
  distillMemory(projectId: string, soulId: string, summary: string, archiveWorkingNotes: boolean): Promise<void>;
  buildPulsePrompt(state: PulsePromptState): Promise<string>;
}
