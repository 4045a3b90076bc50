import type { AgentView, TaskEventView, TaskView } from '../core/index.js';
import { NotificationsRepo, SoulsRepo, TaskEventsRepo, TasksRepo, type NotificationRow, type SqliteDatabase } from '../store/index.js';
import { loadLeadBrief } from './lead-brief.js';
import { LEARNED_TEMPLATE } from './memory.js';
import type { PulseNote, PulseState } from './pulse-prompt.js';
import { withoutSeqMark } from './seq-mark.js';
import type { Workspace } from './workspace.js';

/**
 * Gathers the System Pulse Template's fields from live state: the DB (current task, its
 * latest thought-stream entries, pending notifications) and the workspace (memory files).
 */
export const TEAM_NOTE_KINDS: ReadonlySet<string> = new Set(['message', 'mention', 'comment']);
const LEARNED_EXCERPT_BYTES = 4096;

export interface LoadedPulseState {
  state: PulseState;
  /** Ids of the notifications carried by this prompt: mark them delivered once it went out. */
  notification_ids: number[];
}

/** The part of learned.md worth repeating: without its template header, newest last. */
export function learnedExcerpt(learned: string, maxBytes = LEARNED_EXCERPT_BYTES): string {
  const body = learned.startsWith(LEARNED_TEMPLATE) ? learned.slice(LEARNED_TEMPLATE.length) : learned;
  const trimmed = withoutSeqMark(body).trim();
  const buf = Buffer.from(trimmed, 'utf8');
  if (buf.length <= maxBytes) return trimmed;
  // Start at an entry heading inside the tail when there is one, so the excerpt reads whole.
  const tail = buf.subarray(buf.length - maxBytes).toString('utf8').replace(/^\uFFFD+/, '');
  const heading = tail.indexOf('\n## ');
  return heading >= 0 ? tail.slice(heading + 1) : tail;
}

function toNote(n: NotificationRow): PulseNote {
  return { kind: n.kind, body: n.body, task_id: n.task_id };
}

/** Splits pending notifications: messages, mentions and comments are team notes; the rest are notifications. */
export function splitNotifications(rows: readonly { kind: string; body: string; task_id: string | null }[]): { messages: PulseNote[]; notifications: PulseNote[] } {
  const messages: PulseNote[] = [];
  const notifications: PulseNote[] = [];
  for (const r of rows) (TEAM_NOTE_KINDS.has(r.kind) ? messages : notifications).push({ kind: r.kind, body: r.body, task_id: r.task_id });
  return { messages, notifications };
}

export function taskEventNotes(events: readonly TaskEventView[]): PulseState['team_notes']['task_events'] {
  // The repo answers newest first; the prompt reads oldest first, like a conversation.
  return [...events].reverse().map((e) => ({ task_id: e.task_id, instance_id: e.instance_id, kind: e.kind, thought: e.thought, action: e.action }));
}

/**
 * Everything the pulse prompt of `instance` needs. Signature for the runtime:
 * `loadPulseState(db, workspace, instance, { pulse_id })` → `{ state, notification_ids }`;
 * then `buildPulsePrompt(state)`.
 */
export async function loadPulseState(
  db: SqliteDatabase,
  workspace: Workspace,
  instance: Pick<AgentView, 'id' | 'soul_id' | 'project_id' | 'current_task_id'>,
  opts: { pulse_id: string; maxNotifications?: number },
): Promise<LoadedPulseState> {
  const task: TaskView | undefined = instance.current_task_id ? new TasksRepo(db).get(instance.current_task_id) : undefined;
  const events = task ? new TaskEventsRepo(db).latest(task.id, 5) : [];
  const pending = new NotificationsRepo(db).pending(instance.id, opts.maxNotifications ?? 50);
  const memory = await workspace.readMemory(instance.project_id, instance.soul_id);
  const { messages, notifications } = splitNotifications(pending.map(toNote));
  const isLead = new SoulsRepo(db).get(instance.soul_id)?.role === 'lead';
  return {
    state: {
      project_id: instance.project_id,
      scoped_path: workspace.projectDir(instance.project_id) + '/',
      task: task ? { id: task.id, title: task.title } : null,
      learned_excerpt: learnedExcerpt(memory.learned),
      team_notes: { task_events: taskEventNotes(events), messages },
      notifications,
      pulse_id: opts.pulse_id,
      memory: { soul_md: memory.soul_md, context: memory.context, working: memory.working },
      ...(isLead ? { lead: loadLeadBrief(db, instance.project_id, instance.soul_id) } : {}),
    },
    notification_ids: pending.map((n) => n.id),
  };
}
