import type { AgentView, TaskView } from '../../../src/core/views.js';
import { guardSnapshot } from '../api/remote-actor.js';
import { ACTIVITY_LIMIT, type ActivityItem, type ProjectState, type ThoughtLine } from './project-state.js';

/** A feed notification as it arrives (SPEC §5; shapes in `src/core/feed.ts`). */
export interface FeedMessage {
  method: string;
  params: Record<string, unknown>;
}

export const FEED_METHODS = new Set([
  'mission.task_updated',
  'mission.thought_logged',
  'mission.agent_updated',
  'mission.actor_snapshot',
  'mission.event.broadcast',
]);

export function seqOf(n: FeedMessage): number | null {
  const seq = n.params.seq;
  return typeof seq === 'number' && Number.isFinite(seq) ? seq : null;
}

/**
 * Applies one notification, in seq order, to the project state. Pure: the same notification
 * applied twice is ignored (its seq is not above `last_seq`), which makes replay after a
 * reconnect safe.
 */
export function applyNotification(state: ProjectState, n: FeedMessage): ProjectState {
  const seq = seqOf(n);
  if (seq === null || seq <= state.last_seq) return state;
  const p = n.params;
  const ts = typeof p.ts === 'number' ? p.ts : Date.now();
  let next: ProjectState = { ...state, last_seq: seq, last_activity_at: Math.max(state.last_activity_at ?? 0, ts) };
  if (seq <= state.baseline_seq) return pushActivity(next, activityOf(n, seq, ts));

  switch (n.method) {
    case 'mission.task_updated': {
      const task = p.task as TaskView;
      const current = next.tasks[task.id];
      if (!current || task.version >= current.version) next.tasks = { ...next.tasks, [task.id]: task };
      next = touch(next, task.id, seq);
      next = pushActivity(next, { seq, ts: task.updated_at ?? ts, type: String(p.type ?? 'task.updated'), actor_id: task.id, summary: task.title });
      break;
    }
    case 'mission.agent_updated': {
      const agent = p.agent as AgentView;
      next.agents = { ...next.agents, [agent.id]: agent };
      next = touch(next, agent.id, seq);
      next = pushActivity(next, { seq, ts, type: String(p.type ?? 'agent.updated'), actor_id: agent.id, summary: agent.state });
      break;
    }
    case 'mission.thought_logged': {
      const taskId = String(p.task_id);
      const line: ThoughtLine = {
        key: `seq:${seq}`,
        task_id: taskId,
        instance_id: typeof p.instance_id === 'string' ? p.instance_id : null,
        thought: String(p.thought ?? ''),
        action: String(p.action ?? ''),
        kind: String(p.kind ?? 'log'),
        ts,
        seq,
      };
      const lines = next.thoughts[taskId];
      // Lines not loaded yet stay absent: the task detail loads the whole stream on open.
      if (lines) next.thoughts = { ...next.thoughts, [taskId]: [...lines, line] };
      next = touch(next, taskId, seq);
      next = pushActivity(next, { seq, ts, type: 'thought.logged', actor_id: taskId, summary: line.thought });
      break;
    }
    default: {
      const data = (p.data ?? {}) as Record<string, unknown>;
      const type = String(p.type ?? 'event');
      const actorId = actorIdFromBroadcast(data, next.project?.id ?? String(p.project_id ?? ''));
      next = touch(next, actorId, seq);
      next = pushActivity(next, { seq, ts, type, actor_id: actorId, summary: summarize(data) });
      break;
    }
  }
  return next;
}

/**
 * A watched actor's snapshot (inspector). It repeats the seq of the event already delivered on
 * the project feed, so it is kept beside the ordered stream instead of advancing it.
 */
export function applyActorSnapshot(state: ProjectState, n: FeedMessage): ProjectState {
  const seq = seqOf(n);
  const p = n.params;
  const actorId = String(p.actor_id);
  if (seq === null || (state.snapshots[actorId]?.seq ?? 0) >= seq) return state;
  return {
    ...state,
    snapshots: { ...state.snapshots, [actorId]: { seq, state_value: p.state_value, context: sanitizeContext(p.context), event: p.event } },
  };
}

/** The activity line of a notification (used for backfilled history). */
function activityOf(n: FeedMessage, seq: number, ts: number): ActivityItem {
  const p = n.params;
  if (n.method === 'mission.task_updated') {
    const task = p.task as TaskView;
    return { seq, ts: task.updated_at ?? ts, type: String(p.type ?? 'task.updated'), actor_id: task.id, summary: task.title };
  }
  if (n.method === 'mission.agent_updated') {
    const agent = p.agent as AgentView;
    return { seq, ts, type: String(p.type ?? 'agent.updated'), actor_id: agent.id, summary: agent.state };
  }
  if (n.method === 'mission.thought_logged') return { seq, ts, type: 'thought.logged', actor_id: String(p.task_id), summary: String(p.thought ?? '') };
  const data = (p.data ?? {}) as Record<string, unknown>;
  return { seq, ts, type: String(p.type ?? 'event'), actor_id: actorIdFromBroadcast(data, String(p.project_id ?? '')), summary: summarize(data) };
}

function touch(state: ProjectState, actorId: string, seq: number): ProjectState {
  return { ...state, actor_seq: { ...state.actor_seq, [actorId]: seq } };
}

function pushActivity(state: ProjectState, item: ActivityItem): ProjectState {
  const activity = [item, ...state.activity];
  if (activity.length > ACTIVITY_LIMIT) activity.length = ACTIVITY_LIMIT;
  return { ...state, activity };
}

function actorIdFromBroadcast(data: Record<string, unknown>, fallback: string): string {
  const view = data.view as { id?: unknown } | undefined;
  if (view && typeof view.id === 'string') return view.id;
  for (const key of ['actor_id', 'task_id', 'instance_id']) if (typeof data[key] === 'string') return data[key];
  return fallback;
}

function summarize(data: Record<string, unknown>): string {
  const detail = (data.detail ?? {}) as Record<string, unknown>;
  for (const key of ['summary', 'text', 'issue', 'reason', 'title']) {
    if (typeof detail[key] === 'string') return detail[key];
    if (typeof data[key] === 'string') return data[key];
  }
  return '';
}

function sanitizeContext(context: unknown): unknown {
  return context && typeof context === 'object' && !Array.isArray(context) ? guardSnapshot(context as object) : context;
}
