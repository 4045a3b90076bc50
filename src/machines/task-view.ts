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
