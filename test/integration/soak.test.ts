import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../bench/lib/server-process.js';
import type { SoakCheck } from '../../bench/lib/soak-checks.js';

/**
 * The soak of issue 8 in its CI length (3 minutes; `npx tsx bench/soak.ts --minutes 30` is the
 * full one, figures in docs/operations-figures.md): the demo squad pulsing every second in a real
 * server process, 200 WebSocket clients and open-loop RPC load. Three minutes is the shortest run
 * in which the last minute is not minute 2 (minute 1 is warm-up), so the handle and p99 checks
 * are judged; the RSS slope needs 5 and must be reported as not applicable, not as holding.
 * The p99 checks get 100 ms of slack over 2 × minute 2 here (bench/lib/soak-checks.ts says why);
 * the 30-minute run is judged without it. Beyond the checks, the load must be carried: no call
 * fails, the squad keeps working.
 */
const P99_SLACK_MS = 100;
const MINUTES = 3;
/** The checks bench/soak.ts judges, by what a 3-minute run must report for each. */
const EXPECTED_VERDICTS = {
  rss_growth_below_1mb_per_min: 'not_applicable',
  active_resources_not_growing: 'holds',
  rpc_p99_last_within_2x_second: 'holds',
  feed_p99_last_within_2x_second: 'holds',
  every_client_complete: 'holds',
  graceful_exit: 'holds',
};
const CLIENTS = 200;
let out = '';
afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

interface MinuteRow {
  minute: number;
  rpc_count: number;
  rpc_errors: Record<string, number>;
  events: number;
  active_resources_max: number | null;
}

describe('soak (CI length)', () => {
  it(`carries ${CLIENTS} feed clients and RPC load for ${MINUTES} minutes with every applicable hold check holding`, async () => {
    out = mkdtempSync(join(tmpdir(), 'mc-soak-test-'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'soak.ts'), '--minutes', String(MINUTES), '--clients', String(CLIENTS), '--out', out, '--p99-slack-ms', String(P99_SLACK_MS)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    // 2 = the soak ran and a check failed: the report says which, asserted below.
    expect([0, 2], stderr.slice(-4000)).toContain(code);

    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    const reports = readdirSync(out).filter((f) => f.startsWith('soak-') && f.endsWith('.json'));
    expect(reports).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(out, reports[0]!), 'utf8')) as { checks: Record<string, SoakCheck>; minutes: MinuteRow[] };

    expect(report.minutes).toHaveLength(MINUTES);
    const verdicts = Object.fromEntries(Object.entries(report.checks).map(([name, c]) => [name, c.verdict]));
    expect(verdicts, JSON.stringify(report.checks, null, 1)).toEqual(EXPECTED_VERDICTS);
    expect(summary.soak_holds).toBe(true);
    expect(code, 'the soak exits 0 exactly when every applicable check holds').toBe(0);
    expect(summary.soak_feed_gaps).toBe(0);
    for (const m of report.minutes) {
      expect(m.rpc_count, `minute ${m.minute}`).toBeGreaterThan(500); // ~20 calls/s offered
      expect(m.rpc_errors, `minute ${m.minute}`).toEqual({});
      expect(m.events, `minute ${m.minute}`).toBeGreaterThan(100); // the squad kept working
    }
    console.log(JSON.stringify({ soak_ci: summary }));
  }, (MINUTES + 3) * 60_000);
});
