import type { AgentView, TaskView } from '../../core/index.js';

/**
 * What `mc.<project>.snap.<task|agent>.<id>` carries after a commit that touched the actor: its
 * read model and state value as committed (header `seq`: the project's last seq in that commit,
 * absent when the commit wrote no event of the project, e.g. a sign of life only).
 */
export interface ActorSnapshotMessage {
  project_id: string;
  actor_kind: 'task' | 'agent';
  /** The task id, or the instance id `<soul_id>:<project_id>`. */
  actor_id: string;
  state_value: unknown;
  view: TaskView | AgentView;
  updated_at: number;
}

/**
 * What `mc.<project>.inbox.<soul_id>` carries: a notification as the commit stored it for the
 * instance (it also rides on the instance's next pulse), or a live nudge that has no row
 * (`notification_id: null`): `assignment_needed` to the project's lead, whose pulse brief lists
 * the unassigned backlog anyway.
 */
export interface InboxMessage {
  project_id: string;
  instance_id: string;
  notification_id: number | null;
  kind: string;
  body: string;
  task_id: string | null;
  message_id: number | null;
  created_at: number;
  /** `assignment_needed`: the tasks that just became unassigned backlog work. */
  task_ids?: string[];
}
