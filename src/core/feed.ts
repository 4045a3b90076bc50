import type { AgentView, CommittedEvent, TaskView } from './views.js';

/** Server → client notifications of the live feed (SPEC §5), each with the project's `seq`. */
export type FeedNotification =
  | { method: 'mission.task_updated'; params: { project_id: string; seq: number; type: string; task: TaskView } }
  | {
      method: 'mission.thought_logged';
      params: { project_id: string; seq: number; task_id: string; instance_id: string | null; thought: string; action: string; kind: string; ts: number };
    }
  | { method: 'mission.agent_updated'; params: { project_id: string; seq: number; type: string; agent: AgentView } }
  | {
      method: 'mission.actor_snapshot';
      params: { project_id: string; seq: number; actor_id: string; actor_kind: string; state_value: unknown; context: unknown; event: unknown };
    }
  | { method: 'mission.event.broadcast'; params: { project_id: string; seq: number; type: string; data: Record<string, unknown> } };

/**
 * Maps one committed event to the notification a subscriber receives. Every event maps to
 * exactly one notification, so a client that tracks `seq` sees no gap.
 */
export function notificationFor(event: CommittedEvent): FeedNotification {
  const { project_id, seq, type, payload } = event;
  if (type === 'thought.logged') {
    const d = payload.detail ?? {};
    return {
      method: 'mission.thought_logged',
      params: {
        project_id,
        seq,
        task_id: event.actor_id,
        instance_id: typeof d.instance_id === 'string' ? d.instance_id : null,
        thought: String(d.thought ?? ''),
        action: String(d.action ?? ''),
        kind: String(d.kind ?? 'log'),
        ts: event.ts,
      },
    };
  }
  if (event.actor_kind === 'task' && payload.view) {
    return { method: 'mission.task_updated', params: { project_id, seq, type, task: payload.view as TaskView } };
  }
  if (event.actor_kind === 'agent' && payload.view) {
    return { method: 'mission.agent_updated', params: { project_id, seq, type, agent: payload.view as AgentView } };
  }
  return { method: 'mission.event.broadcast', params: { project_id, seq, type, data: { ...payload } } };
}
