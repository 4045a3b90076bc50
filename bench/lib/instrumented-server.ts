/**
 * The real server (`startServer`, configured from `MC_*` like `mission-control serve`) plus a
 * `stats` log line every `MC_STATS_MS` (default 1000) with its own RSS, heap, active resources
 * (`process.getActiveResourcesInfo()`) and event-loop delay, so soak and fault runs measure the
 * server process and not the load generator. With `MC_STATS_GC=1` (and node --expose-gc) a
 * sample follows a full GC, so growth means retained memory, not garbage V8 has not collected
 * yet: every sample, or with `MC_STATS_GC_MS` only the first sample after each such interval.
 * A full GC stops the event loop (tens of ms at a soak's heap), so a run that measures latency
 * must not force one every few seconds: its p99 would be the GC's pause. Each line says whether
 * it followed a GC (`gc`) and how long that took (`gc_ms`). SIGTERM closes it gracefully (exit 0).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer } from '../../src/app/index.js';
import { ConfigSource, createLogger } from '../../src/config/index.js';
import { DATABASE_FILE } from '../../src/store/index.js';

const source = new ConfigSource({ env: process.env, cwd: process.cwd() });
const logger = createLogger(source.current);
const server = await startServer(source.current, { logger, config: source });
// Printed whatever the log level, so a harness finds the port.
process.stdout.write(`${JSON.stringify({ msg: 'instrumented server listening', url: server.url })}\n`);

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const every = Number(process.env.MC_STATS_MS ?? 1000);
const collect = process.env.MC_STATS_GC === '1' ? (globalThis as { gc?: () => void }).gc : undefined;
if (process.env.MC_STATS_GC === '1' && !collect) throw new Error('MC_STATS_GC=1 needs node --expose-gc');
const gcEvery = Number(process.env.MC_STATS_GC_MS ?? 0);
let lastGc = -Infinity;
const report = (): void => {
  const now = performance.now();
  const gc = collect !== undefined && now - lastGc >= gcEvery;
  if (gc) {
    collect();
    lastGc = now;
  }
  const gcMs = gc ? performance.now() - now : 0;
  const m = process.memoryUsage();
  const resources: Record<string, number> = {};
  const active = process.getActiveResourcesInfo();
  for (const r of active) resources[r] = (resources[r] ?? 0) + 1;
  const stats = {
    t: Date.now(),
    gc,
    gc_ms: gcMs,
    rss: m.rss,
    heap_used: m.heapUsed,
    heap_total: m.heapTotal,
    external: m.external,
    array_buffers: m.arrayBuffers,
    ...rssParts(),
    ...storeFiles(),
    resources,
    resources_total: active.length,
    loop_delay_p99_ms: loop.percentile(99) / 1e6,
  };
  loop.reset();
  process.stdout.write(`${JSON.stringify({ msg: 'stats', stats })}\n`);
};
const timer = setInterval(report, every);

/**
 * What the RSS is made of (Linux `/proc/self/status`, bytes): anonymous memory (malloc, V8, the
 * SQLite page cache), file-backed pages and shared memory (SQLite's mmapped WAL index). A soak
 * that grows tells from these which kind of memory it is.
 */
function rssParts(): { rss_anon: number; rss_file: number; rss_shmem: number } | Record<string, never> {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return {};
  }
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss_anon: kb('RssAnon'), rss_file: kb('RssFile'), rss_shmem: kb('RssShmem') };
}

/** Sizes of the database file and its WAL (bytes; 0 when absent). */
function storeFiles(): { db_bytes: number; wal_bytes: number } {
  const size = (p: string): number => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  const db = join(source.current.data_dir, DATABASE_FILE);
  return { db_bytes: size(db), wal_bytes: size(`${db}-wal`) };
}

process.once('SIGTERM', () => {
  clearInterval(timer);
  loop.disable();
  void server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
});
