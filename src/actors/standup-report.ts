import type { CommittedEvent, TaskView } from '../core/index.js';

/**
 * The daily standup of a project (issue 7): what was completed since the last standup, what is
 * in progress, blocked and waiting for review now, and the key decisions of the period, read from
 * the event log and the board. Pure: the scheduler (standup.ts) gathers the input and writes it.
 */
export interface StandupItem {
  id: string;
  title: string;
  assignee_id: string | null;
  /** Blocked: the reason; completed: who approved, when it went through review. */
  note: string | null;
}

export interface Standup {
  project_id: string;
  /** The UTC day it is written for, YYYY-MM-DD. */
  date: string;
  /** The period it covers: after the previous standup (null: since the project began) up to `at`. */
  since: number | null;
  at: number;
  completed: StandupItem[];
  in_progress: StandupItem[];
  blocked: StandupItem[];
  needs_review: StandupItem[];
  decisions: string[];
}

export interface StandupInput {
  project_id: string;
  date: string;
  since: number | null;
  at: number;
  /** The board now. */
  tasks: readonly TaskView[];
  /** Events of the period, in seq order (any type; the ones that matter are picked here). */
  events: readonly CommittedEvent[];
}

/** Event types a standup reads; the scheduler may drop every other type while paging. */
export const STANDUP_EVENT_TYPES: ReadonlySet<string> = new Set(['task.moved', 'task.help_answered', 'chronicle.updated']);

function byPriority(a: TaskView, b: TaskView): number {
  return a.priority - b.priority || a.created_at - b.created_at;
}

function item(t: TaskView, note: string | null = null): StandupItem {
  return { id: t.id, title: t.title, assignee_id: t.assignee_id, note };
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function who(e: CommittedEvent): string {
  return e.payload.by.id ?? e.payload.by.kind;
}

function taskOf(e: CommittedEvent, board: ReadonlyMap<string, TaskView>): TaskView | null {
  const view = e.payload.view as TaskView | undefined;
  return board.get(e.actor_id) ?? view ?? null;
}

export function composeStandup(input: StandupInput): Standup {
  const board = new Map(input.tasks.map((t) => [t.id, t]));
  const open = (status: TaskView['status']): TaskView[] => input.tasks.filter((t) => t.status === status).sort(byPriority);

  // Completed: every task that reached done in the period, once, in the order it got there.
  const completed = new Map<string, StandupItem>();
  const decisions: string[] = [];
  for (const e of input.events) {
    const detail = e.payload.detail ?? {};
    const move = e.payload.event.type;
    if (e.type === 'task.moved') {
      const task = taskOf(e, board);
      if (!task) continue;
      const reached = (e.payload.view as TaskView | undefined)?.status;
      if (reached === 'done' && !completed.has(task.id)) {
        completed.set(task.id, item(task, move === 'approve' ? `approved by ${who(e)}` : null));
      }
      if (move === 'approve') decisions.push(`${task.id} "${oneLine(task.title)}" approved by ${who(e)}`);
      if (move === 'reject') decisions.push(`${task.id} "${oneLine(task.title)}" sent back by ${who(e)}: ${oneLine(String(detail.reason ?? ''))}`);
      if (move === 'reopen') decisions.push(`${task.id} "${oneLine(task.title)}" reopened by ${who(e)}`);
    } else if (e.type === 'task.help_answered') {
      const task = taskOf(e, board);
      if (task) decisions.push(`${task.id} "${oneLine(task.title)}": ${who(e)} answered "${oneLine(String(detail.answer ?? ''))}"`);
    } else if (e.type === 'chronicle.updated') {
      decisions.push(`Chronicle (${who(e)}): ${oneLine(String(detail.summary ?? ''))}`);
    }
  }

  return {
    project_id: input.project_id,
    date: input.date,
    since: input.since,
    at: input.at,
    completed: [...completed.values()],
    in_progress: open('in_progress').map((t) => item(t)),
    blocked: open('blocked').map((t) => item(t, t.blocked_reason)),
    needs_review: open('review').map((t) => item(t)),
    decisions,
  };
}

/** Section titles, in the order they are written. */
export const STANDUP_SECTIONS = [
  ['completed', 'Completed'],
  ['in_progress', 'In progress'],
  ['blocked', 'Blocked'],
  ['needs_review', 'Needs review'],
  ['decisions', 'Key decisions'],
] as const;

function itemLine(i: StandupItem): string {
  const owner = i.assignee_id ? ` (${i.assignee_id})` : ' (unassigned)';
  const note = i.note ? `: ${oneLine(i.note)}` : '';
  return `- ${i.id} ${oneLine(i.title)}${owner}${note}`;
}

function iso(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The standup as Markdown for `daily/YYYY-MM-DD.md`. Bold section labels, not headings: the
 * daily log's own `###` entry heading holds it, so a reader splitting entries still sees one.
 */
export function renderStandup(s: Standup): string {
  const lines = [`**Standup ${s.date}** · ${s.project_id} · ${s.since === null ? 'since the project began' : `since ${iso(s.since)}`} → ${iso(s.at)}`];
  for (const [key, title] of STANDUP_SECTIONS) {
    const entries = key === 'decisions' ? s.decisions.map((d) => `- ${d}`) : s[key].map(itemLine);
    lines.push('', `**${title} (${entries.length})**`, ...(entries.length > 0 ? entries : ['- none']));
  }
  return lines.join('\n');
}

/** One line for the feed: the count of each section. */
export function standupSummary(s: Standup): string {
  return STANDUP_SECTIONS.map(([key, title]) => `${(key === 'decisions' ? s.decisions : s[key]).length} ${title.toLowerCase()}`).join(', ');
}
