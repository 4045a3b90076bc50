import type { TaskStatusName } from './task-status.js';

/**
 * Read models: what the API returns, what notifications carry, what the web renders.
 * Field names are snake_case, as on the wire (SPEC §5).
 */
export interface TaskView {
  id: string;
  project_id: string;
  title: string;
  description: string;
  status: TaskStatusName;
  status_code: number;
  priority: number;
  assignee_id: string | null;
  depends_on: string[];
  version: number;
  blocked_reason: string | null;
  blocked_from: TaskStatusName | null;
  attempts: number;
  created_at: number;
  updated_at: number;
}

/** SPEC §4 agent states; `working` (holds an in-progress task) is orthogonal, so it is a flag. */
export type AgentState =
  | 'provisioning'
  | 'idle'
  | 'pulsing'
  | 'blocked'
  | 'paused'
  | 'upgrading'
  | 'expired'
  | 'destroyed';

export interface AgentView {
  id: string; // <soul_id>:<project_id>
  soul_id: string;
  project_id: string;
  name: string;
  role: string; // 'lead' or the soul's role
  state: AgentState;
  working: boolean;
  current_task_id: string | null;
  soul_version: number;
  pulse_slot: number; // seconds into each interval
  last_pulse_at: number | null;
  next_pulse_at: number | null;
  last_seen_at: number | null;
  deadman_at: number | null; // set while working
  driver: string;
}

export interface ProjectSettings {
  pulse_interval: number; // seconds
  pulse_timeout: number; // seconds
  deadman_timeout: number; // seconds
  max_attempts: number;
  require_review: boolean;
  driver: string;
}

export interface ProjectView {
  id: string;
  name: string;
  settings: ProjectSettings;
  archived: boolean;
  last_seq: number;
  created_at: number;
  updated_at: number;
}

export interface SoulView {
  id: string;
  name: string;
  role: string;
  skills: string[];
  version: number;
  soul_md: string;
}

export interface TaskEventView {
  id: number;
  task_id: string;
  instance_id: string | null;
  kind: 'log' | 'help' | 'answer' | 'comment' | 'system';
  thought: string;
  action: string;
  created_at: number;
}

/** One row of the per-project event log (DESIGN "Store"), as the feed and inspector see it. */
export interface CommittedEvent {
  project_id: string;
  seq: number;
  ts: number;
  type: string; // e.g. 'task.created', 'task.moved', 'thought.logged', 'agent.pulsed'
  actor_kind: 'task' | 'agent' | 'project';
  actor_id: string;
  payload: EventPayload;
  idempotency_key: string | null;
}

export interface EventPayload {
  /** The machine event that was applied (without `by`), e.g. {type:'start'}. */
  event: { type: string; [k: string]: unknown };
  by: { kind: string; id?: string };
  /** The actor's state value after the event (XState `snapshot.value`). */
  state_value: unknown;
  /**
   * The actor's whole read model after the event. Every event read from the runtime or the log
   * has it; in the log a task's event stores it only now and then, `changes` otherwise (see
   * `view-changes.ts`).
   */
  view?: TaskView | AgentView | ProjectView;
  /**
   * Stored task events only: the fields of the task's view that differ from its view at its
   * previous event in the log. Readers of the log fold it into `view` and drop it.
   */
  changes?: Partial<TaskView>;
  /** Extra facts of this event (e.g. thought/action for 'thought.logged'). */
  detail?: Record<string, unknown>;
}
