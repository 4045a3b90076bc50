import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, databaseFile, type SqliteDatabase } from '../../src/store/index.js';

const CHILD = join(import.meta.dirname, 'crash-child.ts');

interface Ack {
  i?: number;
  kind?: 'create' | 'move';
  task?: string;
  title?: string;
  status?: string;
  setup?: string;
  ready?: boolean;
}

const children = new Set<ChildProcess>();
let dir = '';
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  children.clear();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Where the child's group commit runs: every batch on the writer thread, or all inline. */
type Commit = 'thread' | 'inline';

/** Runs the child until `stopWhen` says so, then SIGKILLs it; returns the lines it acknowledged. */
function runChild(dataDir: string, first: number, commit: Commit, stopWhen: (acks: Ack[]) => boolean, maxMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, String(first), commit], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const acks: Ack[] = [];
    let buffer = '';
    let stderr = '';
    let killed = false;
    const kill = (): void => {
      if (killed) return;
      killed = true;
      process.kill(child.pid!, 'SIGKILL');
    };
    const timer = setTimeout(kill, maxMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        acks.push(JSON.parse(buffer.slice(0, nl)) as Ack);
        buffer = buffer.slice(nl + 1);
      }
      if (stopWhen(acks)) kill();
    });
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`child exited by itself (${code}): ${stderr}`));
    });
  });
}

interface EventRow {
  seq: number;
  ts: number;
  type: string;
  actor_id: string;
  payload: string;
  idempotency_key: string | null;
}

/** SPEC §3 status codes, as `tasks.status` stores them. */
const STATUS_CODE: Record<string, number> = { backlog: 0, in_progress: 1, done: 2, blocked: 3, archived: 4, review: 5 };
/** SPEC §3 default `max_attempts`: the deadman expiry that reaches it blocks the task. */
const MAX_ATTEMPTS = 3;
/** SPEC §3 transitions by machine event; the crash project has no require_review, so submit → done. */
const TRANSITIONS: Record<string, Record<string, string>> = {
  backlog: { start: 'in_progress', block: 'blocked', archive: 'archived' },
  in_progress: { submit: 'done', block: 'blocked', deadman_expire: 'backlog', release: 'backlog' },
  review: { approve: 'done', reject: 'in_progress', block: 'blocked' },
  done: { archive: 'archived', reopen: 'backlog' },
  blocked: { unblock: 'the state it was blocked from' },
  archived: { reopen: 'backlog' },
};
/** Task events that change its context, never its state. */
const IN_PLACE = new Set(['create', 'assign', 'update', 'comment', 'log_event']);

/** Where a task's event log says it is: its machine events replayed through the table above. */
function replayTask(taskId: string, eventTypes: string[]): { state: string; attempts: number } {
  expect(eventTypes[0], `${taskId}: first event`).toBe('create');
  let state = 'backlog';
  let blockedFrom = 'backlog';
  let attempts = 0;
  for (const type of eventTypes) {
    if (IN_PLACE.has(type)) continue;
    const target = TRANSITIONS[state]?.[type];
    if (target === undefined) throw new Error(`${taskId}: the log holds ${type} from ${state}, which SPEC §3 does not allow`);
    if (type === 'deadman_expire' && ++attempts >= MAX_ATTEMPTS) {
      [state, blockedFrom] = ['blocked', 'backlog'];
    } else if (type === 'unblock') {
      state = blockedFrom;
    } else {
      if (target === 'blocked') blockedFrom = state;
      state = target;
    }
  }
  return { state, attempts };
}

/** Every task's snapshot and projection row agree with its own event log, not with each other. */
function expectTasksAsTheirLogSays(db: SqliteDatabase, when: string): void {
  const events = db.prepare(`SELECT actor_id, payload FROM events WHERE actor_kind = 'task' ORDER BY seq`).all() as { actor_id: string; payload: string }[];
  const log = new Map<string, string[]>();
  for (const e of events) {
    const list = log.get(e.actor_id) ?? [];
    list.push((JSON.parse(e.payload) as { event: { type: string } }).event.type);
    log.set(e.actor_id, list);
  }
  const tasks = db
    .prepare('SELECT t.id, t.status, t.attempts, s.snapshot FROM tasks t LEFT JOIN actor_snapshot_rows s ON s.actor_id = t.id')
    .all() as { id: string; status: number; attempts: number; snapshot: string | null }[];
  expect(tasks.length, when).toBe(log.size);
  for (const t of tasks) {
    const expected = replayTask(t.id, log.get(t.id) ?? []);
    expect(t.snapshot, `${when}: ${t.id} has a snapshot`).not.toBeNull();
    expect((JSON.parse(t.snapshot!) as { value: unknown }).value, `${when}: ${t.id} snapshot`).toBe(expected.state);
    expect({ status: t.status, attempts: t.attempts }, `${when}: ${t.id} row`).toEqual({ status: STATUS_CODE[expected.state], attempts: expected.attempts });
  }
}

describe.each<[string, Commit]>([
  ['on the writer thread', 'thread'],
  ['inline', 'inline'],
])('crash recovery, group commit %s', (_, commit) => {
  it('keeps every acknowledged command exactly once across SIGKILLs, and the deadman fires after restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-crash-'));
    const creates = new Map<number, Ack>();
    const moves = new Map<number, Ack>();
    let next = 0;
    let takenAt: number | null = null;
    const killTimes: number[] = [];

    for (let round = 0; round < 5; round++) {
      // Kill after a random number of acknowledged commands (and at least once right after the take).
      const quota = 40 + Math.floor(Math.random() * 120);
      const acks = await runChild(dir, next, commit, (a) => a.filter((x) => x.i !== undefined).length >= quota, 20_000);
      killTimes.push(Date.now());
      for (const a of acks) {
        if (a.setup === 'taken' && takenAt === null) takenAt = Date.now();
        if (a.i === undefined) continue;
        const earlier = a.kind === 'create' ? creates.get(a.i) : moves.get(a.i);
        // A re-sent key answers exactly as the first time.
        if (earlier) expect(a).toEqual(earlier);
        (a.kind === 'create' ? creates : moves).set(a.i, a);
      }
      const acked = [...creates.keys(), ...moves.keys()];
      expect(acked.length).toBeGreaterThan(0);
      // Re-send the last few commands: their keys must not apply twice.
      next = Math.max(0, Math.max(...acked) - 3);

      const db = openDatabase(databaseFile(dir), { readonly: true });
      try {
        for (const [i, a] of creates) {
          const rows = db.prepare('SELECT id, title FROM tasks WHERE title = ?').all(`t-${i}`) as { id: string }[];
          expect(rows).toEqual([{ id: a.task, title: `t-${i}` }]);
          const evts = db.prepare(`SELECT count(*) AS n FROM events WHERE idempotency_key = ? AND type = 'task.created'`).get(`c-${i}`) as { n: number };
          expect(evts.n).toBe(1);
        }
        for (const [i, a] of moves) {
          const evts = db.prepare(`SELECT count(*) AS n FROM events WHERE idempotency_key = ? AND type = 'task.moved'`).get(`m-${i}`) as { n: number };
          expect(evts.n).toBe(1);
          expect((db.prepare('SELECT status FROM tasks WHERE id = ?').get(a.task) as { status: number }).status).toBe(1);
        }
        // Every task is in the state its event log says (replayed above); every actor (the agent
        // and the project too) stores the state its last event recorded, and no snapshot predates
        // that event.
        expectTasksAsTheirLogSays(db, `after kill ${round + 1}`);
        const snaps = db.prepare('SELECT actor_id, state_value, seq FROM actor_snapshot_rows').all() as { actor_id: string; state_value: string; seq: number }[];
        expect(snaps.map((s) => s.actor_id)).toEqual(expect.arrayContaining(['crash', 'shuri:crash']));
        for (const s of snaps) {
          const last = db.prepare('SELECT seq, payload FROM events WHERE actor_id = ? ORDER BY seq DESC LIMIT 1').get(s.actor_id) as { seq: number; payload: string };
          expect(JSON.parse(s.state_value), s.actor_id).toEqual((JSON.parse(last.payload) as { state_value: unknown }).state_value);
          // Bookkeeping (a task counter, a sign of life) rewrites a snapshot without an event row.
          expect(s.seq, s.actor_id).toBeGreaterThanOrEqual(last.seq);
        }
        // Seqs are gap-free and end at projects.last_seq.
        const seq = db.prepare(`SELECT count(*) AS n, max(seq) AS m FROM events WHERE project_id = 'crash'`).get() as { n: number; m: number };
        expect(seq.m).toBe(seq.n);
        expect((db.prepare(`SELECT last_seq FROM projects WHERE id = 'crash'`).get() as { last_seq: number }).last_seq).toBe(seq.m);
      } finally {
        db.close();
      }
    }
    expect(takenAt).not.toBeNull();

    // A last run long enough for the deadman (5 s after the take) to come due if it has not yet.
    await runChild(dir, next, commit, () => false, 7_000);
    const db = openDatabase(databaseFile(dir), { readonly: true });
    try {
      const events = db.prepare(`SELECT seq, ts, type, actor_id, payload, idempotency_key FROM events WHERE project_id = 'crash' ORDER BY seq`).all() as EventRow[];
      const taken = events.filter((e) => e.type === 'agent.task_taken');
      const expired = events.filter((e) => e.type === 'agent.expired');
      const taskExpired = events.filter((e) => e.type === 'task.deadman_expired');
      expect(taken).toHaveLength(1);
      expect(expired).toHaveLength(1);
      expect(taskExpired).toHaveLength(1);
      const deadmanAt = (JSON.parse(taken[0]!.payload) as { view: { deadman_at: number } }).view.deadman_at;
      expect(expired[0]!.ts).toBeGreaterThanOrEqual(deadmanAt);
      // It fired in a later process than the one that armed it (the first run was killed well before 5 s).
      expect(deadmanAt).toBeGreaterThan(killTimes[0]!);
      const task = db.prepare(`SELECT status, attempts FROM tasks WHERE title = 'held by shuri'`).get() as { status: number; attempts: number };
      expect(task).toEqual({ status: 0, attempts: 1 });
      const agent = db.prepare(`SELECT current_task_id, deadman_at FROM agent_instances WHERE id = 'shuri:crash'`).get() as { current_task_id: string | null };
      expect(agent.current_task_id).toBeNull();
      expectTasksAsTheirLogSays(db, 'after the deadman run');
    } finally {
      db.close();
    }
  });
});
