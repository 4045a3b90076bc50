import type { TaskView } from '../core/index.js';
import { AgentsRepo, SoulsRepo, TasksRepo, type SqliteDatabase } from '../store/index.js';

/**
 * What the project's lead needs on every pulse to run the squad (SPEC §3 reviews, the lead's
 * assignment duty): the unassigned backlog, what waits for its review, and each teammate's
 * skills and open work, so a real LLM lead can call `assign_task` and `move_task` without first
 * listing the whole board.
 */
export interface LeadBriefTask {
  id: string;
  title: string;
  priority: number;
  description: string;
  assignee_id: string | null;
}

export interface LeadBriefMember {
  soul_id: string;
  name: string;
  role: string;
  skills: string[];
  /** Instance state; a `blocked` or `paused` teammate will not start new work soon. */
  state: string;
  open: { id: string; status: string }[];
}

export interface LeadBrief {
  unassigned: LeadBriefTask[];
  review: LeadBriefTask[];
  team: LeadBriefMember[];
}

/** Statuses that still weigh on an assignee. */
const OPEN: ReadonlySet<string> = new Set(['backlog', 'in_progress', 'review', 'blocked']);

function byPriority(a: TaskView, b: TaskView): number {
  return a.priority - b.priority || a.created_at - b.created_at;
}

function briefTask(t: TaskView): LeadBriefTask {
  return { id: t.id, title: t.title, priority: t.priority, description: t.description, assignee_id: t.assignee_id };
}

/** The brief from a project's board and live instances (the lead itself excluded from the team). */
export function composeLeadBrief(
  tasks: readonly TaskView[],
  squad: readonly { soul_id: string; name: string; role: string; skills: string[]; state: string }[],
  leadSoulId: string,
): LeadBrief {
  const sorted = [...tasks].sort(byPriority);
  return {
    unassigned: sorted.filter((t) => t.status === 'backlog' && t.assignee_id === null).map(briefTask),
    review: sorted.filter((t) => t.status === 'review' && t.assignee_id !== leadSoulId).map(briefTask),
    team: squad
      .filter((m) => m.soul_id !== leadSoulId)
      .map((m) => ({
        ...m,
        skills: [...m.skills],
        open: sorted.filter((t) => t.assignee_id === m.soul_id && OPEN.has(t.status)).map((t) => ({ id: t.id, status: t.status })),
      })),
  };
}

/** Reads the brief of `leadSoulId` in `projectId` from the store (every live instance counts). */
export function loadLeadBrief(db: SqliteDatabase, projectId: string, leadSoulId: string): LeadBrief {
  const souls = new SoulsRepo(db);
  const squad = new AgentsRepo(db)
    .inProject(projectId)
    .filter((a) => a.state !== 'destroyed')
    .flatMap((a) => {
      const soul = souls.get(a.soul_id);
      return soul ? [{ soul_id: soul.id, name: soul.name, role: soul.role, skills: soul.skills, state: a.state }] : [];
    });
  return composeLeadBrief(new TasksRepo(db).board(projectId), squad, leadSoulId);
}

/** `(projectId, leadSoulId) => LeadBrief` over one database, for `createProjectFiles`. */
export function leadBriefFrom(db: SqliteDatabase): (projectId: string, leadSoulId: string) => LeadBrief {
  return (projectId, leadSoulId) => loadLeadBrief(db, projectId, leadSoulId);
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function taskLine(t: LeadBriefTask, withAssignee: boolean): string {
  const who = withAssignee && t.assignee_id ? ` · by ${t.assignee_id}` : '';
  const about = t.description.trim() === '' ? '' : ` — ${oneLine(t.description)}`;
  return `- ${t.id} (P${t.priority}) ${oneLine(t.title)}${who}${about}`;
}

function memberLine(m: LeadBriefMember): string {
  const skills = m.skills.length > 0 ? m.skills.join(', ') : 'none declared';
  const open = m.open.length === 0 ? 'no open tasks' : `${m.open.length} open: ${m.open.map((t) => `${t.id} ${t.status}`).join(', ')}`;
  const state = m.state === 'blocked' || m.state === 'paused' || m.state === 'expired' ? ` [${m.state}]` : '';
  return `- ${m.soul_id} (${oneLine(m.name)}, ${m.role})${state} · skills: ${skills} · ${open}`;
}

export const LEAD_INSTRUCTION =
  "As the lead: assign every unassigned task with 'assign_task' {task_id, assignee_id} to the teammate whose skills it names and who holds the least open work; review each task in review with 'move_task' (new_status 'done' to approve, 'in_progress' with a reason to send it back). Never approve your own work.";

/** The lead's part of the pulse prompt: three titled sections and what to do with them. */
export function renderLeadBrief(brief: LeadBrief): string {
  const list = (lines: string[]): string => (lines.length === 0 ? 'none' : lines.join('\n'));
  return [
    `[LEAD: Unassigned backlog]\n${list(brief.unassigned.map((t) => taskLine(t, false)))}`,
    `[LEAD: Needs your review]\n${list(brief.review.map((t) => taskLine(t, true)))}`,
    `[LEAD: Team workload]\n${list(brief.team.map(memberLine))}`,
    LEAD_INSTRUCTION,
  ].join('\n\n');
}
