import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/core/index.js';
import { CommitWriter, createBackup, verifyBackup, type WriteFailure } from '../../src/store/index.js';
import { errorCode, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * The group commit on the writer thread (`commitThread: true`): batches are built on the
 * runtime's thread and committed on the thread's own connection, in order, while the next batch
 * is built. What the store holds must be what the inline commit would have written, a failed
 * batch must fail every batch built on it, and writes that read in the transaction still work.
 */
const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

/** Every batch goes to the thread here, however small (the runtime writes small ones inline by default). */
async function threaded(groupCommit: { maxBatch?: number } = {}): Promise<RuntimeFixture> {
  const f = await openRuntime({ scheduling: false, commitThread: true, groupCommit: { threadMinBatch: 1, ...groupCommit } });
  open.push(f);
  await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
  await f.exec('project.init', { project_name: 'Vanguard', base_id: ['shuri'] });
  return f;
}

function seqs(f: RuntimeFixture): number[] {
  return (f.store.db.prepare("SELECT seq FROM events WHERE project_id = 'vanguard' ORDER BY seq").all() as { seq: number }[]).map((r) => r.seq);
}

function storedState(f: RuntimeFixture, id: string): unknown {
  const row = f.store.db.prepare('SELECT state_value FROM actor_snapshot_rows WHERE actor_id = ?').get(id) as { state_value: string } | undefined;
  return row ? JSON.parse(row.state_value) : undefined;
}

describe('group commit on the writer thread', () => {
  it('commits concurrent commands on the thread with gapless seqs and the snapshot of every actor', async () => {
    const f = await threaded();
    expect(f.rt.committer.threaded).toBe(true);
    const tx0 = f.rt.committer.transactions;
    const created = (await Promise.all(Array.from({ length: 300 }, (_, i) => f.exec('task.create', { project_id: 'vanguard', title: `t${i}` })))) as TaskView[];
    await Promise.all(created.map((t) => f.exec('task.move', { task_id: t.id, new_status: 'in_progress' })));
    await Promise.all(created.slice(0, 150).map((t) => f.exec('task.move', { task_id: t.id, new_status: 'done' })));
    // Batched: far fewer transactions than commands.
    expect(f.rt.committer.transactions - tx0).toBeLessThan(300);
    const all = seqs(f);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    const last = f.store.db.prepare("SELECT last_seq FROM projects WHERE id = 'vanguard'").get() as { last_seq: number };
    expect(last.last_seq).toBe(all.length);
    for (const [i, t] of created.entries()) {
      expect(storedState(f, t.id)).toBe(i < 150 ? 'done' : 'in_progress');
      const row = f.store.db.prepare('SELECT status FROM tasks WHERE id = ?').get(t.id) as { status: number };
      expect(row.status).toBe(i < 150 ? 2 : 1);
    }
    // Done tasks were passivated once their commit was in; the rest stay resident.
    expect(f.rt.host.isResident(created[0]!.id)).toBe(false);
    expect(f.rt.host.isResident(created[299]!.id)).toBe(true);
  });

  it('answers a command only once its rows are in the database (flush waits for the thread)', async () => {
    const f = await threaded();
    const pending = f.exec('task.create', { project_id: 'vanguard', title: 'durable' });
    f.rt.committer.flush();
    expect(f.rt.committer.pending).toBe(0);
    const view = (await pending) as TaskView;
    expect(f.store.db.prepare('SELECT title FROM tasks WHERE id = ?').get(view.id)).toEqual({ title: 'durable' });
  });

  it('a batch refused by SQLite on the thread fails with its code, every batch sent behind it fails, and their actors roll back', async () => {
    // One unit per batch: each command below is its own batch, sent at once.
    const f = await threaded({ maxBatch: 1 });
    const tasks = (await Promise.all([1, 2, 3].map((i) => f.exec('task.create', { project_id: 'vanguard', title: `t${i}` })))) as TaskView[];
    const before = seqs(f);
    f.store.db.exec("CREATE TRIGGER refuse_start BEFORE INSERT ON events WHEN NEW.type = 'task.moved' AND NEW.actor_id = 'vanguard-1' BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
    const first = errorCode(f.exec('task.move', { task_id: tasks[0]!.id, new_status: 'in_progress' }));
    const behind = errorCode(f.exec('task.move', { task_id: tasks[1]!.id, new_status: 'in_progress' }));
    expect(await first).toBe('STORE_UNAVAILABLE');
    // Built on the refused batch (its seqs follow it): refused by the thread without a write.
    expect(await behind).toBe('STORE_UNAVAILABLE');
    expect(f.rt.committer.failedTransactions).toBe(2);
    for (const t of tasks.slice(0, 2)) {
      expect(f.rt.host.find(t.id)!.actor.getSnapshot().value).toBe('backlog');
      expect(storedState(f, t.id)).toBe('backlog');
    }
    expect(seqs(f)).toEqual(before);

    // A batch sent after the failure is a new generation: it commits, with the next seq.
    await f.exec('task.move', { task_id: tasks[2]!.id, new_status: 'in_progress' });
    f.store.db.exec('DROP TRIGGER refuse_start');
    await Promise.all(tasks.slice(0, 2).map((t) => f.exec('task.move', { task_id: t.id, new_status: 'in_progress' })));
    for (const t of tasks) expect(storedState(f, t.id)).toBe('in_progress');
    const after = seqs(f);
    expect(after).toEqual(Array.from({ length: before.length + 3 }, (_, i) => i + 1));
    expect(f.rt.committer.threaded).toBe(true);
  });

  it('a batch written inline after a refused one on the thread fails too: it was built on the refused state', async () => {
    const f = await threaded({ maxBatch: 1 });
    const task = (await f.exec('task.create', { project_id: 'vanguard', title: 't' })) as TaskView;
    const before = seqs(f);
    f.store.db.exec("CREATE TRIGGER refuse_start BEFORE INSERT ON events WHEN NEW.type = 'task.moved' BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
    const move = errorCode(f.exec('task.move', { task_id: task.id, new_status: 'in_progress' }));
    // A comment's fan-out reads in the transaction: it is written inline, after the thread drained.
    const comment = errorCode(f.exec('task.comment', { task_id: task.id, text: 'on it' }));
    expect(await move).toBe('STORE_UNAVAILABLE');
    expect(await comment).toBe('STORE_UNAVAILABLE');
    expect(f.rt.host.find(task.id)!.actor.getSnapshot().value).toBe('backlog');
    expect(storedState(f, task.id)).toBe('backlog');
    expect(seqs(f)).toEqual(before);
    f.store.db.exec('DROP TRIGGER refuse_start');
    await f.exec('task.comment', { task_id: task.id, text: 'on it' });
    expect(seqs(f)).toEqual([...before, before.length + 1]);
  });

  it('a batch holding a value the thread cannot receive fails alone and changes nothing', async () => {
    const f = await threaded();
    const settings = f.store.db.prepare("SELECT settings FROM projects WHERE id = 'vanguard'").get();
    const bad = f.rt.runInternal((unit) => unit.after.push((w) => w.projects.setSettings('vanguard', { hook: () => 1 }, unit.now)));
    expect(await errorCode(bad)).toBe('STORE_UNAVAILABLE');
    expect(f.store.db.prepare("SELECT settings FROM projects WHERE id = 'vanguard'").get()).toEqual(settings);
    await f.exec('task.create', { project_id: 'vanguard', title: 'after' });
    const all = seqs(f);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(f.rt.committer.threaded).toBe(true);
  });

  it('writes a batch whose rows need a read in the transaction inline, in seq order with the threaded ones', async () => {
    const f = await threaded();
    const task = (await f.exec('task.create', { project_id: 'vanguard', title: 't', assignee_id: 'shuri' })) as TaskView;
    const moves = Array.from({ length: 20 }, (_, i) => f.exec('task.update', { task_id: task.id, title: `t${i}` }));
    const comment = f.exec('task.comment', { task_id: task.id, text: 'hello @shuri' });
    const sent = (await f.exec('message.send', { project_id: 'vanguard', to: 'shuri', text: 'ping' })) as { message_id: number };
    await Promise.all([...moves, comment]);
    expect(sent.message_id).toBeGreaterThan(0);
    expect(f.store.db.prepare('SELECT text FROM messages WHERE id = ?').get(sent.message_id)).toEqual({ text: 'ping' });
    const all = seqs(f);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(f.rt.committer.threaded).toBe(true);
  });

  it('an online backup finishes while the writer thread keeps committing (a stepped copy would restart on every commit)', async () => {
    const f = await threaded();
    // Enough pages that a copy of 100 pages per step would need many steps.
    await Promise.all(Array.from({ length: 1000 }, (_, i) => f.exec('task.create', { project_id: 'vanguard', title: `t${i}`, description: 'x'.repeat(2000) })));
    let writing = true;
    let committed = 0;
    // Eight writers: a commit lands every few milliseconds for as long as the backup runs.
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (writing) {
          await f.exec('task.create', { project_id: 'vanguard', title: 'during backup' });
          committed++;
        }
      }),
    );
    const out = mkdtempSync(join(tmpdir(), 'mc-backup-'));
    try {
      const started = performance.now();
      await createBackup({ db: f.store.db, dataDir: f.dir, file: join(out, 'b.tar.gz') });
      const tookMs = performance.now() - started;
      writing = false;
      await load;
      expect(committed).toBeGreaterThan(0);
      expect(tookMs).toBeLessThan(15_000);
      const manifest = await verifyBackup(join(out, 'b.tar.gz'), join(out, 'check'));
      expect(manifest.files.some((m) => m.path === 'mission-control.db')).toBe(true);
    } finally {
      writing = false;
      await load;
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('says when the thread is ready, and keeps a process that awaits it alive until then', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-writer-ready-'));
    try {
      // In a process with nothing else to run (the thread and the port are not referenced once
      // the thread is up): the await must keep it alive until the thread says it is ready.
      const url = new URL('../../src/store/index.ts', import.meta.url).href;
      const script = `
        const { CommitWriter, openStore } = await import(${JSON.stringify(url)});
        const store = await openStore({ dataDir: ${JSON.stringify(dir)} });
        const file = store.db.name;
        store.close();
        const writer = new CommitWriter({ file });
        await writer.ready;
        const failure = await new Promise((resolve) => writer.submit(0, [{ repo: 'idempotency', method: 'put', calls: [['user:1', 'k', 'c', { ok: true, result: 1 }, 1]] }], resolve));
        console.log(JSON.stringify({ alive: writer.alive, failure }));
        await writer.close();`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(child.stderr).not.toMatch(/Error/);
      expect(child.status).toBe(0);
      expect(JSON.parse(child.stdout.trim())).toEqual({ alive: true, failure: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the runtime is ready once its writer thread is; inline, at once', async () => {
    const f = await openRuntime({ scheduling: false, commitThread: true });
    open.push(f);
    await f.rt.ready();
    expect(f.rt.committer.threaded).toBe(true);
    const inline = await openRuntime({ scheduling: false });
    open.push(inline);
    let settled = false;
    void inline.rt.ready().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(true);
    expect(inline.rt.committer.threaded).toBe(false);
  });

  it('a writer thread that cannot open the database fails what it was sent and reports itself dead', async () => {
    let died: WriteFailure | null = null;
    const writer = new CommitWriter({ file: join(tmpdir(), 'mc-no-such-dir', 'x', 'mission-control.db') }, (f) => (died = f));
    // `ready` settles on the failure too: whoever waits for it goes on (commits then run inline).
    await writer.ready;
    expect(writer.alive).toBe(false);
    const answer = new Promise<WriteFailure | null>((resolve) => writer.submit(0, [{ repo: 'projects', method: 'setLastSeq', calls: [['p', 1]] }], resolve));
    const failure = await answer;
    expect(failure?.message).toMatch(/directory does not exist|unable to open|SQLITE_CANTOPEN/i);
    expect(writer.alive).toBe(false);
    expect(died).toEqual(failure);
    // Later batches are refused at once; the group commit writes inline instead.
    const later = await new Promise<WriteFailure | null>((resolve) => writer.submit(0, [], resolve));
    expect(later).toEqual(failure);
    await writer.close();
  });
});
