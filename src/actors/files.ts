import type { AgentView, TaskEventView, TaskView } from '../core/index.js';

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
 * The project's file effects, called by the runtime after commit (the workspace implements
 * them: KANBAN.md, CHRONICLE.md, daily logs, memory files, the pulse prompt). Every method is
 * optional so the runtime runs before the workspace is wired in; what is missing is skipped.
 */
export interface ProjectFiles {
  projectCreated?(projectId: string, name: string): Promise<void>;
  projectDeleted?(projectId: string): Promise<void>;
  soulWritten?(soulId: string, soulMd: string): Promise<void>;
  instanceCreated?(projectId: string, soulId: string, soulMd: string): Promise<void>;
  instanceDestroyed?(projectId: string, soulId: string): Promise<void>;
  writeKanban?(projectId: string, tasks: TaskView[]): Promise<void>;
  appendChronicle?(projectId: string, entry: { summary: string; technical_debt?: string; author: string; at: number }): Promise<void>;
  appendDaily?(projectId: string, entry: { instance_id: string; pulse_id: string; outcome: string; at: number }): Promise<void>;
  distillMemory?(projectId: string, soulId: string, summary: string, archiveWorkingNotes: boolean): Promise<void>;
  buildPulsePrompt?(state: PulsePromptState): Promise<string> | string;
  parseMentions?(text: string): string[];
}

const MENTION_RE = /(?:^|[^A-Za-z0-9_])@([a-z0-9][a-z0-9-]{0,39})/g;

/** `@soul` mentions in a message (used when the workspace provides no parser). */
export function defaultMentions(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(MENTION_RE)) if (m[1] && m[1] !== 'all') found.add(m[1]);
  return [...found];
}

/** The System Pulse Template (SPEC §4), for when the workspace provides no prompt builder. */
export function minimalPulsePrompt(s: PulsePromptState): string {
  const notes = [
    ...s.recent_task_events.map((e) => `${e.kind}: ${e.thought} → ${e.action}`),
    ...s.notifications.map((n) => `${n.kind}: ${n.body}`),
  ];
  return [
    '[SYSTEM STATUS UPDATE]',
    `- Current Project: ${s.project_id}`,
    `- Current Path: projects/${s.project_id}/`,
    `- Active Task: ${s.task ? `${s.task.title} (ID: ${s.task.id})` : 'none'}`,
    '- Last Learned Context: (see agents/' + s.instance.soul_id + '/learned.md)',
    `- Internal Team Notes: ${notes.length ? notes.join(' | ') : 'none'}`,
    "INSTRUCTION: Update your status via 'log_event' before taking any tool actions.",
    `pulse_id: ${s.pulse_id}`,
  ].join('\n');
}
