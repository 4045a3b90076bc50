import type { AgentView, ProjectView, TaskView } from '../../../src/core/views.js';

/** One line of the Live Terminal. */
export interface ThoughtLine {
  key: string;
  task_id: string;
  instance_id: string | null;
  thought: string;
  action: string;
  kind: string;
  ts: number;
  seq: number | null;
}

export interface ActivityItem {
  seq: number;
  ts: number;
  type: string;
  actor_id: string;
  summary: string;
}

export interface ActorSnapshotView {
  seq: number;
  state_value: unknown;
  context: unknown;
  event: unknown;
}

/**
 * What one project looks like to the tab. The load phase is `phase`, never `status`: a field
 * `status: 'error'` would make `useSelector` treat the remote snapshot as a crashed actor.
 */
export interface ProjectState {
  phase: 'loading' | 'ready' | 'failed';
  error: string | null;
  project: ProjectView | null;
  tasks: Record<string, TaskView>;
  agents: Record<string, AgentView>;
  thoughts: Record<string, ThoughtLine[]>;
  activity: ActivityItem[];
  snapshots: Record<string, ActorSnapshotView>;
  /** Latest seq that touched each actor: views refetch details when it moves. */
  actor_seq: Record<string, number>;
  last_seq: number;
  /**
   * The seq the loaded snapshot reflects. Events at or below it are replayed only to fill the
   * activity feed: the snapshot already contains their effect.
   */
  baseline_seq: number;
  last_activity_at: number | null;
}

export const ACTIVITY_LIMIT = 200;
/** How many past events a fresh load replays into the activity feed. */
export const ACTIVITY_BACKFILL = 100;

export function emptyProjectState(): ProjectState {
  return {
    phase: 'loading',
    error: null,
    project: null,
    tasks: {},
    agents: {},
    thoughts: {},
    activity: [],
    snapshots: {},
    actor_seq: {},
    last_seq: 0,
    baseline_seq: 0,
    last_activity_at: null,
  };
}
