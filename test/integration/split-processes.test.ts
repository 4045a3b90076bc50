import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus, type NatsBus } from '../../src/actors/index.js';
import { startNatsServer, type NatsServerHandle } from '../support/nats.js';
import { cli, ensureBuilt, FeedClient, ok, readyz, rpc, serve, signIn, type ServerProcess } from './split-cluster.js';

/**
 * SPEC §8 scale-out, end to end: one runtime process and two gateway processes (real
 * `mission-control serve --role …` children of the built program) behind a real nats-server,
 * sharing one data dir. What the spec promises, restated here:
 * - a feed subscriber on any gateway gets the project's events in seq order, no gap, no duplicate
 *   (SPEC §5 "Feed"), whichever gateway the command came through;
 * - `mission.subscribe {since_seq}` returns exactly the events with seq > since_seq, then live ones;
 * - a command the runtime cannot answer fails with a transient error (BUS_UNAVAILABLE/TIMEOUT),
 *   never a hang, and changes nothing;
 * - /readyz names each component it depends on.
 */
const ADMIN = { username: 'admin', password: 'split-secret-1' };
const PROJECT = 'split';

let nats: NatsServerHandle;
let dataDir: string;
let gatewayA: ServerProcess;
let gatewayB: ServerProcess;
let runtime: ServerProcess | undefined;
let token: string;
const clients: FeedClient[] = [];
const processes: ServerProcess[] = [];

const env = { MC_ADMIN: `${ADMIN.username}:${ADMIN.password}` };

/** The project's committed events as the log holds them (read straight from the SQLite file). */
function logSeqs(): number[] {
  return logEvents(PROJECT).map((r) => r.seq);
}

function logEvents(projectId: string): { seq: number; type: string; actor_id: string; payload: string }[] {
  const db = new Database(join(dataDir, 'mission-control.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, type, actor_id, payload FROM events WHERE project_id = ? ORDER BY seq').all(projectId) as never;
  } finally {
    db.close();
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

async function start(role: ServerProcess['role'], port?: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const p = await serve(role, { dataDir, natsUrl: nats.url, env: { ...env, ...extraEnv }, ...(port !== undefined ? { port } : {}) });
  processes.push(p);
  return p;
}

async function waitUntilReady(url: string, timeoutMs = 20_000): Promise<Awaited<ReturnType<typeof readyz>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await readyz(url);
    if (r.status === 200 || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function createTask(url: string, title: string): Promise<{ id: string; title: string }> {
  return ok(rpc<{ id: string; title: string }>(url, token, 'mission.task.create', { project_id: PROJECT, title }));
}

beforeAll(async () => {
  ensureBuilt();
  nats = await startNatsServer();
  dataDir = mkdtempSync(join(tmpdir(), 'mc-split-'));
  // Only the runtime migrates; a gateway on a schema behind the code refuses to start.
  cli(['migrate', 'up', '--data-dir', dataDir]);
  // Both gateways start together and both try to create the first administrator.
  [gatewayA, gatewayB] = await Promise.all([start('gateway'), start('gateway')]);
}, 150_000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of processes) await p.stop();
  await nats?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('split roles: two gateways and one runtime behind nats-server', () => {
  it('a gateway started before the runtime answers a command at once with a transient error and changes nothing', async () => {
    // Sign-in works without the runtime: sessions are rows the gateway writes in the shared file.
    token = await signIn(gatewayA.url, ADMIN.username, ADMIN.password);
    const started = Date.now();
    const answer = await rpc(gatewayA.url, token, 'mission.project.init', { project_name: 'Split', project_id: PROJECT, base_id: [] });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(['BUS_UNAVAILABLE', 'TIMEOUT']).toContain(answer.error?.data?.code);
    expect(answer.error?.data?.severity).toBe('transient');
    expect(await ok(rpc(gatewayB.url, token, 'mission.project.list', {}))).toEqual({ projects: [] });

    const ready = await readyz(gatewayA.url);
    expect(ready.status).toBe(503);
    expect(ready.body.failing).toEqual(['runtime']);
    expect(ready.body.components.find((c) => c.name === 'bus')).toMatchObject({ ok: true, state: 'connected' });
  });

  it('once the runtime joins, both gateways are ready and /readyz names the bus and the runtime', async () => {
    // Agents of the runtime process are sent to gateway A (public_url).
    runtime = await start('runtime', undefined, { MC_PUBLIC_URL: gatewayA.url });
    for (const gw of [gatewayA, gatewayB]) {
      const r = await waitUntilReady(gw.url);
      expect(r.status).toBe(200);
      expect(r.body.components.find((c) => c.name === 'bus')).toMatchObject({ ok: true, state: 'connected' });
      expect(r.body.components.find((c) => c.name === 'runtime')).toMatchObject({ ok: true, state: 'reachable' });
    }
    const own = await readyz(runtime.url);
    expect(own.status).toBe(200);
    expect(own.body.components.map((c) => c.name)).toEqual(expect.arrayContaining(['store', 'bus']));
    // Each administrator creation raced; exactly one row exists and the other process tolerated it.
    const db = new Database(join(dataDir, 'mission-control.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM users WHERE username = ?').get(ADMIN.username)).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it('a feed subscriber on gateway B sees a task created through gateway A, in order, without gaps', async () => {
    await ok(rpc(gatewayA.url, token, 'mission.project.init', { project_name: 'Split', project_id: PROJECT, base_id: [] }));
    const feedB = await FeedClient.connect(gatewayB.url, token);
    clients.push(feedB);
    const sub = await feedB.subscribe(PROJECT, 0);
    const task = await createTask(gatewayA.url, 'made on A');
    const log = logSeqs();
    await feedB.waitForSeq(PROJECT, log[log.length - 1]!);
    expect(feedB.seqs(PROJECT)).toEqual(range(1, log[log.length - 1]!));
    expect(sub.since_seq).toBe(0);
    const created = feedB.frames.filter((f) => f.params.type === 'task.created' && f.params.task?.id === task.id);
    expect(created).toHaveLength(1);
    expect(created[0]!.params.task?.title).toBe('made on A');
  });

  it('a burst of 200 creates alternating between A and B reaches both gateways’ subscribers with contiguous seqs, while both gateways write sessions', async () => {
    const feedA = await FeedClient.connect(gatewayA.url, token);
    clients.push(feedA);
    const feedB = clients[0]!;
    const base = logSeqs().at(-1)!;
    await feedA.subscribe(PROJECT, base);
    // A plain NATS subscriber: what the runtime publishes, before any gateway deduplicates.
    const wire: NatsBus = createNatsBus({ servers: nats.url, name: 'observer' });
    const published: number[] = [];
    wire.subscribe(`mc.${PROJECT}.evt`, (m) => published.push(...m.json<{ seq: number }[]>().map((e) => e.seq)));
    await wire.ready(10_000);
    await wire.flush();

    const titles = range(1, 200).map((i) => `burst ${i}`);
    let next = 0;
    const created: { id: string; title: string }[] = [];
    const worker = async (): Promise<void> => {
      while (next < titles.length) {
        const i = next++;
        created.push(await createTask(i % 2 === 0 ? gatewayA.url : gatewayB.url, titles[i]!));
      }
    };
    // Sessions are written by the gateways into the file the runtime commits to, concurrently.
    const signIns = range(1, 8).map((i) => signIn(i % 2 === 0 ? gatewayA.url : gatewayB.url, ADMIN.username, ADMIN.password));
    const burstStarted = performance.now();
    await Promise.all([...range(1, 16).map(worker), ...signIns]);
    const burstMs = performance.now() - burstStarted;
    expect(created.map((t) => t.title).sort()).toEqual([...titles].sort());
    expect(new Set(created.map((t) => t.id)).size).toBe(200);

    const log = logSeqs();
    const last = log.at(-1)!;
    expect(log.filter((s) => s > base)).toEqual(range(base + 1, last));
    // The runtime publishes each committed event exactly once, in order.
    const deadline = Date.now() + 10_000;
    while (published.at(-1) !== last && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await wire.close();
    expect(published).toEqual(range(base + 1, last));
    for (const feed of [feedA, feedB]) {
      await feed.waitForSeq(PROJECT, last);
      expect(feed.seqs(PROJECT).filter((s) => s > base)).toEqual(range(base + 1, last));
      const ids = feed.frames.filter((f) => f.params.seq > base && f.params.type === 'task.created').map((f) => f.params.task?.id);
      expect(ids.sort()).toEqual(created.map((t) => t.id).sort());
    }

    // Figures for the report: a create through A until B's subscriber has it (one at a time).
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await createTask(gatewayA.url, `latency ${i}`);
      await feedB.waitForSeq(PROJECT, logSeqs().at(-1)!);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    console.info(
      `split figures: 200 creates over 2 gateways (16 in flight) in ${burstMs.toFixed(0)} ms; create on A → notification on B p50 ${latencies[10]!.toFixed(1)} ms, max ${latencies[19]!.toFixed(1)} ms`,
    );
  });

  it('gateway B killed and restarted: resubscribing with since_seq yields each missed event exactly once, then live ones', async () => {
    const oldFeed = clients[0]!;
    const lastSeen = oldFeed.seqs(PROJECT).at(-1)!;
    const port = Number(new URL(gatewayB.url).port);
    await gatewayB.stop('SIGKILL');

    for (let i = 1; i <= 20; i++) await createTask(gatewayA.url, `while B was down ${i}`);
    const missedUpTo = logSeqs().at(-1)!;
    expect(missedUpTo).toBeGreaterThanOrEqual(lastSeen + 20);

    gatewayB = await start('gateway', port);
    await waitUntilReady(gatewayB.url);
    const feed = await FeedClient.connect(gatewayB.url, token);
    clients.push(feed);
    const sub = await feed.subscribe(PROJECT, lastSeen);
    expect(sub).toMatchObject({ since_seq: lastSeen, last_seq: missedUpTo });
    await feed.waitForSeq(PROJECT, missedUpTo);

    for (let i = 1; i <= 3; i++) await createTask(i % 2 === 0 ? gatewayA.url : gatewayB.url, `after B came back ${i}`);
    const last = logSeqs().at(-1)!;
    await feed.waitForSeq(PROJECT, last);
    expect(feed.seqs(PROJECT)).toEqual(range(lastSeen + 1, last));
    const missed = feed.frames.filter((f) => f.params.type === 'task.created' && f.params.task?.title.startsWith('while B was down'));
    expect(missed.map((f) => f.params.task?.title)).toEqual(range(1, 20).map((i) => `while B was down ${i}`));
  });

  it('the runtime killed and restarted: gateways refuse commands meanwhile, then resume, and their feeds stay contiguous', async () => {
    const feedA = clients[1]!;
    const feedB = clients.at(-1)!;
    const before = logSeqs().at(-1)!;
    await runtime!.stop('SIGKILL');
    const started = Date.now();
    const refused = await rpc(gatewayB.url, token, 'mission.task.create', { project_id: PROJECT, title: 'while the runtime is down' });
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(refused.error?.data).toMatchObject({ severity: 'transient' });
    expect(['BUS_UNAVAILABLE', 'TIMEOUT']).toContain(refused.error?.data?.code);
    expect((await readyz(gatewayA.url)).body.failing).toEqual(['runtime']);
    expect(logSeqs().at(-1)).toBe(before);

    // The dead runtime's data-dir lock does not keep the new one out.
    runtime = await start('runtime', undefined, { MC_PUBLIC_URL: gatewayA.url });
    for (const gw of [gatewayA, gatewayB]) expect((await waitUntilReady(gw.url)).status).toBe(200);
    for (let i = 1; i <= 4; i++) await createTask(i % 2 === 0 ? gatewayA.url : gatewayB.url, `after the runtime came back ${i}`);
    const last = logSeqs().at(-1)!;
    for (const feed of [feedA, feedB]) {
      await feed.waitForSeq(PROJECT, last);
      const seqs = feed.seqs(PROJECT);
      expect(seqs).toEqual(range(seqs[0]!, last));
    }
  });

  it('a simulated agent pulsed by the runtime process calls its mission methods through a gateway (public_url)', async () => {
    await ok(rpc(gatewayB.url, token, 'mission.soul.create', { soul_id: 'scout', name: 'Scout', role: 'developer', skills: ['testing'], soul_md: '# Scout' }));
    await ok(
      rpc(gatewayB.url, token, 'mission.project.init', {
        project_name: 'Squad',
        project_id: 'squad',
        base_id: ['scout'],
        settings: { driver: 'simulated', pulse_interval: 3600, pulse_timeout: 60, deadman_timeout: 7260 },
      }),
    );
    await ok(rpc(gatewayB.url, token, 'mission.agent.pulse_now', { instance_id: 'scout:squad' }));
    const deadline = Date.now() + 30_000;
    let events = logEvents('squad');
    while (!events.some((e) => e.type === 'agent.pulse_finished') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      events = logEvents('squad');
    }
    const types = events.filter((e) => e.actor_id === 'scout:squad').map((e) => e.type);
    // The agent's own sign of life (mission.agent.sync) came in over HTTP during its pulse.
    expect(types).toEqual(expect.arrayContaining(['agent.pulse_started', 'agent.synced', 'agent.pulse_finished']));
    expect(types.indexOf('agent.synced')).toBeGreaterThan(types.indexOf('agent.pulse_started'));
    const finished = events.find((e) => e.type === 'agent.pulse_finished')!;
    expect((JSON.parse(finished.payload) as { detail?: { outcome?: string } }).detail?.outcome).toBe('ok');
  });

  it('a gateway refuses a data dir whose schema the runtime has not migrated, and leaves it unmigrated', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'mc-split-fresh-'));
    try {
      await expect(serve('gateway', { dataDir: fresh, natsUrl: nats.url })).rejects.toThrow(/migrate up/);
      expect(cli(['migrate', 'status', '--data-dir', fresh])).toMatch(/pending/);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
