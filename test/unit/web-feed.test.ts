import { describe, expect, it } from 'vitest';
import type { AgentView, TaskView } from '../../src/core/index.js';
import { guardSnapshot, RemoteActorRef } from '../../web/src/api/remote-actor.js';
import { applyActorSnapshot, applyNotification, type FeedMessage } from '../../web/src/state/apply-notification.js';
import { emptyProjectState, type ProjectState } from '../../web/src/state/project-state.js';
import { taskViewOf } from '../support/task-view.js';

// The web client's view of the feed (SPEC §5 "Feed"): notifications carry the project's seq and
// are applied strictly once, in order; a replay after reconnect may overlap what was seen.

function task(id: string, over: Partial<TaskView> = {}): TaskView {
  return taskViewOf({ id, project_id: 'apollo', created_at: 1000, updated_at: 1000, ...over });
}

function agent(id: string, over: Partial<AgentView> = {}): AgentView {
  const [soul, project] = id.split(':') as [string, string];
  return {
    id,
    soul_id: soul,
    project_id: project,
    name: soul,
    role: 'agent',
    state: 'idle',
    working: false,
    current_task_id: null,
    soul_version: 1,
    pulse_slot: 0,
    last_pulse_at: null,
    next_pulse_at: null,
    last_seen_at: null,
    deadman_at: null,
    driver: 'simulated',
    ...over,
  };
}

const taskUpdated = (seq: number, t: TaskView, type = 'task.moved'): FeedMessage => ({
  method: 'mission.task_updated',
  params: { project_id: 'apollo', seq, type, task: t },
});

function ready(over: Partial<ProjectState> = {}): ProjectState {
  return { ...emptyProjectState(), phase: 'ready', ...over };
}

describe('web feed: applying notifications', () => {
  it('upserts a task and advances last_seq for the next seq', () => {
    const next = applyNotification(ready({ last_seq: 4 }), taskUpdated(5, task('apollo-1', { status: 'in_progress', version: 2 })));
    expect(next.last_seq).toBe(5);
    expect(next.tasks['apollo-1']?.status).toBe('in_progress');
    expect(next.actor_seq['apollo-1']).toBe(5);
    expect(next.activity[0]).toMatchObject({ seq: 5, type: 'task.moved', actor_id: 'apollo-1' });
  });

  it('ignores a notification whose seq was already applied (replay overlap is not a duplicate)', () => {
    const state = ready({ last_seq: 7, tasks: { 'apollo-1': task('apollo-1', { version: 3, status: 'done' }) } });
    expect(applyNotification(state, taskUpdated(7, task('apollo-1', { version: 4, status: 'archived' })))).toBe(state);
    expect(applyNotification(state, taskUpdated(2, task('apollo-1', { version: 1 })))).toBe(state);
  });

  it('never lets an older task version overwrite a newer one, but still consumes the seq', () => {
    const state = ready({ last_seq: 1, tasks: { 'apollo-1': task('apollo-1', { version: 5, status: 'done' }) } });
    const next = applyNotification(state, taskUpdated(2, task('apollo-1', { version: 4, status: 'in_progress' })));
    expect(next.tasks['apollo-1']?.status).toBe('done');
    expect(next.last_seq).toBe(2);
  });

  it('appends thoughts to a loaded stream and leaves unloaded streams to the detail load', () => {
    const state = ready({ last_seq: 0, thoughts: { 'apollo-1': [] } });
    const thought = (seq: number, taskId: string): FeedMessage => ({
      method: 'mission.thought_logged',
      params: { project_id: 'apollo', seq, task_id: taskId, instance_id: 'shuri:apollo', thought: `t${seq}`, action: 'edit', kind: 'log', ts: 5 },
    });
    const next = applyNotification(applyNotification(state, thought(1, 'apollo-1')), thought(2, 'apollo-2'));
    expect(next.thoughts['apollo-1']?.map((l) => l.thought)).toEqual(['t1']);
    expect(next.thoughts['apollo-2']).toBeUndefined();
    expect(next.last_seq).toBe(2);
  });

  it('upserts agents and records broadcasts in the activity feed under their actor', () => {
    let state = applyNotification(ready(), {
      method: 'mission.agent_updated',
      params: { project_id: 'apollo', seq: 1, type: 'agent.paused', agent: agent('shuri:apollo', { state: 'paused' }) },
    });
    state = applyNotification(state, {
      method: 'mission.event.broadcast',
      params: { project_id: 'apollo', seq: 2, type: 'chronicle.updated', data: { detail: { summary: 'wrote the chronicle' }, actor_id: 'apollo' } },
    });
    expect(state.agents['shuri:apollo']?.state).toBe('paused');
    expect(state.activity.map((a) => [a.seq, a.type, a.actor_id, a.summary])).toEqual([
      [2, 'chronicle.updated', 'apollo', 'wrote the chronicle'],
      [1, 'agent.paused', 'shuri:apollo', 'paused'],
    ]);
  });

  it('replays events at or below the loaded snapshot into the activity feed only', () => {
    // The snapshot (baseline seq 10) already holds version 3; older events must not roll it back.
    const state = ready({ last_seq: 8, baseline_seq: 10, tasks: { 'apollo-1': task('apollo-1', { version: 3, status: 'done' }) } });
    let next = applyNotification(state, taskUpdated(9, task('apollo-1', { version: 2, status: 'in_progress' })));
    next = applyNotification(next, {
      method: 'mission.agent_updated',
      params: { project_id: 'apollo', seq: 10, type: 'agent.paused', agent: agent('shuri:apollo', { state: 'paused' }) },
    });
    expect(next.tasks['apollo-1']?.status).toBe('done');
    expect(next.agents['shuri:apollo']).toBeUndefined();
    expect(next.activity.map((a) => a.seq)).toEqual([10, 9]);
    next = applyNotification(next, taskUpdated(11, task('apollo-1', { version: 4, status: 'archived' })));
    expect(next.tasks['apollo-1']?.status).toBe('archived');
  });

  it('keeps only the newest 200 activity items', () => {
    let state = ready();
    for (let seq = 1; seq <= 250; seq++) state = applyNotification(state, taskUpdated(seq, task('apollo-1', { version: seq })));
    expect(state.activity).toHaveLength(200);
    expect(state.activity[0]?.seq).toBe(250);
    expect(state.activity[199]?.seq).toBe(51);
  });

  it('keeps actor snapshots beside the ordered stream: same seq accepted, last_seq untouched', () => {
    const state = ready({ last_seq: 9 });
    const snap: FeedMessage = {
      method: 'mission.actor_snapshot',
      params: { project_id: 'apollo', seq: 9, actor_id: 'apollo-1', actor_kind: 'task', state_value: 'in_progress', context: { status: 'error', x: 1 }, event: { type: 'start' } },
    };
    const next = applyActorSnapshot(state, snap);
    expect(next.last_seq).toBe(9);
    expect(next.snapshots['apollo-1']?.state_value).toBe('in_progress');
    // A context field `status: 'error'` would make useSelector treat the snapshot as a crashed actor.
    expect(next.snapshots['apollo-1']?.context).toEqual({ remote_status: 'error', x: 1 });
    expect(applyActorSnapshot(next, { ...snap, params: { ...snap.params, state_value: 'backlog', seq: 8 } })).toBe(next);
  });
});

describe('web feed: remote actor ref', () => {
  it('notifies subscribers on change only and stops after unsubscribe', () => {
    const ref = new RemoteActorRef('x', { n: 1 });
    const seen: number[] = [];
    const sub = ref.subscribe((s) => seen.push(s.n));
    ref.update((s) => s);
    ref.update((s) => ({ n: s.n + 1 }));
    sub.unsubscribe();
    ref.update((s) => ({ n: s.n + 1 }));
    expect(seen).toEqual([2]);
    expect(ref.getSnapshot().n).toBe(3);
  });

  it("never exposes a snapshot whose status is 'error'", () => {
    const ref = new RemoteActorRef<{ status?: string; v: number }>('x', { status: 'error', v: 1 });
    expect(ref.getSnapshot()).toEqual({ remote_status: 'error', v: 1 });
    expect(guardSnapshot({ status: 'active', v: 2 })).toEqual({ status: 'active', v: 2 });
  });
});
