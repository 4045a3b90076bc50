import type { SnapshotFrom } from 'xstate';
import { statusCode, TASK_STATUS_NAMES, type TaskStatusName, type TaskView } from '../core/index.js';
import type { taskMachine } from './task.js';

type TaskSnapshot = SnapshotFrom<typeof taskMachine>;

/** The task's status: its top-level state, whose names are the status names (SPEC §3). */
export function taskStatusOf(snapshot: TaskSnapshot): TaskStatusName {
  const value = snapshot.value;
  if (typeof value === 'string' && (TASK_STATUS_NAMES as readonly string[]).includes(value))
    return value as TaskStatusName;
  throw new Error(`task snapshot has no status state: ${JSON.stringify(value)}`);
}

/** The read model of a task; times are not machine state, so the host supplies them. */
export function toTaskView(
  snapshot: TaskSnapshot,
  timestamps: { created_at: number; updated_at: number },
): TaskView {
  const c = snapshot.context;
  const status = taskStatusOf(snapshot);
  return {
    id: c.id,
    project_id: c.project_id,
    title: c.title,
    description: c.description,
    status,
    status_code: statusCode(status),
    priority: c.priority,
    assignee_id: c.assignee_id,
    depends_on: [...c.depends_on],
    version: c.version,
    blocked_reason: c.blocked_reason,
    blocked_from: c.blocked_from,
    attempts: c.attempts,
    created_at: timestamps.created_at,
    updated_at: timestamps.updated_at,
  };
}

/**
 * The fields of the task's view that differ between two of its snapshots (same creation time,
 * the updated times given), with their new values, without rendering either view: the log
 * stores this for task events (`view-changes.ts`). Unchanged contexts are skipped by reference:
 * XState's `assign` makes a new one.
 */
export function taskViewChanges(prev: TaskSnapshot, prevUpdatedAt: number, next: TaskSnapshot, nextUpdatedAt: number): Partial<TaskView> {
  const changes: Partial<TaskView> = {};
  const a = prev.context;
  const b = next.context;
  if (a !== b) {
    if (a.id !== b.id) changes.id = b.id;
    if (a.project_id !== b.project_id) changes.project_id = b.project_id;
    if (a.title !== b.title) changes.title = b.title;
    if (a.description !== b.description) changes.description = b.description;
    if (a.priority !== b.priority) changes.priority = b.priority;
    if (a.assignee_id !== b.assignee_id) changes.assignee_id = b.assignee_id;
    if (a.depends_on !== b.depends_on && !sameIds(a.depends_on, b.depends_on)) changes.depends_on = [...b.depends_on];
    if (a.version !== b.version) changes.version = b.version;
    if (a.blocked_reason !== b.blocked_reason) changes.blocked_reason = b.blocked_reason;
    if (a.blocked_from !== b.blocked_from) changes.blocked_from = b.blocked_from;
    if (a.attempts !== b.attempts) changes.attempts = b.attempts;
  }
  if (prev.value !== next.value) {
    const status = taskStatusOf(next);
    if (status !== taskStatusOf(prev)) {
      changes.status = status;
      changes.status_code = statusCode(status);
    }
  }
  if (prevUpdatedAt !== nextUpdatedAt) changes.updated_at = nextUpdatedAt;
  return changes;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
