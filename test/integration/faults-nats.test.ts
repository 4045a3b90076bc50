import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeedClient, rpc, signIn, unwrap } from '../../bench/lib/mission-client.js';
import { ADMIN, startServerProcess, type ServerProcess } from '../../bench/lib/server-process.js';
import { openDatabase, databaseFile } from '../../src/store/index.js';
import { startNatsServer, type NatsServerHandle } from '../support/nats.js';

/**
 * SPEC §8/§10 under a NATS crash: one runtime process and two gateway processes (real
 * `mission-control serve --role …` children) behind a real nats-server. Clients keep creating
 * tasks (each with its own idempotency key, retried with that key until answered ok) while the
 * nats-server is SIGKILLed and restarted on the same port. Expected, from the spec:
 *  - during the outage calls fail with a transient error (never a permanent one);
 *  - both gateways and the runtime reconnect, calls succeed again;
 *  - feed clients that saw a gap resubscribe with since_seq, and clients that lost their socket in
 *    the incident come back (through the other gateway) with since_seq: all end with seq 1..n,
 *    no gap, no repeat;
 *  - every key answered ok is in the event log exactly once (one task.created, one task).
 */
const TRANSIENT = new Set(['BUS_UNAVAILABLE', 'TIMEOUT', 'SHUTTING_DOWN', 'NETWORK']);

const procs: ServerProcess[] = [];
let nats: NatsServerHandle | undefined;
let dataDir = '';

afterAll(async () => {
  for (const p of procs.reverse()) await p.kill();
  await nats?.stop('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('NATS killed and restarted under load', () => {
  it('gateways and runtime reconnect, feeds resync, nothing acknowledged is lost or doubled', async () => {
    nats = await startNatsServer();
    dataDir = mkdtempSync(join(tmpdir(), 'mc-fault-nats-'));
    // Agents pulse every second through the command driver (/bin/true), so the runtime commits
    // events of its own while NATS is down: the gateways miss them and their clients must resync.
    const runtime = await startServerProcess({ dataDir, role: 'runtime', natsUrl: nats.url, env: { MC_DRIVERS_COMMAND_PROGRAM: '/bin/true' } });
    procs.push(runtime);
    const gateways = [
      await startServerProcess({ dataDir, role: 'gateway', natsUrl: nats.url }),
      await startServerProcess({ dataDir, role: 'gateway', natsUrl: nats.url }),
    ];
    procs.push(...gateways);
    const token = await signIn(gateways[0]!.url, ADMIN.username, ADMIN.password);
    for (const soul of ['scout', 'relay', 'anchor']) unwrap(await rpc(gateways[0]!.url, token, 'mission.soul.create', { soul_id: soul, name: soul }));
    unwrap(
      await rpc(gateways[0]!.url, token, 'mission.project.init', {
        project_name: 'Storm',
        project_id: 'storm',
        base_id: ['scout', 'relay', 'anchor'],
        settings: { driver: 'command', pulse_interval: 1, pulse_timeout: 1, deadman_timeout: 3 },
      }),
    );

    // Two board clients per gateway, subscribed from the start of the log.
    const feeds = gateways.flatMap((g) => [0, 1].map(() => new FeedClient(`${g.url.replace('http', 'ws')}/ws`, token, 'storm', 0)));
    await Promise.all(feeds.map((f) => f.start()));

    const acked: string[] = [];
    const failures = new Map<string, number>();
    let phase: 'before' | 'outage' | 'after' = 'before';
    const okByPhase = { before: 0, outage: 0, after: 0 };
    let sending = true;
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; sending; i++) {
        const key = `w${w}-${i}`;
        const gateway = gateways[w % gateways.length]!;
        // Retry with the same key until the server says ok (or refuses for good).
        for (;;) {
          const a = await rpc(gateway.url, token, 'mission.task.create', { project_id: 'storm', title: key }, key);
          if (!a.error) {
            acked.push(key);
            okByPhase[phase]++;
            break;
          }
          const code = String(a.error.data?.code ?? a.error.code);
          failures.set(code, (failures.get(code) ?? 0) + 1);
          if (!TRANSIENT.has(code)) throw new Error(`a permanent error during the outage: ${JSON.stringify(a.error)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));

    await new Promise((r) => setTimeout(r, 1_500));
    phase = 'outage';
    const killedAt = Date.now();
    await nats.stop('SIGKILL');
    // Two boards lose their sockets in the incident too; they come back after it through the
    // other gateway and resubscribe from the last seq they saw.
    const dropped = [feeds[1]!, feeds[3]!];
    for (const f of dropped) f.close();
    await new Promise((r) => setTimeout(r, 2_000));
    await nats.restart();
    const restartedBusAt = Date.now();
    phase = 'after';
    const restartedAt = Date.now();
    // Wait until calls go through both gateways again.
    while (okByPhase.after < 20) {
      if (Date.now() - restartedAt > 30_000) throw new Error(`no recovery after the restart: ${JSON.stringify({ okByPhase, failures: [...failures] })}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1_000));
    sending = false;
    await Promise.all(workers);

    expect(okByPhase.before).toBeGreaterThan(0);
    expect(okByPhase.after).toBeGreaterThanOrEqual(20);
    // The outage was seen by the callers, as transient errors only (checked in the worker).
    expect([...failures.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    for (const g of gateways) {
      const ready = await fetch(`${g.url}/readyz`);
      expect(ready.status, await ready.text()).toBe(200);
    }
    // The bus reported the loss and the reconnect in every process.
    for (const p of [runtime, ...gateways]) {
      const statuses = p.logLines(/^bus status$/).map((l) => l.status);
      expect(statuses).toContain('reconnecting');
      expect(statuses.lastIndexOf('connected')).toBeGreaterThan(statuses.indexOf('reconnecting'));
    }

    const rejoined = dropped.map((f, i) => new FeedClient(`${gateways[1 - i]!.url.replace('http', 'ws')}/ws`, token, 'storm', f.lastSeq));
    await Promise.all(rejoined.map((f) => f.start()));

    // Every board reaches the last seq of the log, each seq once (live events, replays, resyncs).
    const last = unwrap(await rpc<{ last_seq: number }>(gateways[1]!.url, token, 'mission.project.get', { project_id: 'storm' })).last_seq;
    const live = [feeds[0]!, feeds[2]!, ...rejoined];
    await Promise.all(live.map((f) => f.waitForSeq(last, 20_000)));
    // Agents keep pulsing, so a board may already be past `last`: what it saw is 1..n, n ≥ last.
    const gapless = (seqs: number[]): void => {
      expect(seqs.length).toBeGreaterThanOrEqual(last);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    };
    for (const f of [feeds[0]!, feeds[2]!]) gapless(f.stats.seqs);
    dropped.forEach((f, i) => {
      expect(f.lastSeq).toBeLessThan(last);
      gapless([...f.stats.seqs, ...rejoined[i]!.stats.seqs]);
    });
    for (const f of [...feeds, ...rejoined]) expect(f.stats.duplicates).toBe(0);
    for (const f of live) f.close();
    const gapLogs = gateways.map((g) => g.logLines(/feed gap/).length);

    for (const p of procs.splice(0).reverse()) expect(await p.stop()).toBe(0);
    const db = openDatabase(databaseFile(dataDir), { readonly: true });
    try {
      const created = db.prepare(`SELECT idempotency_key AS key, count(*) AS n FROM events WHERE project_id = 'storm' AND type = 'task.created' GROUP BY idempotency_key`).all() as { key: string; n: number }[];
      const byKey = new Map(created.map((r) => [r.key, r.n]));
      const titles = db.prepare(`SELECT title, count(*) AS n FROM tasks WHERE project_id = 'storm' GROUP BY title`).all() as { title: string; n: number }[];
      const byTitle = new Map(titles.map((r) => [r.title, r.n]));
      for (const key of acked) {
        expect(byKey.get(key), `event for ${key}`).toBe(1);
        expect(byTitle.get(key), `task ${key}`).toBe(1);
      }
      // No task exists twice, acknowledged or not (retries carried their key).
      expect(titles.every((t) => t.n === 1)).toBe(true);
      const during = db.prepare(`SELECT count(*) AS n FROM events WHERE project_id = 'storm' AND ts > ? AND ts < ?`).get(killedAt + 200, restartedBusAt) as { n: number };
      expect(during.n, 'the runtime kept committing while NATS was down').toBeGreaterThan(0);
      const seq = db.prepare(`SELECT count(*) AS n, max(seq) AS m FROM events WHERE project_id = 'storm'`).get() as { n: number; m: number };
      expect(seq.n).toBe(seq.m);
      console.log(JSON.stringify({ fault: 'nats-kill', acked: acked.length, ok_by_phase: okByPhase, failures: Object.fromEntries(failures), feed_gap_resyncs: live.map((f) => f.stats.resyncs), rejoined_from: dropped.map((f) => f.lastSeq), gateway_gap_logs: gapLogs, events_during_outage: during.n, last_seq: last }));
    } finally {
      db.close();
    }
  }, 90_000);
});
