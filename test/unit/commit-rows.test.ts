import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, type MissionError } from '../../src/core/index.js';
import { TasksRepo, type TaskRecord } from '../../src/store/index.js';
import { openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * What one group commit writes per actor, as the store's readers see it (`actor_snapshot_rows`):
 * the snapshot holds XState's persisted snapshot of the actor (a task's rendered from its
 * `tasks` row), its `passive` flag follows the state (and with it what a restart makes
 * resident), and the `tasks` row keeps its first start and last completion.
 */
const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

async function fixture(clock: ManualClock, dir?: string): Promise<RuntimeFixture> {
  const f = await openRuntime({ clock, scheduling: false }, dir);
  open.push(f);
  return f;
}

interface Stored {
  snapshot: string;
  passive: number;
  state_value: string;
}

function stored(f: RuntimeFixture, id: string): Stored {
  return f.store.db.prepare('SELECT snapshot, passive, state_value FROM actor_snapshot_rows WHERE actor_id = ?').get(id) as Stored;
}

function times(f: RuntimeFixture, id: string): { status: number; started_at: number | null; completed_at: number | null; updated_at: number } {
  return f.store.db.prepare('SELECT status, started_at, completed_at, updated_at FROM tasks WHERE id = ?').get(id) as never;
}

describe('commit rows', () => {
  it('stores XState getPersistedSnapshot for tasks, agents and projects in every state they pass', async () => {
    const clock = new ManualClock(1_000);
    const f = await fixture(clock);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    // Settings away from the defaults, so every context key of a task has a value of its own.
    await f.exec('project.init', { project_name: 'Vanguard', base_id: ['shuri'], settings: { require_review: true, max_attempts: 5 } });
    await f.exec('task.create', { project_id: 'vanguard', title: 'T', assignee_id: 'shuri', depends_on: [] });
    await f.exec('task.create', { project_id: 'vanguard', title: 'U "quoted" ✓', description: 'line\nline', priority: 1, depends_on: ['vanguard-1'] });
    const ids = ['vanguard', 'shuri:vanguard', 'vanguard-1', 'vanguard-2'];
    const check = (id: string): void => {
      const persisted = JSON.stringify(f.rt.host.find(id)!.actor.getPersistedSnapshot());
      // Agents and projects store XState's text; a task's row renders the same JSON (keys in the view's order).
      if (id.startsWith('vanguard-')) expect(JSON.parse(stored(f, id).snapshot)).toEqual(JSON.parse(persisted));
      else expect(stored(f, id).snapshot).toBe(persisted);
    };
    for (const id of ids) check(id);
    const moves: [string, Record<string, unknown>][] = [
      ['task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }],
      ['task.move', { task_id: 'vanguard-1', new_status: 'blocked', reason: 'waiting on a key' }],
      ['task.answer_help', { task_id: 'vanguard-1', answer: 'here it is' }],
      ['task.move', { task_id: 'vanguard-1', new_status: 'review' }],
      ['task.move', { task_id: 'vanguard-1', new_status: 'done' }],
      ['task.move', { task_id: 'vanguard-2', new_status: 'in_progress' }],
      ['agent.pause', { instance_id: 'shuri:vanguard' }],
      ['agent.resume', { instance_id: 'shuri:vanguard' }],
    ];
    for (const [name, params] of moves) {
      clock.advance(1_000);
      await f.exec(name as never, params as never);
      for (const id of ids) check(id);
    }
  });

  it('flips passive with the state (done, reopened, done again) and a restart makes resident exactly the non-passive', async () => {
    const clock = new ManualClock(10_000);
    const f = await fixture(clock);
    await f.exec('project.init', { project_name: 'Vanguard' });
    await f.exec('task.create', { project_id: 'vanguard', title: 'A' });
    await f.exec('task.create', { project_id: 'vanguard', title: 'B' });
    // Expected per step, written from SPEC §3 (done and archived tasks are passive): [status code, passive, started_at, completed_at].
    const steps: { move: string; a: [number, number, number | null, number | null] }[] = [
      { move: 'in_progress', a: [1, 0, 11_000, null] },
      { move: 'done', a: [2, 1, 11_000, 12_000] },
      { move: 'backlog', a: [0, 0, 11_000, null] },
      { move: 'in_progress', a: [1, 0, 11_000, null] },
      { move: 'done', a: [2, 1, 11_000, 15_000] },
    ];
    for (const step of steps) {
      clock.advance(1_000);
      await f.exec('task.move', { task_id: 'vanguard-1', new_status: step.move as never });
      const t = times(f, 'vanguard-1');
      expect([t.status, stored(f, 'vanguard-1').passive, t.started_at, t.completed_at]).toEqual(step.a);
      expect(t.updated_at).toBe(clock.now());
      expect(f.rt.host.isResident('vanguard-1')).toBe(step.a[1] === 0);
    }
    expect(stored(f, 'vanguard-2').passive).toBe(0);
    // Reopen once more and restart: the reopened task is resident again, from its committed row.
    clock.advance(1_000);
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'backlog' });
    expect(stored(f, 'vanguard-1').passive).toBe(0);
    const dir = f.dir;
    await f.close();
    const g = await fixture(clock, dir);
    expect(g.rt.host.residentIds('task').sort()).toEqual(['vanguard-1', 'vanguard-2']);
    expect(g.rt.host.snapshot(g.rt.host.find('vanguard-1')!).value).toBe('backlog');
    await g.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' });
    expect(times(g, 'vanguard-1')).toMatchObject({ status: 1, started_at: 11_000, completed_at: null });
    expect(JSON.parse(stored(g, 'vanguard-1').state_value)).toBe('in_progress');
  });

  it('commits a done task archived alongside a refused move as a restorable snapshot, never a stopped one', async () => {
    const f = await fixture(new ManualClock(1_000));
    await f.exec('project.init', { project_name: 'Vanguard' });
    for (const id of ['vanguard-1', 'vanguard-2']) {
      await f.exec('task.create', { project_id: 'vanguard', title: id });
      await f.exec('task.move', { task_id: id, new_status: 'in_progress' });
      await f.exec('task.move', { task_id: id, new_status: 'done' });
    }
    // Both tasks are passive (out of memory). The refused move releases what it activated while
    // the archive, passive before and after, waits between its handler and its commit.
    const refused = f.exec('task.move', { task_id: 'vanguard-2', new_status: 'review' }).catch((err: { code?: string }) => err.code);
    const archived = f.exec('task.move', { task_id: 'vanguard-1', new_status: 'archived' });
    const refusedAgain = f.exec('task.move', { task_id: 'vanguard-2', new_status: 'review' }).catch((err: { code?: string }) => err.code);
    expect(await Promise.all([refused, archived, refusedAgain])).toMatchObject(['ILLEGAL_TRANSITION', { status: 'archived' }, 'ILLEGAL_TRANSITION']);
    expect((JSON.parse(stored(f, 'vanguard-1').snapshot) as { status: string }).status).toBe('active');
    expect(await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'backlog' })).toMatchObject({ status: 'backlog' });
  });

  it('rewrites a snapshot row in place (passive and project kept) and inserts one that is missing', async () => {
    const f = await fixture(new ManualClock(1));
    const row = { actor_id: 'x-1', project_id: 'x', kind: 'task' as const, machine_id: 'task', machine_version: 1, snapshot: '{"a":1}', state_value: '"backlog"', passive: 0, seq: 1, updated_at: 1, created_at: 1 };
    f.rt.repos.snapshots.rewriteMany([['x-1', 'x', 'task', 'task', 1, '{"a":1}', '"backlog"', 0, 1, 1, 1]]);
    expect(f.rt.repos.snapshots.get('x-1')).toEqual(row);
    f.rt.repos.snapshots.rewriteMany([['x-1', 'other', 'task', 'task', 1, '{"a":2}', '"done"', 1, 2, 2, 9]]);
    // Only the snapshot, its state value, seq and update time change; the resident-index columns and creation time stay.
    expect(f.rt.repos.snapshots.get('x-1')).toEqual({ ...row, snapshot: '{"a":2}', state_value: '"done"', seq: 2, updated_at: 2 });
  });

  it("never overwrites a row that already holds a new task's id: the create fails and the row stays", async () => {
    const clock = new ManualClock(1_000);
    const f = await fixture(clock);
    await f.exec('project.init', { project_name: 'Vanguard' });
    // A row the runtime does not know about holds the id the project's counter gives next.
    const planted: TaskRecord = ['vanguard-1', 'vanguard', 'Planted', 'kept', 0, 2, null, '[]', 7, null, null, 0, 0, 3, null, 1, 0, 500, 500];
    new TasksRepo(f.store.db).upsertRecord(planted, true);
    const rows = (): unknown[] => [
      f.store.db.prepare('SELECT * FROM tasks').all(),
      f.store.db.prepare('SELECT * FROM projects').all(),
      f.store.db.prepare('SELECT count(*) AS n FROM events').get(),
    ];
    const before = rows();
    const refused = (await f.exec('task.create', { project_id: 'vanguard', title: 'New' }).catch((err: unknown) => err)) as MissionError;
    expect(refused.code).toBe('STORE_UNAVAILABLE');
    expect(refused.message).toMatch(/UNIQUE constraint failed: tasks\./);
    expect(rows()).toEqual(before);
  });

  it("takes a new task's id from the project's counter without looking it up; other actors' ids are looked up", async () => {
    const f = await fixture(new ManualClock(1_000));
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    const exists = vi.spyOn(f.rt.repos.snapshots, 'exists');
    await f.exec('project.init', { project_name: 'Vanguard', base_id: ['shuri'] });
    expect(exists.mock.calls.map(([id]) => id).sort()).toEqual(['shuri:vanguard', 'vanguard']);
    exists.mockClear();
    await f.exec('task.create', { project_id: 'vanguard', title: 'T' });
    await f.exec('task.create', { project_id: 'vanguard', title: 'U' });
    expect(exists).not.toHaveBeenCalled();
    expect(f.store.db.prepare('SELECT id FROM tasks ORDER BY n').all()).toEqual([{ id: 'vanguard-1' }, { id: 'vanguard-2' }]);
  });
});
