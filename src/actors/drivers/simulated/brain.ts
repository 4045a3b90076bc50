import type { TaskView } from '../../../core/index.js';
import { distillRequestsIn } from '../../../workspace/index.js';
import type { InstanceRef } from '../types.js';
import { distillSummary, helpIssue, mentionText, pickupThought, workThought } from './phrases.js';
import type { PoolTask } from './demo-squad.js';
import type { Rng } from './prng.js';
import { byPriority, isLead, planAssignments, type SquadMember } from './squad.js';

/**
 * One pulse of a scripted agent (SPEC §12): it acts only through mission methods, the same path
 * a real agent's tool calls take, and decides with the pulse's seeded PRNG, so the same board
 * and the same pulse id give the same calls.
 */
export type CallMethod = (
  name: string,
  params: Record<string, unknown>,
  context: { instanceId: string },
) => Promise<unknown>;

/** How likely each behaviour is on a pulse spent working on a task. */
export const BEHAVIOUR = {
  requestHelp: 0.1,
  mention: 0.2,
  submit: 0.4,
  /** The lead sends a review back this often instead of approving it. */
  reject: 0.1,
} as const;

/** The lead reviews at most this many tasks per pulse, so the board moves at a pace people can follow. */
export const REVIEWS_PER_PULSE = 2;

/** The lead files one task from its pool per pulse while fewer than this many wait in backlog. */
export const BACKLOG_LOW_WATER = 5;

export interface PulseInput {
  instance: InstanceRef;
  squad: readonly SquadMember[];
  rng: Rng;
  call: (name: string, params: Record<string, unknown>) => Promise<unknown>;
  signal: AbortSignal;
  /** Work the lead may file when the backlog runs low (empty: it never invents work). */
  pool?: readonly PoolTask[];
  /** The pulse prompt as delivered: the agent reads its notifications there. */
  prompt?: string;
}

/** What the agent did, one line per action (the pulse's output). */
export type PulseLog = string[];

export class PulseAborted extends Error {
  constructor() {
    super('pulse aborted');
    this.name = 'PulseAborted';
  }
}

/** A refusal the brain expects and works around (a move the machine did not allow). */
function refusal(err: unknown): { code: string; allowed: string[] } | null {
  if (typeof err !== 'object' || err === null || !('code' in err) || typeof err.code !== 'string')
    return null;
  const data =
    'data' in err && typeof err.data === 'object' && err.data !== null
      ? (err.data as Record<string, unknown>)
      : {};
  const allowed = Array.isArray(data.allowed)
    ? data.allowed.filter((a): a is string => typeof a === 'string')
    : [];
  return err.code === 'ILLEGAL_TRANSITION' || err.code === 'FORBIDDEN' ? { code: err.code, allowed } : null;
}

export async function runPulse(input: PulseInput): Promise<PulseLog> {
  const { instance, squad, rng, signal } = input;
  const log: PulseLog = [];
  const call = async (name: string, params: Record<string, unknown>): Promise<unknown> => {
    if (signal.aborted) throw new PulseAborted();
    const result = await input.call(name, params);
    log.push(name);
    return result;
  };
  const me = squad.find((m) => m.soul_id === instance.soulId);
  const teammates = squad.filter((m) => m.soul_id !== instance.soulId);

  let board = await listBoard(call, instance.projectId);
  const current = board
    .filter((t) => t.assignee_id === instance.soulId && t.status === 'in_progress')
    .sort(byPriority)[0];
  await call('mission.agent.sync', {
    instance_id: instance.id,
    status: current ? 'working' : 'idle',
    current_task_id: current?.id ?? null,
  });

  await distillFinishedWork(call, board, distillRequestsIn(input.prompt ?? ''));

  if (isLead(me)) {
    board = await leadTheSquad(call, rng, board, squad, instance.soulId);
    await refillBacklog(call, rng, board, input.pool ?? [], instance.projectId);
  }

  if (current) {
    await workOn(call, rng, current, teammates);
  } else {
    await pickUpWork(call, rng, board, instance.soulId);
  }
  return log;
}

type Call = (name: string, params: Record<string, unknown>) => Promise<unknown>;

async function listBoard(call: Call, projectId: string): Promise<TaskView[]> {
  const tasks: TaskView[] = [];
  let cursor: string | null = null;
  do {
    const page = (await call('mission.task.list', {
      project_id: projectId,
      limit: 500,
      ...(cursor ? { cursor } : {}),
    })) as { tasks: TaskView[]; next_cursor: string | null };
    tasks.push(...page.tasks);
    cursor = page.next_cursor;
  } while (cursor);
  return tasks;
}

/** Tasks of mine reached done since my last pulse: one distill_memory moves their notes to learned.md. */
async function distillFinishedWork(call: Call, board: readonly TaskView[], taskIds: readonly string[]): Promise<void> {
  if (taskIds.length === 0) return;
  const titles = new Map(board.map((t) => [t.id, t.title]));
  await call('mission.control.distill_memory', { summary: distillSummary(taskIds.map((id) => titles.get(id) ?? id)) });
}

/** The lead's duties: assign the unassigned backlog, then review what teammates submitted. */
async function leadTheSquad(
  call: Call,
  rng: Rng,
  board: TaskView[],
  squad: readonly SquadMember[],
  leadId: string,
): Promise<TaskView[]> {
  const updated = new Map(board.map((t) => [t.id, t]));
  for (const { task_id, assignee_id } of planAssignments(board, squad, leadId)) {
    let task: TaskView | undefined;
    try {
      task = (await call('mission.task.assign', { task_id, assignee_id })) as TaskView | undefined;
    } catch (err) {
      // The task moved on since the board was read (a human took it): skip it, assign the rest.
      if (!refusal(err)) throw err;
      continue;
    }
    updated.set(
      task_id,
      task && typeof task === 'object' && 'id' in task ? task : { ...updated.get(task_id)!, assignee_id },
    );
  }
  for (const task of board
    .filter((t) => t.status === 'review' && t.assignee_id !== leadId)
    .sort(byPriority)
    .slice(0, REVIEWS_PER_PULSE)) {
    const reject = rng.chance(BEHAVIOUR.reject);
    try {
      const moved = (await call(
        'mission.task.move',
        reject
          ? {
              task_id: task.id,
              new_status: 'in_progress',
              reason: `Needs another pass: add tests covering "${task.title}".`,
            }
          : { task_id: task.id, new_status: 'done' },
      )) as TaskView | undefined;
      if (moved && typeof moved === 'object' && 'id' in moved) updated.set(task.id, moved);
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      // Not allowed to review here at all (e.g. the gateway limits agents to their own tasks).
      if (refused.code === 'FORBIDDEN') break;
    }
  }
  return [...updated.values()];
}

/**
 * The lead keeps the squad busy: while fewer than BACKLOG_LOW_WATER tasks wait in backlog it files
 * one pool task that is not already on the board (archived ones may come back), unassigned, so
 * its next pulse assigns it like any other.
 */
async function refillBacklog(
  call: Call,
  rng: Rng,
  board: readonly TaskView[],
  pool: readonly PoolTask[],
  projectId: string,
): Promise<void> {
  if (pool.length === 0) return;
  if (board.filter((t) => t.status === 'backlog').length >= BACKLOG_LOW_WATER) return;
  const onBoard = new Set(board.filter((t) => t.status !== 'archived').map((t) => t.title));
  const fresh = pool.filter((p) => !onBoard.has(p.title));
  if (fresh.length === 0) return;
  const pick = rng.pick(fresh);
  const created = (await call('mission.task.create', {
    project_id: projectId,
    title: pick.title,
    description: pick.description,
    priority: pick.priority,
  })) as TaskView | undefined;
  if (!created || typeof created !== 'object' || !('id' in created)) return;
  await call('mission.control.log_event', {
    task_id: created.id,
    thought: `The backlog is running low; filing "${pick.title}" so nobody sits idle.`,
    action: 'create task',
  });
}

/** A working pulse: think aloud, maybe ask for help, maybe ping a teammate, maybe submit. */
async function workOn(
  call: Call,
  rng: Rng,
  task: TaskView,
  teammates: readonly SquadMember[],
): Promise<void> {
  const thoughts = rng.int(1, 3);
  for (let i = 0; i < thoughts; i++)
    await call('mission.control.log_event', { task_id: task.id, ...workThought(rng, task.title) });
  if (rng.chance(BEHAVIOUR.requestHelp)) {
    // request_help blocks the task and the agent: nothing more this pulse.
    await call('mission.control.request_help', { task_id: task.id, issue: helpIssue(rng, task.title) });
    return;
  }
  if (teammates.length > 0 && rng.chance(BEHAVIOUR.mention)) {
    await call('mission.task.comment', {
      task_id: task.id,
      text: mentionText(rng, task.title, rng.pick(teammates).soul_id),
    });
  }
  if (rng.chance(BEHAVIOUR.submit)) await submit(call, task);
}

/** Submits to done, or to review where the project requires it (the refusal names the target). */
async function submit(call: Call, task: TaskView): Promise<void> {
  await call('mission.control.log_event', {
    task_id: task.id,
    thought: `"${task.title}" is complete and tested; submitting it.`,
    action: 'submit task',
  });
  try {
    await call('mission.task.move', { task_id: task.id, new_status: 'done' });
  } catch (err) {
    const refused = refusal(err);
    if (!refused?.allowed.includes('review')) throw err;
    await call('mission.task.move', { task_id: task.id, new_status: 'review' });
  }
}

/** An idle pulse: start the highest-priority backlog task assigned to me whose dependencies are done. */
async function pickUpWork(call: Call, rng: Rng, board: readonly TaskView[], soulId: string): Promise<void> {
  const status = new Map(board.map((t) => [t.id, t.status]));
  const mine = board
    .filter(
      (t) =>
        t.assignee_id === soulId &&
        t.status === 'backlog' &&
        t.depends_on.every((d) => status.get(d) === 'done'),
    )
    .sort(byPriority);
  for (const task of mine) {
    try {
      await call('mission.task.move', { task_id: task.id, new_status: 'in_progress' });
    } catch (err) {
      if (!refusal(err)) throw err;
      continue;
    }
    await call('mission.control.log_event', { task_id: task.id, ...pickupThought(rng, task.title) });
    return;
  }
}
