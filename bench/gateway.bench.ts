/**
 * Gateway benchmark (`npm run bench:gateway`). In one run:
 *  - echo: a bare Fastify POST route, 16 concurrent keep-alive clients (the HTTP floor);
 *  - rpc: mission.task.create through the whole path (auth, zod, roles, runtime, group commit,
 *    SQLite) at 16 concurrent clients;
 *  - feed: 100 WebSocket clients subscribed to the project; latency from each RPC answer to the
 *    matching mission.task_updated notification at every client.
 * Last line: {"rpc_per_s","rpc_p99_ms","feed_p50_ms","feed_p99_ms","feed_clients","echo_rpc_per_s","rpc_ratio"}
 * plus feed_from_request_p50_ms / _p99_ms (RPC sent → notification at each client, an upper bound).
 */
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import WebSocket from 'ws';
import { createRuntime } from '../src/actors/index.js';
import { Accounts, createGateway } from '../src/gateway/index.js';
import { openStore } from '../src/store/index.js';
import { Workspace, createProjectFiles } from '../src/workspace/index.js';

const CONCURRENCY = 16;
const DURATION_MS = Number(process.env.BENCH_MS ?? 2000);
const ROUNDS = 3;
const FEED_CLIENTS = 100;
const FEED_EVENTS = 200;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const round = (v: number, d = 2): number => Math.round(v * 10 ** d) / 10 ** d;

/** Runs `call` from `CONCURRENCY` loops for DURATION_MS; returns calls/s and latencies. */
async function load(call: () => Promise<void>): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  const end = performance.now() + DURATION_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), latencies: latencies.sort((a, b) => a - b) };
}

async function main(): Promise<void> {
  // 1. The floor: a bare Fastify echo route.
  const echo = Fastify();
  echo.post('/echo', async (req) => req.body);
  await echo.listen({ host: '127.0.0.1', port: 0 });
  const echoUrl = `http://127.0.0.1:${(echo.server.address() as { port: number }).port}/echo`;
  const echoBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'mission.task.create', params: { project_id: 'bench', title: 'echo' } });
  const echoCall = async (): Promise<void> => {
    const res = await fetch(echoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: echoBody });
    await res.text();
  };

  // 2. The gateway on the real runtime and store.
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-bench-gw-'));
  const store = await openStore({ dataDir });
  const runtime = createRuntime({ db: store.db, files: createProjectFiles(new Workspace({ dataDir })), scheduling: false, limits: { max_tasks_per_project: 10_000_000 } });
  runtime.start();
  const app = await createGateway({
    config: { limits: { rate_limit_per_minute: 1e9, max_ws_clients: 10_000, feed_retention_events: 10_000_000, max_message_bytes: 1 << 20 } },
    store,
    runtime,
    logger: pino({ level: 'warn' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const accounts = new Accounts(store.db);
  await accounts.addUser('bench', 'bench-password', true);
  const { token } = accounts.createToken({ user: 'bench' });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  let id = 0;
  const rpc = async (method: string, params: unknown): Promise<{ result?: { id?: string }; error?: unknown }> => {
    const res = await fetch(`${base}/rpc`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }) });
    return (await res.json()) as { result?: { id?: string }; error?: unknown };
  };
  const init = await rpc('mission.project.init', { project_name: 'Bench', project_id: 'bench' });
  if (init.error) throw new Error(JSON.stringify(init.error));
  let failures = 0;
  const create = async (): Promise<void> => {
    const r = await rpc('mission.task.create', { project_id: 'bench', title: 'benchmark task' });
    if (r.error) failures += 1;
  };
  // The machine is shared: interleave echo and rpc rounds and keep each one's best round, so a
  // burst of outside load does not land on one side of the ratio only.
  await load(echoCall); // warm-up
  await load(create);
  let echoRun = { perSecond: 0, latencies: [] as number[] };
  let rpcRun = { perSecond: 0, latencies: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const e = await load(echoCall);
    if (e.perSecond > echoRun.perSecond) echoRun = e;
    const r = await load(create);
    if (r.perSecond > rpcRun.perSecond) rpcRun = r;
  }
  await echo.close();
  if (failures > 0) throw new Error(`${failures} task.create calls failed`);

  // 3. Feed latency at 100 WebSocket clients.
  const arrivals = new Map<string, number[]>();
  const sockets = await Promise.all(
    Array.from(
      { length: FEED_CLIENTS },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } });
          ws.on('message', (data) => {
            const msg = JSON.parse(String(data)) as { method?: string; id?: number; params?: { task?: { id: string } } };
            if (msg.method === 'mission.task_updated' && msg.params?.task) {
              const list = arrivals.get(msg.params.task.id) ?? [];
              list.push(performance.now());
              arrivals.set(msg.params.task.id, list);
            } else if (msg.id === 1) resolve(ws);
          });
          ws.once('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'mission.subscribe', params: { project_id: 'bench' } })));
          ws.once('error', reject);
        }),
    ),
  );
  const answeredAt = new Map<string, number>();
  const sentAt = new Map<string, number>();
  for (let i = 0; i < FEED_EVENTS; i++) {
    const t = performance.now();
    const r = await rpc('mission.task.create', { project_id: 'bench', title: `feed ${i}` });
    answeredAt.set(r.result!.id!, performance.now());
    sentAt.set(r.result!.id!, t);
  }
  const deadline = performance.now() + 10_000;
  while ([...answeredAt.keys()].some((k) => (arrivals.get(k)?.length ?? 0) < FEED_CLIENTS) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  // The server pushes the notification right after the commit, before it writes the RPC answer,
  // so answer → notification is often ≤ 0 (counted as 0). request → notification bounds it above.
  const feedLatencies: number[] = [];
  const fromRequest: number[] = [];
  let missing = 0;
  for (const [taskId, at] of answeredAt) {
    const got = arrivals.get(taskId) ?? [];
    missing += FEED_CLIENTS - got.length;
    for (const t of got) {
      feedLatencies.push(Math.max(0, t - at));
      fromRequest.push(t - sentAt.get(taskId)!);
    }
  }
  feedLatencies.sort((a, b) => a - b);
  fromRequest.sort((a, b) => a - b);
  for (const s of sockets) s.close();
  await app.close();
  await runtime.stop();
  store.close();
  rmSync(dataDir, { recursive: true, force: true });

  const result = {
    rpc_per_s: round(rpcRun.perSecond, 0),
    rpc_p99_ms: round(quantile(rpcRun.latencies, 0.99)),
    feed_p50_ms: round(quantile(feedLatencies, 0.5)),
    feed_p99_ms: round(quantile(feedLatencies, 0.99)),
    feed_clients: FEED_CLIENTS,
    feed_from_request_p50_ms: round(quantile(fromRequest, 0.5)),
    feed_from_request_p99_ms: round(quantile(fromRequest, 0.99)),
    echo_rpc_per_s: round(echoRun.perSecond, 0),
    rpc_ratio: round(rpcRun.perSecond / echoRun.perSecond, 3),
  };
  if (missing > 0) console.error(`feed: ${missing} notifications did not arrive within 10 s`);
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
