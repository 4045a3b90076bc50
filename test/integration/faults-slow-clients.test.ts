import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeedClient, rpc, signIn, unwrap } from '../../bench/lib/mission-client.js';
import { ADMIN, startServerProcess, type ServerProcess, type ServerStats } from '../../bench/lib/server-process.js';

/**
 * A flood of WebSocket clients that subscribe and then never read (SPEC §10, gateway docs: "a
 * client that stops reading is closed with 1013"). The server is a real process reporting its own
 * RSS. Traffic: a task's 60 KB description rewritten, so every notification is ~60 KB. Expected:
 *  - every non-reading client is dropped with close code 1013 (the server's per-client unsent-byte
 *    threshold is 8 MB), so the server's memory is bounded by clients × threshold, not by traffic;
 *  - after the drops, more traffic does not grow the server's RSS;
 *  - normal clients keep receiving every seq, RPCs keep being answered.
 */
const SLOW_CLIENTS = 40;
const THRESHOLD_BYTES = 8 * 1024 * 1024;
const MB = 1024 * 1024;

let dataDir = '';
let server: ServerProcess | undefined;
const clients: FeedClient[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
  await server?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function feedClientCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^mc_feed_clients (\d+)/m.exec(text);
  if (!m) throw new Error('mc_feed_clients missing from /metrics');
  return Number(m[1]);
}

const maxRss = (stats: ServerStats[]): number => Math.max(...stats.map((s) => s.rss));

describe('WebSocket clients that never read', () => {
  it('are dropped with 1013 while memory stays bounded and normal clients keep working', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'mc-fault-slow-'));
    server = await startServerProcess({ dataDir, entry: 'bench/lib/instrumented-server.ts',
      nodeArgs: ['--expose-gc'],
      // Samples after a full GC: what the server retains, not garbage not yet collected.
      env: { MC_STATS_GC: '1', MC_STATS_MS: '300', MC_LIMITS_MAX_MESSAGE_BYTES: String(128 * 1024) } });
    const { url } = server;
    const wsUrl = `${url.replace('http', 'ws')}/ws`;
    const token = await signIn(url, ADMIN.username, ADMIN.password);
    unwrap(await rpc(url, token, 'mission.project.init', { project_name: 'Flood', project_id: 'flood' }));

    const normal = [0, 1, 2].map(() => new FeedClient(wsUrl, token, 'flood', 0));
    const slow = Array.from({ length: SLOW_CLIENTS }, () => new FeedClient(wsUrl, token, 'flood', 0));
    clients.push(...normal, ...slow);
    await Promise.all([...normal, ...slow].map((c) => c.start()));
    for (const c of slow) c.pauseReading();
    expect(await feedClientCount(url)).toBe(normal.length + SLOW_CLIENTS);
    await new Promise((r) => setTimeout(r, 600));
    const baseline = server.stats().at(-1)!.rss;

    // One task whose 60 KB description is rewritten: every event is ~60 KB, and the server keeps
    // only the latest text, so retained memory should not grow with the traffic.
    const description = 'f'.repeat(60_000);
    const task = unwrap(await rpc<{ id: string }>(url, token, 'mission.task.create', { project_id: 'flood', title: 'flooded' }));
    const latencies: number[] = [];
    let created = 0;
    const write = async (until: () => Promise<boolean> | boolean, cap: number): Promise<void> => {
      let done = false;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (!done && created < cap) {
            const t = performance.now();
            unwrap(await rpc(url, token, 'mission.task.update', { task_id: task.id, description: `${created++} ${description}` }));
            latencies.push(performance.now() - t);
            if (created % 20 === 0 && (await until())) done = true;
          }
        }),
      );
    };

    // Phase 1: write until the server has dropped every non-reading client.
    await write(async () => (await feedClientCount(url)) === normal.length, 3_000);
    const phase1Events = created;
    expect(await feedClientCount(url)).toBe(normal.length);
    const phase1Stats = server.stats();
    const peak = maxRss(phase1Stats);
    expect(peak - baseline, `RSS grew ${((peak - baseline) / MB).toFixed(0)} MB`).toBeLessThan(SLOW_CLIENTS * THRESHOLD_BYTES * 1.25 + 96 * MB);

    // Phase 2: as much traffic again, only normal clients: no further growth.
    const phase2From = server.stats().length;
    await write(() => false, phase1Events * 2);
    await new Promise((r) => setTimeout(r, 400));
    const phase2Peak = maxRss(server.stats().slice(phase2From));
    expect(phase2Peak - peak, `RSS grew ${((phase2Peak - peak) / MB).toFixed(0)} MB after the drops`).toBeLessThan(48 * MB);

    // Normal clients saw everything, in order.
    const last = unwrap(await rpc<{ last_seq: number }>(url, token, 'mission.project.get', { project_id: 'flood' })).last_seq;
    await Promise.all(normal.map((c) => c.waitForSeq(last, 20_000)));
    for (const c of normal) {
      expect(c.stats.seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      expect(c.stats.closeCodes).toEqual([]);
    }

    // Half the dropped clients read again: each finds the 1013 close after the data it had not read.
    const reading = slow.slice(0, SLOW_CLIENTS / 2);
    const silent = slow.slice(SLOW_CLIENTS / 2);
    for (const c of reading) c.resumeReading();
    const deadline = Date.now() + 30_000;
    while (reading.some((c) => c.stats.closeCodes.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const codes = reading.map((c) => c.stats.closeCodes[0]);
    expect(codes.every((c) => c === 1013), `close codes: ${codes.join(',')}`).toBe(true);

    // The other half never reads: their closing handshake cannot finish, yet the server must
    // release their sockets (a dropped client may not pin its buffers for ever).
    const sockets = (): number => server!.stats().at(-1)!.resources.TCPSocketWrap ?? 0;
    const droppedAt = Date.now();
    while (sockets() >= silent.length && Date.now() - droppedAt < 40_000) await new Promise((r) => setTimeout(r, 250));
    const releasedAfterS = (Date.now() - droppedAt) / 1000;
    expect(sockets(), 'server sockets of clients that never read were not released').toBeLessThan(silent.length);
    // 10 s of grace to read the close frame (the gateway's), not the 30 s ws would wait.
    expect(releasedAfterS).toBeLessThan(20);

    latencies.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        fault: 'ws-slow-flood',
        slow_clients: SLOW_CLIENTS,
        events_until_all_dropped: phase1Events,
        rss_baseline_mb: Math.round(baseline / MB),
        rss_peak_mb: Math.round(peak / MB),
        rss_phase2_peak_mb: Math.round(phase2Peak / MB),
        rpc_p50_ms: Math.round(latencies[Math.floor(latencies.length * 0.5)]!),
        rpc_p99_ms: Math.round(latencies[Math.floor(latencies.length * 0.99)]!),
        loop_delay_p99_max_ms: Math.round(Math.max(...phase1Stats.map((s) => s.loop_delay_p99_ms))),
        silent_sockets_released_after_s: Math.round(releasedAfterS),
      }),
    );
    expect(await server.stop()).toBe(0);
  }, 90_000);
});
