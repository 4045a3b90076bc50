import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, WHOLE_VIEW_EVERY, type CommittedEvent, type TaskView } from '../../src/core/index.js';
import type { TaskEvent } from '../../src/machines/index.js';
import { CommitUnit } from '../../src/actors/index.js';
import { QueriesRepo } from '../../src/store/index.js';
import { ADMIN, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * A task's event log stores the fields of its view that changed, and now and then its whole view
 * (src/core/view-changes.ts), while everything that reads events (the runtime's listeners, the
 * repositories behind the feed replay, the inspector's history, the standup) still gets every
 * task event with its whole view. Checked on a real runtime and SQLite file: the stored rows
 * against what each command changes (written here from SPEC §3: codes backlog 0, in_progress 1,
 * blocked 3), the readers against the views the runtime published live.
 */
const fixtures: RuntimeFixture[] = [];
afterEach(async () => {
  // Newest first: a restarted runtime shares its data dir with the one before it.
  for (const f of fixtures.splice(0).reverse()) await f.dispose();
});

interface StoredRow {
  seq: number;
  type: string;
  payload: string;
}

interface StoredPayload {
  view?: TaskView;
  changes?: Partial<TaskView>;
}

async function runtime(clock?: ManualClock, dir?: string): Promise<RuntimeFixture> {
  const f = await openRuntime({ ...(clock ? { clock } : {}), scheduling: false }, dir);
  fixtures.push(f);
  return f;
}

/** Every task event's whole view as the runtime published it after its commit, by seq. */
function liveViews(f: RuntimeFixture, into = new Map<number, TaskView>()): Map<number, TaskView> {
  f.rt.onCommitted((events) => {
    for (const e of events) if (e.actor_kind === 'task') into.set(e.seq, structuredClone(e.payload.view as TaskView));
  });
  return into;
}

function storedRows(f: RuntimeFixture, taskId: string): StoredRow[] {
  return f.store.db.prepare('SELECT seq, type, payload FROM events WHERE actor_id = ? ORDER BY seq').all(taskId) as StoredRow[];
}

/** Each read task event has its whole view, the one published live, and no `changes`. */
function expectWholeViews(events: CommittedEvent[], live: Map<number, TaskView>): void {
  const tasks = events.filter((e) => e.actor_kind === 'task');
  expect(tasks.length).toBeGreaterThan(0);
  for (const e of tasks) {
    expect(e.payload.changes, `seq ${e.seq}`).toBeUndefined();
    expect(e.payload.view, `seq ${e.seq}`).toEqual(live.get(e.seq));
  }
}

describe('the task event log', () => {
  it('stores a task whole at creation, then what each command changed, and every reader gets whole views back', async () => {
    const clock = new ManualClock();
    const f = await runtime(clock);
    const live = liveViews(f);
    await f.exec('project.init', { project_name: 'log' });
    const description = 'A long brief. '.repeat(400);
    const task = (await f.exec('task.create', { project_id: 'log', title: 'Ship it', description })) as TaskView;
    const t0 = clock.now();
    clock.advance(1_000);
    await f.exec('task.move', { task_id: task.id, new_status: 'in_progress' });
    clock.advance(1_000);
    await f.exec('task.move', { task_id: task.id, new_status: 'blocked', reason: 'waiting for keys' });
    clock.advance(1_000);
    await f.exec('task.comment', { task_id: task.id, text: 'keys are on their way' });
    clock.advance(1_000);
    await f.exec('task.update', { task_id: task.id, title: 'Ship it now' });

    const rows = storedRows(f, task.id);
    expect(rows.map((r) => r.type)).toEqual(['task.created', 'task.moved', 'task.moved', 'task.commented', 'task.updated']);
    const stored = rows.map((r) => JSON.parse(r.payload) as StoredPayload);
    expect(stored[0]!.view).toMatchObject({ id: task.id, title: 'Ship it', description, status: 'backlog', status_code: 0, version: 1, created_at: t0, updated_at: t0 });
    expect(stored[0]!.changes).toBeUndefined();
    const expectedChanges: Partial<TaskView>[] = [
      { status: 'in_progress', status_code: 1, version: 2, updated_at: t0 + 1_000 },
      { status: 'blocked', status_code: 3, version: 3, blocked_reason: 'waiting for keys', blocked_from: 'in_progress', updated_at: t0 + 2_000 },
      {},
      { title: 'Ship it now', version: 4, updated_at: t0 + 4_000 },
    ];
    stored.slice(1).forEach((p, i) => {
      expect(p.view, rows[i + 1]!.type).toBeUndefined();
      expect(p.changes, rows[i + 1]!.type).toEqual(expectedChanges[i]);
    });
    // The description went into the log once, not with every event.
    for (const r of rows.slice(1)) expect(r.payload.length).toBeLessThan(400);
    expect(rows[0]!.payload.length).toBeGreaterThan(description.length);

    const seqs = rows.map((r) => r.seq);
    expect([...live.keys()]).toEqual(seqs);
    expect(live.get(seqs[4]!)).toMatchObject({ title: 'Ship it now', description, status: 'blocked', version: 4, blocked_reason: 'waiting for keys' });
    const { events } = f.rt.repos;
    expectWholeViews(events.since('log', 0), live);
    expectWholeViews(events.since('log', seqs[2]!), live);
    expectWholeViews(events.forActor(task.id), live);
    expectWholeViews(events.forActor(task.id, seqs[4], 2), live);
    const queries = new QueriesRepo(f.store.db);
    expectWholeViews(queries.actorEvents(task.id, undefined, 200), live);
    expectWholeViews(queries.actorEvents(task.id, seqs[4], 1), live);
    expectWholeViews(queries.projectEventsAfter('log', seqs[3]!, 10), live);
  });

  it('stores the first event after a restart whole, and a whole view at least every WHOLE_VIEW_EVERY events', async () => {
    const first = await runtime();
    const live = liveViews(first);
    await first.exec('project.init', { project_name: 'log' });
    const task = (await first.exec('task.create', { project_id: 'log', title: 'Chatty' })) as TaskView;
    for (let i = 0; i < 2 * WHOLE_VIEW_EVERY + 3; i++) {
      await first.exec('task.comment', { task_id: task.id, text: `note ${i}` });
    }
    await first.close();
    const second = await runtime(undefined, first.dir);
    liveViews(second, live);
    await second.exec('task.comment', { task_id: task.id, text: 'after the restart' });
    await second.exec('task.move', { task_id: task.id, new_status: 'in_progress' });

    const stored = storedRows(second, task.id).map((r) => JSON.parse(r.payload) as StoredPayload);
    const whole = stored.flatMap((p, i) => (p.view ? [i] : []));
    const n = stored.length;
    // Creation, every WHOLE_VIEW_EVERY-th event, and the first after the restart (index n - 2).
    expect(whole).toEqual([0, WHOLE_VIEW_EVERY, 2 * WHOLE_VIEW_EVERY, n - 2]);
    for (const [i, p] of stored.entries()) if (!whole.includes(i)) expect(p.changes, `event ${i}`).toBeDefined();
    expectWholeViews(second.rt.repos.events.forActor(task.id), live);
    expectWholeViews(second.rt.repos.events.forActor(task.id, undefined, 5), live);
    expectWholeViews(second.rt.repos.events.since('log', 0), live);
  });

  it('renders a task event\'s view only when something reads it: its stored whole view, a live listener', async () => {
    const f = await runtime();
    await f.exec('project.init', { project_name: 'log' });
    const task = (await f.exec('task.create', { project_id: 'log', title: 'Quiet' })) as TaskView;
    const spec = f.rt.host.spec('task');
    const render = spec.view.bind(spec);
    let renders = 0;
    spec.view = (snap, meta) => {
      renders++;
      return render(snap, meta);
    };
    // Events applied and committed as a command does, without the command's answer (a view).
    const commit = async (event: TaskEvent): Promise<void> => {
      const unit = new CommitUnit(Date.now());
      f.rt.host.apply(unit, f.rt.host.require(task.id, 'task'), event, 'task.moved');
      await f.rt.committer.enqueue(unit);
    };
    await commit({ type: 'start', by: ADMIN, deps_done: true });
    await commit({ type: 'block', by: ADMIN, reason: 'stuck' });
    await commit({ type: 'unblock', by: ADMIN });
    // Stored as changes, and nothing read their views (the project's hooks look at the state first).
    expect(renders).toBe(0);
    const live: TaskView[] = [];
    f.rt.onCommitted((events) => {
      for (const e of events) if (e.actor_kind === 'task') live.push(e.payload.view as TaskView);
    });
    await commit({ type: 'submit', by: ADMIN });
    expect(live.map((v) => v.status)).toEqual(['done']);
    expect(renders).toBe(1);
  });

  it('stores whole the events a commit writes out of the order they were recorded in', async () => {
    const f = await runtime();
    const live = liveViews(f);
    await f.exec('project.init', { project_name: 'log' });
    const task = (await f.exec('task.create', { project_id: 'log', title: 'Raced' })) as TaskView;
    const entry = f.rt.host.require(task.id, 'task');
    // Two units change the task in memory; the later one reaches the commit first.
    const first = new CommitUnit(Date.now());
    f.rt.host.apply(first, entry, { type: 'start', by: ADMIN, deps_done: true }, 'task.moved');
    const second = new CommitUnit(Date.now());
    f.rt.host.apply(second, entry, { type: 'block', by: ADMIN, reason: 'raced' }, 'task.moved');
    await Promise.all([f.rt.committer.enqueue(second), f.rt.committer.enqueue(first)]);
    const rows = storedRows(f, task.id).map((r) => JSON.parse(r.payload) as StoredPayload);
    expect(rows.map((p) => p.view?.status)).toEqual(['backlog', 'blocked', 'in_progress']);
    await f.exec('task.move', { task_id: task.id, new_status: 'in_progress' });
    expectWholeViews(f.rt.repos.events.forActor(task.id), live);
  });

  it('keeps a task history readable when pruning drops the event holding its whole view', async () => {
    const f = await runtime();
    const live = liveViews(f);
    await f.exec('project.init', { project_name: 'log' });
    const task = (await f.exec('task.create', { project_id: 'log', title: 'Old', description: 'kept in the view' })) as TaskView;
    for (const [status, reason] of [['in_progress'], ['blocked', 'stuck'], ['in_progress']] as const) {
      await f.exec('task.move', { task_id: task.id, new_status: status, ...(reason ? { reason } : {}) });
    }
    const before = storedRows(f, task.id);
    expect(JSON.parse(before[1]!.payload)).not.toHaveProperty('view');

    // Keep only the task's last two events: its creation (the whole view) goes.
    const lastSeq = before[before.length - 1]!.seq;
    const queries = new QueriesRepo(f.store.db);
    const removed = queries.pruneEvents('log', lastSeq - before[2]!.seq + 1);
    expect(removed).toBeGreaterThan(0);
    const after = storedRows(f, task.id);
    expect(after.map((r) => r.seq)).toEqual([before[2]!.seq, before[3]!.seq]);
    expect((JSON.parse(after[0]!.payload) as StoredPayload).view).toEqual(live.get(before[2]!.seq));
    expectWholeViews(f.rt.repos.events.forActor(task.id), live);
    expectWholeViews(queries.projectEventsAfter('log', 0, 100), live);
  });
});
