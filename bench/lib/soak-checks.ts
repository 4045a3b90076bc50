/**
 * The soak's hold checks. Each applies from a run length on: minute 1 is warm-up, so comparing
 * "the last minute" with "minute 2" needs a third minute, and a memory slope needs five. A check
 * a run is too short for is `not_applicable`, never `holds`, so a short run cannot pass it.
 */

export type Verdict = 'holds' | 'fails' | 'not_applicable';

export interface SoakCheck {
  verdict: Verdict;
  /** The shortest run (minutes) the check judges. */
  needs_minutes: number;
  /** The figures judged, e.g. "last 210 ≤ 2 × 105". */
  observed: string;
}

/** What one minute of the soak contributes to the checks. */
export interface MinuteFigures {
  /**
   * The minute's typical count of active resources (handles, requests): the median of its
   * samples. A leak raises it minute after minute; a burst of calls in flight at one sample
   * does not, where it moves the minute's maximum (reported beside it).
   */
  active_resources_median: number | null;
  active_resources_max: number | null;
  rpc_p99_ms: number;
  feed_p99_ms: number;
  /** The machine's load: on a shared host, latency moves with it; shown beside the p99s. */
  loadavg_1m?: number;
}

export interface SoakOutcome {
  minutes: MinuteFigures[];
  /** Least-squares RSS slope after minute 1, MB per minute. */
  rssGrowthMbPerMin: number;
  clients: number;
  clientsComplete: number;
  serverExit: number | string | null;
  /**
   * Added to `2 × minute 2` in the p99 checks (default 0: the criterion as stated). The CI run
   * is 3 minutes on a shared 2-core machine, where a minute's p99 is its ~12th-worst call and
   * another test file or a GC pause moves it by tens of ms; growth worth catching is far larger.
   */
  p99SlackMs?: number;
}

const MINUTES_TO_COMPARE_MINUTES = 3;
const MINUTES_FOR_A_SLOPE = 5;

function check(runMinutes: number, needs: number, holds: boolean, observed: string): SoakCheck {
  const verdict: Verdict = runMinutes < needs ? 'not_applicable' : holds ? 'holds' : 'fails';
  return { verdict, needs_minutes: needs, observed };
}

/** `last ≤ factor × second + slack`; a missing figure (NaN, null) fails rather than passes. */
function within(last: number | null, second: number | null, factor: number, slack = 0): boolean {
  return (
    last !== null &&
    second !== null &&
    Number.isFinite(last) &&
    Number.isFinite(second) &&
    last <= factor * second + slack
  );
}

export function judgeSoak(o: SoakOutcome): Record<string, SoakCheck> {
  const n = o.minutes.length;
  const second = o.minutes[Math.min(1, n - 1)];
  const last = o.minutes.at(-1);
  const slack = o.p99SlackMs ?? 0;
  const vs = (l: unknown, s: unknown, factor = 1, plus = 0): string =>
    `last ${String(l)} ≤ ${factor === 1 ? '' : `${factor} × `}minute 2 ${String(s)}${plus > 0 ? ` + ${plus} ms` : ''}`;
  const load = `(load average ${String(last?.loadavg_1m)} vs ${String(second?.loadavg_1m)})`;
  return {
    rss_growth_below_1mb_per_min: check(
      n,
      MINUTES_FOR_A_SLOPE,
      o.rssGrowthMbPerMin < 1,
      `${o.rssGrowthMbPerMin.toFixed(3)} MB/min < 1`,
    ),
    active_resources_not_growing: check(
      n,
      MINUTES_TO_COMPARE_MINUTES,
      within(last?.active_resources_median ?? null, second?.active_resources_median ?? null, 1),
      `median ${vs(last?.active_resources_median, second?.active_resources_median)} (max ${String(last?.active_resources_max)} vs ${String(second?.active_resources_max)})`,
    ),
    rpc_p99_last_within_2x_second: check(
      n,
      MINUTES_TO_COMPARE_MINUTES,
      within(last?.rpc_p99_ms ?? null, second?.rpc_p99_ms ?? null, 2, slack),
      `${vs(last?.rpc_p99_ms, second?.rpc_p99_ms, 2, slack)} ${load}`,
    ),
    feed_p99_last_within_2x_second: check(
      n,
      MINUTES_TO_COMPARE_MINUTES,
      within(last?.feed_p99_ms ?? null, second?.feed_p99_ms ?? null, 2, slack),
      `${vs(last?.feed_p99_ms, second?.feed_p99_ms, 2, slack)} ${load}`,
    ),
    every_client_complete: check(
      n,
      1,
      o.clientsComplete === o.clients,
      `${o.clientsComplete} of ${o.clients} clients at the last seq, no duplicate`,
    ),
    graceful_exit: check(n, 1, o.serverExit === 0, `server exit ${String(o.serverExit)}`),
  };
}

export function checksWith(checks: Record<string, SoakCheck>, verdict: Verdict): string[] {
  return Object.entries(checks)
    .filter(([, c]) => c.verdict === verdict)
    .map(([name]) => name);
}
