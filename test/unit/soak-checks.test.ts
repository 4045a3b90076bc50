import { describe, expect, it } from 'vitest';
import { checksWith, judgeSoak, type MinuteFigures, type SoakOutcome } from '../../bench/lib/soak-checks.js';

const steady: MinuteFigures = { active_resources_median: 205, active_resources_max: 210, rpc_p99_ms: 30, feed_p99_ms: 25, loadavg_1m: 1 };

function outcome(minutes: MinuteFigures[], more: Partial<SoakOutcome> = {}): SoakOutcome {
  return { minutes, rssGrowthMbPerMin: 0.2, clients: 200, clientsComplete: 200, serverExit: 0, ...more };
}

const verdicts = (o: SoakOutcome): Record<string, string> =>
  Object.fromEntries(Object.entries(judgeSoak(o)).map(([k, c]) => [k, c.verdict]));

describe('soak hold checks', () => {
  it('reports the minute comparisons and the RSS slope as not applicable to a 2-minute run, even when their figures are bad', () => {
    const run = outcome([steady, { active_resources_median: 900, active_resources_max: 900, rpc_p99_ms: 900, feed_p99_ms: 900 }], {
      rssGrowthMbPerMin: 50,
    });
    expect(verdicts(run)).toEqual({
      rss_growth_below_1mb_per_min: 'not_applicable',
      active_resources_not_growing: 'not_applicable',
      rpc_p99_last_within_2x_second: 'not_applicable',
      feed_p99_last_within_2x_second: 'not_applicable',
      every_client_complete: 'holds',
      graceful_exit: 'holds',
    });
    expect(checksWith(judgeSoak(run), 'fails')).toEqual([]);
  });

  it('judges minute 3 against minute 2 from 3 minutes on: growing handles or a p99 over 2× fail', () => {
    const fine = outcome([steady, steady, { active_resources_median: 205, active_resources_max: 210, rpc_p99_ms: 60, feed_p99_ms: 50 }]);
    expect(checksWith(judgeSoak(fine), 'fails')).toEqual([]);
    expect(checksWith(judgeSoak(fine), 'not_applicable')).toEqual(['rss_growth_below_1mb_per_min']);

    const worse = outcome([
      steady,
      steady,
      { active_resources_median: 206, active_resources_max: 211, rpc_p99_ms: 61, feed_p99_ms: NaN, loadavg_1m: 4 },
    ]);
    expect(checksWith(judgeSoak(worse), 'fails')).toEqual([
      'active_resources_not_growing',
      'rpc_p99_last_within_2x_second',
      'feed_p99_last_within_2x_second',
    ]);
    expect(judgeSoak(worse).rpc_p99_last_within_2x_second?.observed).toBe(
      'last 61 ≤ 2 × minute 2 30 (load average 4 vs 1)',
    );
  });

  it("judges handles by each minute's median: a burst in flight at one sample raises the max, not the verdict", () => {
    const burst = outcome([steady, steady, { ...steady, active_resources_max: 226 }]);
    expect(checksWith(judgeSoak(burst), 'fails')).toEqual([]);
    expect(judgeSoak(burst).active_resources_not_growing?.observed).toBe('median last 205 ≤ minute 2 205 (max 226 vs 210)');
    const leak = outcome([steady, steady, { ...steady, active_resources_median: 206, active_resources_max: 206 }]);
    expect(checksWith(judgeSoak(leak), 'fails')).toEqual(['active_resources_not_growing']);
    const unmeasured = outcome([steady, steady, { ...steady, active_resources_median: null }]);
    expect(checksWith(judgeSoak(unmeasured), 'fails')).toEqual(['active_resources_not_growing']);
  });

  it('judges the RSS slope from 5 minutes on, and completeness and a clean exit always', () => {
    const five = Array.from({ length: 5 }, () => steady);
    expect(verdicts(outcome(five, { rssGrowthMbPerMin: 1.5 })).rss_growth_below_1mb_per_min).toBe('fails');
    expect(verdicts(outcome(five)).rss_growth_below_1mb_per_min).toBe('holds');
    expect(
      checksWith(judgeSoak(outcome([steady], { clientsComplete: 199, serverExit: 'SIGKILL' })), 'fails'),
    ).toEqual(['every_client_complete', 'graceful_exit']);
  });
});

describe('soak p99 slack', () => {
  it('adds the slack to 2 × minute 2 in both p99 checks, and only there', () => {
    const third: MinuteFigures = { active_resources_median: 205, active_resources_max: 210, rpc_p99_ms: 150, feed_p99_ms: 149, loadavg_1m: 6 };
    const run = outcome([steady, steady, third], { p99SlackMs: 100 });
    expect(checksWith(judgeSoak(run), 'fails')).toEqual([]);
    expect(judgeSoak(run).rpc_p99_last_within_2x_second?.observed).toBe('last 150 ≤ 2 × minute 2 30 + 100 ms (load average 6 vs 1)');
    const beyond = outcome([steady, steady, { ...third, rpc_p99_ms: 161, active_resources_median: 206 }], { p99SlackMs: 100 });
    expect(checksWith(judgeSoak(beyond), 'fails')).toEqual(['active_resources_not_growing', 'rpc_p99_last_within_2x_second']);
    expect(checksWith(judgeSoak(outcome([steady, steady, third])), 'fails')).toEqual(['rpc_p99_last_within_2x_second', 'feed_p99_last_within_2x_second']);
  });
});
