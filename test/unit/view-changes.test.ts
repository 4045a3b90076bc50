import { createActor, type SnapshotFrom } from 'xstate';
import { describe, expect, it } from 'vitest';
import { withWholeViews, type By, type CommittedEvent, type EventPayload, type TaskView } from '../../src/core/index.js';
import { taskMachine, taskViewChanges, toTaskView, type TaskEvent } from '../../src/machines/index.js';
import { taskViewOf } from '../support/task-view.js';

type Snap = SnapshotFrom<typeof taskMachine>;

const ADMIN: By = { kind: 'human', userId: 1, username: 'ada', role: 'admin' };
const OTHER: By = { kind: 'human', userId: 2, username: 'bo', role: 'member' };
const RUNTIME: By = { kind: 'runtime' };

/** The changes of a view as this test states them: every key whose JSON differs, with the new value. */
function diff(prev: TaskView, next: TaskView): Partial<TaskView> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(next) as (keyof TaskView)[]) {
    if (JSON.stringify(prev[key]) !== JSON.stringify(next[key])) out[key] = next[key];
  }
  return out as Partial<TaskView>;
}

/** A small seeded generator (mulberry32), so a failing walk can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every kind of task event, some changing no view field and some changing several. */
const EVENTS: ((r: () => number) => TaskEvent)[] = [
  () => ({ type: 'start', by: ADMIN, deps_done: true }),
  () => ({ type: 'submit', by: ADMIN }),
  () => ({ type: 'approve', by: OTHER }),
  () => ({ type: 'reject', by: OTHER, reason: 'again' }),
  (r) => ({ type: 'block', by: ADMIN, reason: `reason ${Math.floor(r() * 3)}` }),
  () => ({ type: 'unblock', by: ADMIN, answer: 'go' }),
  () => ({ type: 'archive', by: ADMIN }),
  () => ({ type: 'reopen', by: ADMIN }),
  () => ({ type: 'deadman_expire', by: RUNTIME }),
  () => ({ type: 'release', by: RUNTIME }),
  (r) => ({ type: 'assign', by: ADMIN, assignee_id: r() < 0.3 ? null : `soul-${Math.floor(r() * 3)}` }),
  (r) => ({ type: 'update', by: ADMIN, title: `title ${Math.floor(r() * 3)}` }),
  (r) => ({ type: 'update', by: ADMIN, description: `brief ${Math.floor(r() * 3)}`, priority: 1 + Math.floor(r() * 5) }),
  // The same dependency list again is a new array with equal ids: no change.
  (r) => ({ type: 'update', by: ADMIN, depends_on: r() < 0.5 ? ['log-1'] : ['log-1', 'log-2'] }),
];

describe('taskViewChanges', () => {
  it('gives exactly the fields of the task view that changed, over random walks through the task machine', () => {
    let compared = 0;
    const changedKeys = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const r = random(seed);
      const actor = createActor(taskMachine, {
        input: { id: 'log-9', project_id: 'log', title: 'title 0', description: '', priority: 3, assignee_id: null, depends_on: [], require_review: r() < 0.5, max_attempts: 2 },
      }).start();
      let prev = actor.getSnapshot() as Snap;
      let prevAt = 1_000;
      for (let step = 0; step < 60; step++) {
        const event = EVENTS[Math.floor(r() * EVENTS.length)]!(r);
        actor.send(event);
        const next = actor.getSnapshot() as Snap;
        // Half the steps keep the time: a change of the snapshot alone, or of the time alone, counts.
        const nextAt = r() < 0.5 ? prevAt : prevAt + 1;
        const expected = diff(toTaskView(prev, { created_at: 1_000, updated_at: prevAt }), toTaskView(next, { created_at: 1_000, updated_at: nextAt }));
        expect(taskViewChanges(prev, prevAt, next, nextAt), `seed ${seed} step ${step} ${event.type}`).toEqual(expected);
        for (const key of Object.keys(expected)) changedKeys.add(key);
        compared++;
        prev = next;
        prevAt = nextAt;
      }
    }
    expect(compared).toBe(40 * 60);
    // The walks changed every field a task event can change.
    expect([...changedKeys].sort()).toEqual(
      ['assignee_id', 'attempts', 'blocked_from', 'blocked_reason', 'depends_on', 'description', 'priority', 'status', 'status_code', 'title', 'updated_at', 'version'].sort(),
    );
  });
});

const BASE: TaskView = taskViewOf({ id: 'p-1', project_id: 'p', title: 'T', description: 'long', created_at: 1, updated_at: 1 });

function event(seq: number, actorId: string, stored: Pick<EventPayload, 'view' | 'changes'>, kind: CommittedEvent['actor_kind'] = 'task'): CommittedEvent {
  return { project_id: 'p', seq, ts: seq, type: 'x', actor_kind: kind, actor_id: actorId, payload: { event: { type: 'x' }, by: { kind: 'runtime' }, state_value: 'backlog', ...stored }, idempotency_key: null };
}

describe('withWholeViews', () => {
  it('folds changes onto the whole view before them, within the list and from the earlier rows, in either order', () => {
    const earlierRows = new Map<string, EventPayload[]>([
      // p-1's rows before seq 10, newest first: two changes, then its whole view.
      ['p-1', [
        { event: { type: 'x' }, by: { kind: 'runtime' }, state_value: 'in_progress', changes: { version: 3, updated_at: 3 } },
        { event: { type: 'x' }, by: { kind: 'runtime' }, state_value: 'in_progress', changes: { status: 'in_progress', status_code: 1, version: 2, updated_at: 2 } },
        { event: { type: 'x' }, by: { kind: 'runtime' }, state_value: 'backlog', view: BASE },
        { event: { type: 'x' }, by: { kind: 'runtime' }, state_value: 'backlog', changes: { title: 'never read' } },
      ]],
    ]);
    const asked: string[] = [];
    let read = 0;
    const earlier = function* (actorId: string, beforeSeq: number): Generator<EventPayload> {
      asked.push(`${actorId}<${beforeSeq}`);
      for (const p of earlierRows.get(actorId) ?? []) {
        read++;
        yield structuredClone(p);
      }
    };
    const list = (): CommittedEvent[] => [
      event(10, 'p-1', { changes: { title: 'T2', version: 4, updated_at: 10 } }),
      event(11, 'p-2', { view: { ...BASE, id: 'p-2' } }),
      event(12, 'p-1', { changes: {} }),
      event(13, 'p-2', { changes: { priority: 1 } }),
      event(14, 'agent:p', { changes: { title: 'not a task' } }, 'agent'),
    ];
    const p1 = { ...BASE, status: 'in_progress' as const, status_code: 1, title: 'T2', version: 4, updated_at: 10 };
    for (const events of [list(), list().reverse()]) {
      asked.length = 0;
      read = 0;
      withWholeViews(events, earlier);
      const bySeq = new Map(events.map((e) => [e.seq, e.payload]));
      expect(bySeq.get(10)).toMatchObject({ view: p1 });
      expect(bySeq.get(12)).toMatchObject({ view: p1 });
      expect(bySeq.get(13)).toMatchObject({ view: { ...BASE, id: 'p-2', priority: 1 } });
      for (const seq of [10, 12, 13]) expect(bySeq.get(seq)!.changes).toBeUndefined();
      // Only tasks are folded; p-1's earlier rows are read once, up to its whole view.
      expect(bySeq.get(14)).toMatchObject({ changes: { title: 'not a task' } });
      expect(bySeq.get(14)!.view).toBeUndefined();
      expect(asked).toEqual(['p-1<10']);
      expect(read).toBe(3);
    }
  });

  it('leaves an event whose task has no whole view before it with its changes and no view', () => {
    const events = [event(5, 'p-1', { changes: { version: 2 } })];
    withWholeViews(events, () => []);
    expect(events[0]!.payload.view).toBeUndefined();
    expect(events[0]!.payload.changes).toEqual({ version: 2 });
  });
});
