import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, databaseFile } from '../../src/store/index.js';

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

/** Runs the child until `stopWhen` says so, then SIGKILLs it; returns the lines it acknowledged. */
function runChild(dataDir: string, first: number, stopWhen: (acks: Ack[]) => boolean, maxMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('crash recovery', () => {
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
      const acks = await runChild(dir, next, (a) => a.filter((x) => x.i !== undefined).length >= quota, 20_000);
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
        // Every actor is in the state its event log says.
        const snaps = db.prepare('SELECT actor_id, state_value, seq FROM actor_snapshots').all() as { actor_id: string; state_value: string; seq: number }[];
        for (const s of snaps) {
          const last = db.prepare('SELECT seq, payload FROM events WHERE actor_id = ? ORDER BY seq DESC LIMIT 1').get(s.actor_id) as { seq: number; payload: string };
          expect(JSON.parse(s.state_value), s.actor_id).toEqual((JSON.parse(last.payload) as { state_value: unknown }).state_value);
          // Bookkeeping (a task counter, a sign of life) rewrites a snapshot without an event row.
          expect(s.seq).toBeGreaterThanOrEqual(last.seq);
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
    await runChild(dir, next, () => false, 7_000);
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
    } finally {
      db.close();
    }
  });
});
