import { transition, type SnapshotFrom } from 'xstate';
import { MissionError, TASK_STATUS_NAMES, type By, type TaskStatusName } from '../core/index.js';
import { taskMachine, type TaskEvent, type TaskEventType } from './task.js';
import { taskStatusOf } from './task-view.js';

/**
 * Move resolution (SPEC §3): `mission.task.move` names a target status and the machine picks
 * the transition that move means from the current state. The table below only says which
 * transition a (from, to) pair means; whether it is allowed, and for whom, is the machine's
 * guards' decision.
 */
export type TaskSnapshot = SnapshotFrom<typeof taskMachine>;

export function resolveMove(snapshot: TaskSnapshot, target: TaskStatusName): TaskEventType | null {
  const from = taskStatusOf(snapshot);
  if (from === target) return null;
  if (target === 'blocked')
    return from === 'backlog' || from === 'in_progress' || from === 'review' ? 'block' : null;
  switch (from) {
    case 'backlog':
      if (target === 'in_progress') return 'start';
      if (target === 'archived') return 'archive';
      return null;
    case 'in_progress':
      if (target === 'review') return snapshot.context.require_review ? 'submit' : null;
      if (target === 'done') return snapshot.context.require_review ? null : 'submit';
      // The runtime's deadman expiry is the only way back to the backlog.
      if (target === 'backlog') return 'deadman_expire';
      return null;
    case 'review':
      if (target === 'done') return 'approve';
      if (target === 'in_progress') return 'reject';
      return null;
    case 'done':
      if (target === 'archived') return 'archive';
      if (target === 'backlog') return 'reopen';
      return null;
    case 'blocked':
      return target === (snapshot.context.blocked_from ?? 'backlog') ? 'unblock' : null;
    case 'archived':
      return target === 'backlog' ? 'reopen' : null;
  }
}

export interface MoveOptions {
  /** Whether every task in `depends_on` is done (the host looks it up). */
  deps_done: boolean;
  /** Required by reject and block. */
  reason?: string;
  /** A human's answer carried by unblock. */
  answer?: string;
}

/** Builds the machine event for a resolved move. */
export function moveEvent(type: TaskEventType, by: By, options: MoveOptions): TaskEvent {
  switch (type) {
    case 'start':
      return { type, by, deps_done: options.deps_done };
    case 'reject':
    case 'block':
      return { type, by, reason: options.reason ?? '' };
    case 'unblock':
      return options.answer === undefined ? { type, by } : { type, by, answer: options.answer };
    case 'assign':
      throw new MissionError('INVALID_INPUT', 'assign is not a move: send the assign event');
    case 'update':
      throw new MissionError('INVALID_INPUT', 'update is not a move: send the update event');
    default:
      return { type, by };
  }
}

/**
 * The targets a move by `by` would be accepted for, in status-table order. A move counts only
 * when its transition is enabled and lands on the target (a deadman expiry at the last attempt
 * lands on `blocked`, not `backlog`). Reject and block are evaluated as if a reason were given.
 */
export function allowedTargets(
  snapshot: TaskSnapshot,
  by: By,
  options: { deps_done: boolean },
): TaskStatusName[] {
  const allowed: TaskStatusName[] = [];
  for (const target of TASK_STATUS_NAMES) {
    const type = resolveMove(snapshot, target);
    if (type === null) continue;
    const event = moveEvent(type, by, { deps_done: options.deps_done, reason: 'reason given' });
    if (!snapshot.can(event)) continue;
    const [next] = transition(taskMachine, snapshot, event);
    if (taskStatusOf(next) === target) allowed.push(target);
  }
  return allowed;
}
