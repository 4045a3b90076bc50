/**
 * The real server (`startServer`, configured from `MC_*` like `mission-control serve`) plus a
 * `stats` log line every `MC_STATS_MS` (default 1000) with its own RSS, heap, active resources
 * (`process.getActiveResourcesInfo()`) and event-loop delay, so soak and fault runs measure the
 * server process and not the load generator. With `MC_STATS_GC=1` (and node --expose-gc) each
 * sample follows a full GC, so growth means retained memory, not garbage V8 has not collected
 * yet. SIGTERM closes it gracefully (exit 0).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer } from '../../src/app/index.js';
import { ConfigSource, createLogger } from '../../src/config/index.js';

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
const report = (): void => {
  collect?.();
  const m = process.memoryUsage();
  const resources: Record<string, number> = {};
  const active = process.getActiveResourcesInfo();
  for (const r of active) resources[r] = (resources[r] ?? 0) + 1;
  const stats = {
    t: Date.now(),
    rss: m.rss,
    heap_used: m.heapUsed,
    external: m.external,
    array_buffers: m.arrayBuffers,
    resources,
    resources_total: active.length,
    loop_delay_p99_ms: loop.percentile(99) / 1e6,
  };
  loop.reset();
  process.stdout.write(`${JSON.stringify({ msg: 'stats', stats })}\n`);
};
const timer = setInterval(report, every);

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
