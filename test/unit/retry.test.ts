import { describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { backoffDelay, retry, type RetryPolicy } from '../../src/actors/retry.js';

const fast: RetryPolicy = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 40, maxTotalMs: 5_000 };
const transient = (): MissionError => new MissionError('DRIVER_UNAVAILABLE', 'down');
const permanent = (): MissionError => new MissionError('INVALID_INPUT', 'bad');

describe('backoff', () => {
  it('caps the jittered delay at base·2^(attempt−1), then at maxDelayMs', () => {
    const policy: RetryPolicy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalMs: 60_000 };
    // Written from the definition of full jitter: the delay is random·ceiling, ceiling doubling to the cap.
    const ceilings: [number, number][] = [[1, 100], [2, 200], [3, 400], [4, 800], [5, 1_000], [9, 1_000]];
    for (const [attempt, ceiling] of ceilings) {
      expect(backoffDelay(policy, attempt, () => 0.5)).toBe(ceiling / 2);
      expect(backoffDelay(policy, attempt, () => 0)).toBe(0);
      expect(backoffDelay(policy, attempt, () => 0.999_999)).toBeLessThan(ceiling);
    }
  });

  it('never waits less than the server asks (retryAfterMs), within maxDelayMs', () => {
    const policy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 1_000, maxTotalMs: 60_000 };
    expect(backoffDelay(policy, 1, () => 0, 500)).toBe(500);
    expect(backoffDelay(policy, 1, () => 0, 5_000)).toBe(1_000);
  });
});

describe('retry', () => {
  it('retries transient failures until success', async () => {
    let calls = 0;
    const result = await retry(async () => {
      calls++;
      if (calls < 3) throw transient();
      return 'done';
    }, fast);
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('does not retry a permanent failure', async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw permanent();
      }, fast),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(calls).toBe(1);
  });

  it('gives up after maxAttempts and rethrows the last error', async () => {
    let calls = 0;
    const retries: number[] = [];
    await expect(
      retry(
        async (attempt) => {
          calls++;
          throw new MissionError('TIMEOUT', `attempt ${attempt}`);
        },
        fast,
        { onRetry: ({ attempt }) => retries.push(attempt) },
      ),
    ).rejects.toThrow('attempt 4');
    expect(calls).toBe(4);
    expect(retries).toEqual([1, 2, 3]);
  });

  it('stops when the next wait would pass maxTotalMs', async () => {
    let calls = 0;
    const policy: RetryPolicy = { maxAttempts: 100, baseDelayMs: 40, maxDelayMs: 40, maxTotalMs: 100 };
    const started = Date.now();
    await expect(
      retry(async () => {
        calls++;
        throw transient();
      }, policy, { random: () => 0.999 }),
    ).rejects.toMatchObject({ code: 'DRIVER_UNAVAILABLE' });
    expect(calls).toBeLessThanOrEqual(4);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops waiting as soon as the signal aborts', async () => {
    const controller = new AbortController();
    let calls = 0;
    const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000, maxTotalMs: 60_000 };
    const started = Date.now();
    const pending = retry(async () => {
      calls++;
      throw transient();
    }, policy, { signal: controller.signal, random: () => 0.9 });
    setTimeout(() => controller.abort(new MissionError('TIMEOUT', 'pulse aborted')), 30);
    await expect(pending).rejects.toThrow('pulse aborted');
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('honours an error that says retryable: true (a gateway frame)', async () => {
    let calls = 0;
    await retry(async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('UNAVAILABLE'), { retryable: true, retryAfterMs: 5 });
      return 1;
    }, fast);
    expect(calls).toBe(2);
  });
});
