import { afterEach, describe, expect, it } from 'vitest';
import { MissionError, ManualClock, type TaskView } from '../../src/core/index.js';
import { ADMIN, agentBy, dumpRows, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

async function fixture(dir?: string): Promise<RuntimeFixture> {
  const f = await openRuntime({ clock: new ManualClock(), scheduling: false }, dir);
  open.push(f);
  return f;
}

async function seed(f: RuntimeFixture): Promise<void> {
  await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
  await f.exec('project.init', { project_name: 'Vanguard', base_id: ['shuri'] });
}

async function caught(p: Promise<unknown>): Promise<MissionError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MissionError) return err;
    throw err;
  }
  throw new Error('expected a MissionError');
}

describe('actor host', () => {
  it('refuses an illegal move with the state and the allowed targets, and changes nothing', async () => {
    const f = await fixture();
    await seed(f);
    await f.exec('task.create', { project_id: 'vanguard', title: 'T', assignee_id: 'shuri' });
    const before = dumpRows(f.store);
    const err = await caught(f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' }));
    expect(err.code).toBe('ILLEGAL_TRANSITION');
    expect(err.data.state).toBe('backlog');
    // SPEC §3 from backlog, for a human: start (no deps), block, archive.
    expect(err.data.allowed).toEqual(['in_progress', 'blocked', 'archived']);
    expect(dumpRows(f.store)).toEqual(before);
    const entry = f.rt.host.find('vanguard-1')!;
    expect(f.rt.host.snapshot(entry).value).toBe('backlog');
    expect((f.rt.host.snapshot(entry).context as { version: number }).version).toBe(1);
  });

  it('refuses a command whose second event is illegal without applying its first', async () => {
    const f = await fixture();
    await seed(f);
    await f.exec('task.create', { project_id: 'vanguard', title: 'T', assignee_id: 'shuri' });
    const shuri = agentBy('shuri', 'vanguard');
    await f.exec('agent.pause', { instance_id: 'shuri:vanguard' });
    const before = dumpRows(f.store);
    // request_help blocks the task (legal) and asks the agent actor (paused: refuses help_requested).
    const err = await caught(f.exec('control.request_help', { task_id: 'vanguard-1', issue: 'stuck' }, shuri));
    expect(err.code).toBe('ILLEGAL_TRANSITION');
    expect(dumpRows(f.store)).toEqual(before);
    expect(f.rt.host.snapshot(f.rt.host.find('vanguard-1')!).value).toBe('backlog');
  });

  it('answers a repeated idempotency key with the first answer without re-applying', async () => {
    const f = await fixture();
    await seed(f);
    const [a, b] = await Promise.all([
      f.exec('task.create', { project_id: 'vanguard', title: 'Same' }, ADMIN, 'k1'),
      f.exec('task.create', { project_id: 'vanguard', title: 'Same' }, ADMIN, 'k1'),
    ]);
    const c = await f.exec('task.create', { project_id: 'vanguard', title: 'Same' }, ADMIN, 'k1');
    expect((a as TaskView).id).toBe('vanguard-1');
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(f.rt.repos.tasks.count('vanguard')).toBe(1);
    // Two identical tasks on purpose (no key, or another key) are two tasks.
    const d = (await f.exec('task.create', { project_id: 'vanguard', title: 'Same' }, ADMIN, 'k2')) as TaskView;
    expect(d.id).toBe('vanguard-2');

    // An error answer is kept too: the same key stays refused after the move became legal.
    const refused = await caught(f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' }, ADMIN, 'm1'));
    expect(refused.code).toBe('ILLEGAL_TRANSITION');
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' });
    const again = await caught(f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' }, ADMIN, 'm1'));
    expect(again.code).toBe('ILLEGAL_TRANSITION');
    expect(f.rt.repos.tasks.get('vanguard-1')!.status).toBe('in_progress');
  });

  it('group-commits concurrent commands in few transactions with gap-free seqs', async () => {
    const f = await fixture();
    await seed(f);
    const tx0 = f.rt.committer.transactions;
    const n = 200;
    const views = (await Promise.all(Array.from({ length: n }, (_, i) => f.exec('task.create', { project_id: 'vanguard', title: `t${i}` })))) as TaskView[];
    const transactions = f.rt.committer.transactions - tx0;
    expect(transactions).toBeGreaterThanOrEqual(1);
    expect(transactions).toBeLessThanOrEqual(4);
    expect(new Set(views.map((v) => v.id)).size).toBe(n);
    const seqs = f.store.db.prepare(`SELECT seq FROM events WHERE project_id = 'vanguard' ORDER BY seq`).all() as { seq: number }[];
    expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(f.rt.repos.projects.get('vanguard')!.last_seq).toBe(seqs.length);
    // One snapshot per actor however many events it had in the batch.
    const snaps = f.store.db.prepare(`SELECT count(*) AS n FROM actor_snapshot_rows`).get() as { n: number };
    expect(snaps.n).toBe(n + 2);
  });

  it('fails every command of a failed transaction and rolls the actors back to their committed snapshot', async () => {
    const f = await fixture();
    await seed(f);
    await f.exec('task.create', { project_id: 'vanguard', title: 'A' });
    await f.exec('task.create', { project_id: 'vanguard', title: 'B' });
    f.store.db.exec(`CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.type = 'task.updated' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    const before = dumpRows(f.store);
    const results = await Promise.allSettled([
      f.exec('task.update', { task_id: 'vanguard-1', title: 'A2' }),
      f.exec('task.move', { task_id: 'vanguard-2', new_status: 'in_progress' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(((results[0] as PromiseRejectedResult).reason as MissionError).code).toBe('STORE_UNAVAILABLE');
    expect(dumpRows(f.store)).toEqual(before);
    const a = f.rt.host.find('vanguard-1')!;
    const b = f.rt.host.find('vanguard-2')!;
    expect((f.rt.host.snapshot(a).context as { title: string; version: number }).title).toBe('A');
    expect(f.rt.host.snapshot(b).value).toBe('backlog');
    f.store.db.exec('DROP TRIGGER boom');
    const updated = (await f.exec('task.update', { task_id: 'vanguard-1', title: 'A2', expected_version: 1 })) as TaskView;
    expect(updated.version).toBe(2);
    expect(f.rt.repos.tasks.get('vanguard-1')!.title).toBe('A2');
  });

  it('passivates done tasks and activates them on demand', async () => {
    const f = await fixture();
    await seed(f);
    await f.exec('task.create', { project_id: 'vanguard', title: 'T' });
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' });
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' });
    expect(f.rt.host.isResident('vanguard-1')).toBe(false);
    expect(f.rt.repos.snapshots.get('vanguard-1')!.passive).toBe(1);
    // A refused command activates it to check, then lets it sleep again.
    expect((await caught(f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }))).code).toBe('ILLEGAL_TRANSITION');
    expect(f.rt.host.isResident('vanguard-1')).toBe(false);
    const reopened = (await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'backlog' })) as TaskView;
    expect(reopened.status).toBe('backlog');
    expect(reopened.version).toBe(4);
    expect(f.rt.host.isResident('vanguard-1')).toBe(true);
    expect(f.rt.repos.snapshots.get('vanguard-1')!.passive).toBe(0);
  });

  it('restores resident actors after a restart, migrating old snapshot versions', async () => {
    const f = await fixture();
    await seed(f);
    await f.exec('task.create', { project_id: 'vanguard', title: 'Old', assignee_id: 'shuri' });
    await f.exec('task.create', { project_id: 'vanguard', title: 'Done' });
    await f.exec('task.move', { task_id: 'vanguard-2', new_status: 'in_progress' });
    await f.exec('task.move', { task_id: 'vanguard-2', new_status: 'done' });
    // vanguard-1 as a v0 task row (v0 tasks carried no help_answer), and the project as a v1
    // snapshot, which still counted board changes in `kanban_version`.
    f.store.db.prepare('UPDATE tasks SET machine_version = 0, help_answer = NULL WHERE id = ?').run('vanguard-1');
    const project = JSON.parse(f.rt.repos.snapshots.get('vanguard')!.snapshot) as { context: Record<string, unknown> };
    project.context.kanban_version = 7;
    f.store.db.prepare('UPDATE actor_snapshots SET snapshot = ?, machine_version = 1 WHERE actor_id = ?').run(JSON.stringify(project), 'vanguard');
    await f.close();
    open.pop();

    const g = await fixture(f.dir);
    expect(g.rt.host.isResident('vanguard-1')).toBe(true);
    expect(g.rt.host.isResident('shuri:vanguard')).toBe(true);
    expect(g.rt.host.isResident('vanguard')).toBe(true);
    expect(g.rt.host.isResident('vanguard-2')).toBe(false);
    const ctx = g.rt.host.snapshot(g.rt.host.find('vanguard-1')!).context as { help_answer: unknown; title: string };
    expect(ctx.help_answer).toBeNull();
    expect(ctx.title).toBe('Old');
    expect(g.rt.host.snapshot(g.rt.host.find('vanguard')!).context).not.toHaveProperty('kanban_version');
    const moved = (await g.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }, agentBy('shuri', 'vanguard'))) as TaskView;
    expect(moved.status).toBe('in_progress');
    expect(g.rt.repos.agents.get('shuri:vanguard')!.current_task_id).toBe('vanguard-1');
    // The next commit writes the task at the current machine version.
    expect(g.rt.repos.snapshots.get('vanguard-1')!.machine_version).toBe(1);
    // Seqs continue after the restart.
    const last = g.store.db.prepare(`SELECT max(seq) AS s, count(*) AS n FROM events WHERE project_id = 'vanguard'`).get() as { s: number; n: number };
    expect(last.s).toBe(last.n);
  });

  it('refuses a snapshot newer than its machine instead of restoring it', async () => {
    const f = await fixture();
    await seed(f);
    await f.exec('task.create', { project_id: 'vanguard', title: 'Future' });
    f.store.db.prepare('UPDATE tasks SET machine_version = 99 WHERE id = ?').run('vanguard-1');
    await f.close();
    open.pop();
    const g = await fixture(f.dir);
    expect(g.rt.host.isResident('vanguard-1')).toBe(false);
    expect(g.rt.host.isResident('vanguard')).toBe(true);
  });

  it('stops gracefully: queued commands commit, new ones are refused with SHUTTING_DOWN', async () => {
    const f = await fixture();
    await seed(f);
    const pending = f.exec('task.create', { project_id: 'vanguard', title: 'last one' });
    const stopping = f.rt.stop();
    const refused = await caught(f.exec('task.create', { project_id: 'vanguard', title: 'too late' }));
    expect(refused.code).toBe('SHUTTING_DOWN');
    expect(((await pending) as TaskView).id).toBe('vanguard-1');
    await stopping;
    expect(f.rt.repos.tasks.count('vanguard')).toBe(1);
  });

  it('restores lazily: actors are ready without being created, created on first use, all at once on demand', async () => {
    const f = await fixture();
    await seed(f);
    for (let i = 1; i <= 5; i++) await f.exec('task.create', { project_id: 'vanguard', title: `T${i}` });
    // A snapshot this build cannot run (an unknown state): refused when it is created, not at start.
    const broken = JSON.parse(f.rt.repos.snapshots.get('shuri:vanguard')!.snapshot) as { value: unknown };
    broken.value = 'nowhere';
    f.store.db.prepare('UPDATE actor_snapshots SET snapshot = ? WHERE actor_id = ?').run(JSON.stringify(broken), 'shuri:vanguard');
    await f.close();
    open.pop();

    const g = await fixture(f.dir);
    // project + instance + 5 tasks are ready; none is an XState actor yet.
    expect(g.rt.host.size).toBe(7);
    expect(g.rt.host.created).toBe(0);
    const moved = (await g.exec('task.move', { task_id: 'vanguard-2', new_status: 'in_progress' })) as TaskView;
    expect(moved.status).toBe('in_progress');
    expect(g.rt.host.created).toBe(2); // the task it moved, and its project actor (told its board changed)
    expect((await caught(g.exec('agent.pause', { instance_id: 'shuri:vanguard' }))).code).toBe('INTERNAL');
    const refused = g.rt.host.activateAll();
    expect(refused).toEqual([]); // the instance was already taken out when it failed
    expect(g.rt.host.created).toBe(6);
    expect(g.rt.host.size).toBe(6);
  });
});

