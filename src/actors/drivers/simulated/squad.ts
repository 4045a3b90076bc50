import type { TaskView } from '../../../core/index.js';

/** A soul as the simulated squad knows it: enough to play its part and to be assigned work. */
export interface SquadMember {
  soul_id: string;
  name: string;
  /** 'lead' marks the project's lead (souls.role). */
  role: string;
  skills: string[];
}

/** The statuses in which a task still weighs on its assignee. */
const OPEN: ReadonlySet<string> = new Set(['backlog', 'in_progress', 'review', 'blocked']);

export function isLead(member: SquadMember | undefined): boolean {
  return member?.role === 'lead';
}

/** Board order: priority 1 (high) first, then the older task (lower number) first. */
export function byPriority(a: TaskView, b: TaskView): number {
  return a.priority - b.priority || taskNumber(a.id) - taskNumber(b.id);
}

function taskNumber(id: string): number {
  return Number(id.slice(id.lastIndexOf('-') + 1));
}

/** How many of a member's skills the task's title and description mention. */
export function skillMatch(task: TaskView, member: SquadMember): number {
  const text = `${task.title} ${task.description}`.toLowerCase();
  return member.skills.filter((skill) => text.includes(skill.toLowerCase())).length;
}

/**
 * The lead's assignment policy: every unassigned backlog task, highest priority first, goes to
 * the teammate whose skills it mentions most, then to the one with the fewest open tasks, then
 * in roster order. The lead takes work itself only when it has no teammate.
 */
export function planAssignments(
  tasks: readonly TaskView[],
  squad: readonly SquadMember[],
  leadId: string,
): { task_id: string; assignee_id: string }[] {
  const teammates = squad.filter((m) => m.soul_id !== leadId);
  const candidates = teammates.length > 0 ? teammates : squad.filter((m) => m.soul_id === leadId);
  if (candidates.length === 0) return [];
  const load = new Map<string, number>(candidates.map((m) => [m.soul_id, 0]));
  for (const t of tasks) {
    if (t.assignee_id !== null && OPEN.has(t.status) && load.has(t.assignee_id))
      load.set(t.assignee_id, (load.get(t.assignee_id) ?? 0) + 1);
  }
  const plan: { task_id: string; assignee_id: string }[] = [];
  for (const task of tasks.filter((t) => t.status === 'backlog' && t.assignee_id === null).sort(byPriority)) {
    let best = candidates[0]!;
    for (const member of candidates.slice(1)) {
      const skillDelta = skillMatch(task, member) - skillMatch(task, best);
      if (
        skillDelta > 0 ||
        (skillDelta === 0 && (load.get(member.soul_id) ?? 0) < (load.get(best.soul_id) ?? 0))
      )
        best = member;
    }
    load.set(best.soul_id, (load.get(best.soul_id) ?? 0) + 1);
    plan.push({ task_id: task.id, assignee_id: best.soul_id });
  }
  return plan;
}
