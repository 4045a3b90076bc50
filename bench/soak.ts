/**
 * Soak (`npx tsx bench/soak.ts [--minutes 30] [--clients 200] [--rpc-rate 20] [--p99-slack-ms 0]`): the demo squad
 * pulsing every second (60× the default 60 s; 1 s is the smallest interval the config allows)
 * in a real server process, 200 WebSocket clients subscribed to its project and an open-loop RPC
 * load (reads, comments, task create + archive). Per minute: the server's RSS and heap (sampled
 * after a full GC, forced about once a minute: a forced GC pauses the server for tens of ms, and
 * one every sample would be the p99 the soak measures), its active resources
 * (`process.getActiveResourcesInfo()`), RPC and feed latencies p50/p99, events/s and RPC/s. Writes `bench/results/soak-<ts>.json`; the last stdout
 * line is the summary JSON. Holds when, after the first minute, RSS grows < 1 MB/min, active
 * resources do not grow (last minute's max ≤ second minute's max), and the last minute's p99s are
 * within 2× of the second minute's (bench/lib/soak-checks.ts). A check the run is too short for
 * (comparing minutes needs 3, the RSS slope 5) is reported as not applicable, never as holding.
 * Exit 0 when every applicable check holds, 2 when one fails, 1 when the soak itself broke.
 * The server runs with production's glibc malloc settings (src/app/malloc-tuning.ts, set by
 * bench/lib/server-process.ts) unless this process's env sets others; the report's settings say
 * which (`server_env`).
 * `SOAK_NODE_ARGS` adds Node flags to the server process (e.g. `--heapsnapshot-signal=SIGUSR2`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { seedDemoSquad } from './lib/demo-seed.js';
import { FeedClient, rpc, RpcPool, signIn, unwrap } from './lib/mission-client.js';
import { ADMIN, REPO_ROOT, startServerProcess, type ServerStats } from './lib/server-process.js';
import { checksWith, judgeSoak, type MinuteFigures } from './lib/soak-checks.js';
import { median, quantile, round, slope } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    clients: { type: 'string', default: '200' },
    'rpc-rate': { type: 'string', default: '20' },
    'sample-s': { type: 'string', default: '5' },
    'p99-slack-ms': { type: 'string', default: '0' },
    out: { type: 'string', default: join(REPO_ROOT, 'bench', 'results') },
  },
});
const MINUTES = Number(values.minutes);
const CLIENTS = Number(values.clients);
const RPC_RATE = Number(values['rpc-rate']);
const SAMPLE_S = Number(values['sample-s']);
const P99_SLACK_MS = Number(values['p99-slack-ms']);
const MINUTE_MS = 60_000;
/** Forced GCs before a memory sample: one per sample interval short of a minute, so every minute holds one. */
const GC_EVERY_MS = Math.max(SAMPLE_S * 1000, MINUTE_MS - SAMPLE_S * 1000);
const MAX_IN_FLIGHT = 64;
/** Keep-alive connections of the RPC load; calls beyond them wait for one (counted in their latency). */
const RPC_SOCKETS = 16;
const MB = 1024 * 1024;
if (!(MINUTES >= 1) || !(CLIENTS >= 1) || !(RPC_RATE > 0) || !(SAMPLE_S > 0) || !(P99_SLACK_MS >= 0)) {
  throw new Error('--minutes ≥ 1, --clients ≥ 1, --rpc-rate > 0, --sample-s > 0, --p99-slack-ms ≥ 0');
}

/** The allocator settings in the environment the server ran with. */
function allocatorEnv(env: Readonly<NodeJS.ProcessEnv>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => /^(MALLOC_|LD_PRELOAD$)/.test(e[0]) && e[1] !== undefined));
}
/** Bytes → MiB with one decimal; null when the sample has no such figure. */
const mb = (bytes: number | undefined): number | null => (bytes === undefined ? null : round(bytes / MB, 1));

interface Bucket {
  rpc: number[];
  byMethod: Record<string, number[]>;
  feed: number[];
  rpcErrors: Record<string, number>;
  skipped: number;
  seqStart: number;
}
const newBucket = (seqStart: number): Bucket => ({ rpc: [], byMethod: {}, feed: [], rpcErrors: {}, skipped: 0, seqStart });

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-soak-'));
  const server = await startServerProcess({
    dataDir,
    entry: 'bench/lib/instrumented-server.ts',
    nodeArgs: ['--expose-gc', ...(process.env.SOAK_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    env: { MC_STATS_GC: '1', MC_STATS_GC_MS: String(GC_EVERY_MS), MC_STATS_MS: String(SAMPLE_S * 1000), MC_LOG_LEVEL: 'warn', MC_LIMITS_MAX_WS_CLIENTS: String(CLIENTS + 100) },
  }).catch(async (err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  const { url } = server;
  try {
    const token = await signIn(url, ADMIN.username, ADMIN.password);
    const squad = await seedDemoSquad(url, token, { pulse_interval: 1, pulse_timeout: 1, deadman_timeout: 3 });
    const projectId = squad.projectId;
    const wsUrl = `${url.replace('http', 'ws')}/ws`;
    const since = unwrap(await rpc<{ last_seq: number }>(url, token, 'mission.project.get', { project_id: projectId })).last_seq;

    // Feed latency: task.create sent → its task.created notification at each client (an upper
    // bound: it includes the RPC's own path to the commit).
    const createdSentAt = new Map<string, number>();
    let bucket = newBucket(since);
    const clients: FeedClient[] = [];
    for (let i = 0; i < CLIENTS; i += 20) {
      const batch = Array.from({ length: Math.min(20, CLIENTS - i) }, () => new FeedClient(wsUrl, token, projectId, since, { reconnect: true }));
      await Promise.all(batch.map((c) => c.start()));
      clients.push(...batch);
    }
    for (const c of clients) {
      c.onNotification((n, at) => {
        if (n.method !== 'mission.task_updated' || n.params.type !== 'task.created' || !n.params.task) return;
        const sent = createdSentAt.get(String(n.params.task.title));
        if (sent !== undefined) bucket.feed.push(at - sent);
      });
    }
    process.stderr.write(`soak: ${CLIENTS} clients on ${projectId} at seq ${since}; ${MINUTES} min, ${RPC_RATE} rpc/s\n`);

    // Open-loop RPC load: one call every 1/RPC_RATE s, whatever the previous ones are doing, over
    // a fixed pool of connections opened up front (so the server's socket count is the feed
    // clients + the pool, and a growing handle count means a leak, not a busier moment).
    const pool = new RpcPool(url, token, RPC_SOCKETS);
    await pool.warm('mission.agent.list', { project_id: projectId });
    let taskIds = [...squad.taskIds];
    let inFlight = 0;
    let n = 0;
    const timed = async (method: string, params: unknown): Promise<Record<string, unknown> | undefined> => {
      const t = performance.now();
      const a = await pool.call(method, params);
      const took = performance.now() - t;
      bucket.rpc.push(took);
      (bucket.byMethod[method] ??= []).push(took);
      if (a.error) {
        const code = String(a.error.data?.code ?? a.error.code);
        bucket.rpcErrors[code] = (bucket.rpcErrors[code] ?? 0) + 1;
        return undefined;
      }
      return a.result as Record<string, unknown>;
    };
    // The mix of 20: 8 board lists, 4 task reads, 2 agent lists, 4 comments, 1 full sync,
    // 1 task created and archived (≈1 new task/s at 20 rpc/s: the board's archive grows as in a
    // busy real project, without growing the live board).
    const operation = async (i: number): Promise<void> => {
      const kind = i % 20;
      const someTask = (): string | undefined => taskIds[Math.floor(i / 20) % Math.max(1, taskIds.length)];
      if (kind < 8) {
        const listed = await timed('mission.task.list', { project_id: projectId, status: ['backlog', 'in_progress', 'blocked', 'review', 'done'], limit: 100 });
        const tasks = listed?.tasks as { id: string }[] | undefined;
        if (tasks && tasks.length > 0) taskIds = tasks.map((t) => t.id);
      } else if (kind < 12) {
        const id = someTask();
        if (id) await timed('mission.task.get', { task_id: id, events_limit: 20 });
      } else if (kind < 14) await timed('mission.agent.list', { project_id: projectId });
      else if (kind < 18) {
        const id = someTask();
        if (id) await timed('mission.task.comment', { task_id: id, text: `soak comment ${i}` });
      } else if (kind === 18) await timed('mission.project.get', { project_id: projectId });
      else {
        // Keyed by title: the notification may arrive before the answer.
        const title = `soak ${i}`;
        createdSentAt.set(title, performance.now());
        setTimeout(() => createdSentAt.delete(title), 30_000).unref();
        const created = await timed('mission.task.create', { project_id: projectId, title, assignee_id: null });
        const id = created?.id;
        if (typeof id === 'string') await timed('mission.task.move', { task_id: id, new_status: 'archived' });
      }
    };
    const ticker = setInterval(() => {
      if (inFlight >= MAX_IN_FLIGHT) {
        bucket.skipped++;
        return;
      }
      inFlight++;
      void operation(n++).finally(() => inFlight--);
    }, 1000 / RPC_RATE);

    const minutes: (MinuteFigures & Record<string, unknown>)[] = [];
    const started = Date.now();
    for (let m = 1; m <= MINUTES; m++) {
      await new Promise((r) => setTimeout(r, started + m * MINUTE_MS - Date.now()));
      const done = bucket;
      const seqNow = clients[0]!.lastSeq;
      bucket = newBucket(seqNow);
      const samples = server.stats().filter((s) => s.t > started + (m - 1) * MINUTE_MS && s.t <= started + m * MINUTE_MS);
      const last = samples.at(-1);
      // Memory from the minute's last sample after a full GC (retained memory, not garbage).
      const collected = samples.filter((s) => s.gc !== false).at(-1);
      const rpcSorted = done.rpc.sort((a, b) => a - b);
      const feedSorted = done.feed.sort((a, b) => a - b);
      const row = {
        minute: m,
        rss_mb: mb(collected?.rss),
        gc_ms: collected?.gc_ms !== undefined ? round(collected.gc_ms) : null,
        heap_used_mb: mb(collected?.heap_used),
        heap_total_mb: mb(collected?.heap_total),
        external_mb: mb(collected?.external),
        array_buffers_mb: mb(collected?.array_buffers),
        rss_anon_mb: mb(collected?.rss_anon),
        rss_file_mb: mb(collected?.rss_file),
        rss_shmem_mb: mb(collected?.rss_shmem),
        db_mb: mb(last?.db_bytes),
        wal_mb: mb(last?.wal_bytes),
        active_resources_median: samples.length ? median(samples.map((s) => s.resources_total)) : null,
        active_resources_max: samples.length ? Math.max(...samples.map((s) => s.resources_total)) : null,
        active_resources: last?.resources ?? null,
        loop_delay_p99_max_ms: samples.length ? round(Math.max(...samples.map((s) => s.loop_delay_p99_ms))) : null,
        rpc_count: rpcSorted.length,
        rpc_per_s: round(rpcSorted.length / 60, 1),
        rpc_p50_ms: round(quantile(rpcSorted, 0.5)),
        rpc_p99_ms: round(quantile(rpcSorted, 0.99)),
        rpc_p99_ms_by_method: Object.fromEntries(Object.entries(done.byMethod).map(([m, l]) => [m.replace('mission.', ''), round(quantile(l.sort((a, b) => a - b), 0.99))])),
        rpc_errors: done.rpcErrors,
        rpc_skipped: done.skipped,
        feed_samples: feedSorted.length,
        feed_p50_ms: round(quantile(feedSorted, 0.5)),
        feed_p99_ms: round(quantile(feedSorted, 0.99)),
        events: seqNow - done.seqStart,
        events_per_s: round((seqNow - done.seqStart) / 60, 1),
        // The machine's load: on a shared host, latency moves with it.
        loadavg_1m: round(loadavg()[0]!, 2),
      };
      minutes.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
    clearInterval(ticker);
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 50));

    // Every client must end at the log's last seq, each seq once.
    const lastSeq = unwrap(await rpc<{ last_seq: number }>(url, token, 'mission.project.get', { project_id: projectId })).last_seq;
    await Promise.all(clients.map((c) => c.waitForSeq(lastSeq, 30_000).catch(() => undefined)));
    const feedComplete = clients.filter((c) => c.lastSeq === lastSeq && c.stats.duplicates === 0).length;
    const reconnects = clients.reduce((a, c) => a + c.stats.reconnects, 0);
    const gaps = clients.reduce((a, c) => a + c.stats.gaps, 0);
    for (const c of clients) c.close();
    pool.close();

    const allStats = server.stats();
    const exit = await server.stop(30_000);
    const afterFirst = allStats.filter((s: ServerStats) => s.t > started + MINUTE_MS && s.gc !== false);
    const rssGrowth = slope(afterFirst.map((s) => ({ x: (s.t - started) / MINUTE_MS, y: s.rss / MB })));
    const heapGrowth = slope(afterFirst.map((s) => ({ x: (s.t - started) / MINUTE_MS, y: s.heap_used / MB })));
    const second = minutes[Math.min(1, minutes.length - 1)]!;
    const lastMinute = minutes.at(-1)!;
    const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
    const checks = judgeSoak({ minutes, rssGrowthMbPerMin: rssGrowth, clients: clients.length, clientsComplete: feedComplete, serverExit: exit, p99SlackMs: P99_SLACK_MS });
    const failed = checksWith(checks, 'fails');
    const summary = {
      soak_minutes: MINUTES,
      soak_clients: CLIENTS,
      soak_rss_growth_mb_per_min: round(rssGrowth, 3),
      soak_heap_growth_mb_per_min: round(heapGrowth, 3),
      soak_rss_last_mb: lastMinute.rss_mb,
      soak_active_resources_second_min: second.active_resources_median,
      soak_active_resources_last_min: lastMinute.active_resources_median,
      soak_active_resources_max_second_min: second.active_resources_max,
      soak_active_resources_max_last_min: lastMinute.active_resources_max,
      soak_rpc_p99_ms_second_min: second.rpc_p99_ms,
      soak_rpc_p99_ms_last_min: lastMinute.rpc_p99_ms,
      soak_feed_p99_ms_second_min: second.feed_p99_ms,
      soak_feed_p99_ms_last_min: lastMinute.feed_p99_ms,
      soak_events_per_s: round(median(minutes.map((r) => num(r.events_per_s))), 1),
      soak_rpc_per_s: round(median(minutes.map((r) => num(r.rpc_per_s))), 1),
      soak_feed_reconnects: reconnects,
      soak_feed_gaps: gaps,
      soak_checks_failed: failed,
      soak_checks_not_applicable: checksWith(checks, 'not_applicable'),
      soak_holds: failed.length === 0,
    };
    const outDir = resolve(values.out!);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ settings: { minutes: MINUTES, clients: CLIENTS, rpc_rate: RPC_RATE, pulse_interval_s: 1, sample_s: SAMPLE_S, gc_every_s: GC_EVERY_MS / 1000, server_env: allocatorEnv(server.env) }, checks, summary, minutes, samples: allStats }, null, 2)}\n`);
    process.stderr.write(`soak report: ${file}\nchecks: ${JSON.stringify(checks)}\n`);
    console.log(JSON.stringify(summary));
    if (failed.length > 0) {
      process.stderr.write(`soak does not hold: ${failed.join(', ')}\n`);
      process.exitCode = 2;
    }
  } finally {
    await server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
