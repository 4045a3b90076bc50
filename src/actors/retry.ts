import { isMissionError, MissionError, systemClock, type Clock } from '../core/index.js';

/**
 * Retry with exponential backoff and full jitter for transient failures (SPEC §10). Bounded by
 * attempts and by total time, and it stops at once when the caller's signal aborts: a retry
 * loop must never outlive the pulse (or request) it serves.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  maxAttempts: number;
  /** Delay cap before attempt 2; doubles each attempt up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No new attempt starts once this much time has passed since the first one. */
  maxTotalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000, maxTotalMs: 30_000 };

export interface RetryOptions {
  signal?: AbortSignal;
  clock?: Clock;
  /** Which errors are worth another attempt; by default transient MissionErrors only. */
  isRetryable?: (err: unknown) => boolean;
  /** Called before each wait, for logs and metrics. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** [0, 1) source for jitter; injectable so tests are deterministic. */
  random?: () => number;
}

/** Transient MissionErrors, and any error object that says `transient: true` or `retryable: true`. */
export function isTransient(err: unknown): boolean {
  if (isMissionError(err)) return err.severity === 'transient';
  if (typeof err === 'object' && err !== null) {
    const flags = err as { transient?: unknown; retryable?: unknown };
    return flags.transient === true || flags.retryable === true;
  }
  return false;
}

/** A server's own hint (`retryAfterMs` / `retry_after_ms` in the error or its data), if any. */
export function retryAfterHint(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const candidates: unknown[] = [err];
  if (isMissionError(err)) candidates.push(err.data);
  for (const c of candidates) {
    const v = (c as { retryAfterMs?: unknown; retry_after_ms?: unknown }).retryAfterMs ?? (c as { retry_after_ms?: unknown }).retry_after_ms;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  }
  return undefined;
}

/** Full-jitter backoff: uniform in [0, min(max, base·2^(attempt−1))], never below a server hint. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number, hintMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return hintMs === undefined ? jittered : Math.max(jittered, Math.min(hintMs, policy.maxDelayMs));
}

export function assertRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const ok =
    Number.isInteger(policy.maxAttempts) &&
    policy.maxAttempts >= 1 &&
    policy.baseDelayMs >= 0 &&
    policy.maxDelayMs >= policy.baseDelayMs &&
    policy.maxTotalMs >= 0;
  if (!ok) throw new MissionError('CONFIG_INVALID', 'retry policy needs maxAttempts ≥ 1, 0 ≤ baseDelayMs ≤ maxDelayMs, maxTotalMs ≥ 0', { ...policy });
  return policy;
}

/**
 * Calls `fn(attempt)` until it resolves, the error is not retryable, attempts or total time run
 * out, or the signal aborts; then rethrows the last error (or the abort reason).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, options: RetryOptions = {}): Promise<T> {
  assertRetryPolicy(policy);
  const clock = options.clock ?? systemClock;
  const isRetryable = options.isRetryable ?? isTransient;
  const random = options.random ?? Math.random;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(options.signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.maxAttempts || !isRetryable(err) || options.signal?.aborted) throw err;
      const delayMs = backoffDelay(policy, attempt, random, retryAfterHint(err));
      if (clock.now() + delayMs - started > policy.maxTotalMs) throw err;
      options.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs, clock, options.signal);
    }
  }
}

/** Waits `ms` on the clock; rejects with the abort reason as soon as the signal aborts. */
export function sleep(ms: number, clock: Clock = systemClock, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      timer.cancel();
      reject(abortReason(signal!));
    };
    const timer = clock.at(clock.now() + ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new MissionError('TIMEOUT', 'aborted');
}
