import { isMissionError, MissionError, systemClock, type Clock } from '../../core/index.js';
import { CircuitBreaker } from '../breaker.js';
import { DEFAULT_RETRY, isTransient, retry, type RetryPolicy } from '../retry.js';
import type {
  AgentDriver,
  DriverEvent,
  DriverHealth,
  DriverMetrics,
  InstanceRef,
  PulseOutcome,
  PulseRequest,
  ResilientDriver,
} from './types.js';

/**
 * Puts any driver behind retry-with-backoff and a circuit breaker (DESIGN "Agent drivers").
 * - Only transient failures are retried, with the same pulseId (drivers dedup by it), within
 *   the pulse's own time budget and never after its signal aborted.
 * - The breaker counts transient failures, timeouts and thrown errors: signs the runtime itself
 *   is unwell. A run the agent finished badly (non-zero exit, failed run) is the agent's
 *   business and does not open the circuit.
 * - Nothing a driver does escapes `deliverPulse` as a rejection: every path resolves a
 *   PulseOutcome, so a broken driver cannot crash the runtime.
 */
export interface ResilienceOptions {
  retry?: RetryPolicy;
  breaker?: { failureThreshold: number; cooldownMs: number };
  clock?: Clock;
  random?: () => number;
}

export const DEFAULT_DRIVER_BREAKER = { failureThreshold: 5, cooldownMs: 30_000 } as const;

/** Carries a failed outcome through retry() and the breaker, which speak in exceptions. */
class OutcomeError extends Error {
  constructor(readonly outcome: PulseOutcome) {
    super(outcome.status === 'failed' ? outcome.error.message : outcome.status);
  }
  get transient(): boolean {
    return this.outcome.status === 'failed' && this.outcome.error.transient;
  }
}

export function failedOutcome(err: unknown, output?: string): PulseOutcome {
  const error = isMissionError(err)
    ? { code: err.code, message: err.message, transient: err.severity === 'transient' }
    : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), transient: isTransient(err) };
  return output === undefined ? { status: 'failed', error } : { status: 'failed', error, output };
}

export function withResilience(driver: AgentDriver, options: ResilienceOptions = {}): ResilientDriver {
  const clock = options.clock ?? systemClock;
  const policy = options.retry ?? DEFAULT_RETRY;
  const breakerOpts = options.breaker ?? DEFAULT_DRIVER_BREAKER;
  const breaker = new CircuitBreaker({
    name: `driver:${driver.name}`,
    failureThreshold: breakerOpts.failureThreshold,
    cooldownMs: breakerOpts.cooldownMs,
    unavailableCode: 'DRIVER_UNAVAILABLE',
    clock,
  });
  const listeners = new Set<(event: DriverEvent) => void>();
  const pulses: Record<PulseOutcome['status'], number> = { ok: 0, failed: 0, timeout: 0, aborted: 0 };
  let retries = 0;

  const emit = (event: DriverEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // Metrics and logs must not break pulse delivery.
      }
    }
  };
  let lastState = breaker.state();
  breaker.onStateChange((state) => {
    const previous = lastState;
    lastState = state;
    emit({ type: 'breaker', driver: driver.name, state, previous });
  });

  const countsAgainstRuntime = (err: unknown): boolean =>
    err instanceof OutcomeError ? err.transient || err.outcome.status === 'timeout' : true;

  async function deliverPulse(instance: InstanceRef, prompt: string, request: PulseRequest): Promise<PulseOutcome> {
    const started = clock.now();
    const deadline = started + request.timeoutMs;
    let attempts = 0;
    const finish = (outcome: PulseOutcome): PulseOutcome => {
      pulses[outcome.status]++;
      emit({ type: 'pulse', driver: driver.name, instanceId: instance.id, pulseId: request.pulseId, status: outcome.status, durationMs: clock.now() - started, attempts });
      return outcome;
    };
    try {
      const outcome = await retry(
        async (attempt) => {
          attempts = attempt;
          const remaining = deadline - clock.now();
          if (remaining <= 0) return { status: 'timeout' } satisfies PulseOutcome;
          return breaker.run(
            async () => {
              let result: PulseOutcome;
              try {
                result = await driver.deliverPulse(instance, prompt, { ...request, timeoutMs: remaining });
              } catch (err) {
                result = failedOutcome(err);
              }
              if (result.status === 'failed' || result.status === 'timeout') throw new OutcomeError(result);
              return result;
            },
            { isFailure: countsAgainstRuntime },
          );
        },
        { ...policy, maxTotalMs: Math.min(policy.maxTotalMs, request.timeoutMs) },
        {
          signal: request.signal,
          clock,
          ...(options.random ? { random: options.random } : {}),
          isRetryable: (err) => (err instanceof OutcomeError ? err.transient : isTransient(err) && !isBreakerRefusal(err)),
          onRetry: ({ attempt, delayMs, error }) => {
            retries++;
            const code = error instanceof OutcomeError && error.outcome.status === 'failed' ? error.outcome.error.code : isMissionError(error) ? error.code : 'INTERNAL';
            emit({ type: 'retry', driver: driver.name, instanceId: instance.id, pulseId: request.pulseId, attempt, delayMs, code });
          },
        },
      );
      return finish(outcome);
    } catch (err) {
      if (err instanceof OutcomeError) return finish(err.outcome);
      if (request.signal.aborted) return finish({ status: 'aborted' });
      return finish(failedOutcome(err));
    }
  }

  /** Lifecycle hooks retry like pulses; a final failure rejects with a MissionError the caller handles. */
  async function hook(name: string, instance: InstanceRef, call: () => Promise<void>): Promise<void> {
    try {
      await retry(() => breaker.run(call, { isFailure: (err) => !isMissionError(err) || err.severity === 'transient' }), policy, {
        clock,
        isRetryable: (err) => isTransient(err) && !isBreakerRefusal(err),
        ...(options.random ? { random: options.random } : {}),
      });
    } catch (err) {
      const mission = isMissionError(err) ? err : new MissionError('DRIVER_UNAVAILABLE', err instanceof Error ? err.message : String(err));
      emit({ type: 'hook_failed', driver: driver.name, instanceId: instance.id, hook: name, code: mission.code, message: mission.message });
      throw mission;
    }
  }

  const wrapped: ResilientDriver = {
    name: driver.name,
    inner: driver,
    deliverPulse,
    async abort(instance) {
      try {
        await driver.abort(instance);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        emit({ type: 'hook_failed', driver: driver.name, instanceId: instance.id, hook: 'abort', code: isMissionError(err) ? err.code : 'INTERNAL', message });
      }
    },
    health(): DriverHealth {
      const snap = breaker.snapshot();
      if (snap.state === 'open') {
        const at = snap.retryAt === null ? '' : `; next probe at ${new Date(snap.retryAt).toISOString()}`;
        return { ok: false, state: 'open', message: `circuit open after ${snap.consecutiveFailures} consecutive failures${at}` };
      }
      let inner: DriverHealth;
      try {
        inner = driver.health();
      } catch (err) {
        return { ok: false, state: 'error', message: err instanceof Error ? err.message : String(err) };
      }
      if (!inner.ok || inner.state === 'degraded') return inner;
      return inner.message === undefined ? { ok: true, state: snap.state } : { ok: true, state: snap.state, message: inner.message };
    },
    metrics(): DriverMetrics {
      const snap = breaker.snapshot();
      return {
        driver: driver.name,
        breaker: { state: snap.state, consecutiveFailures: snap.consecutiveFailures, rejected: snap.rejected, retryAt: snap.retryAt },
        pulses: { ...pulses },
        retries,
      };
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await driver.close?.();
    },
  };
  if (driver.instanceCreated) {
    const created = driver.instanceCreated.bind(driver);
    wrapped.instanceCreated = (instance, soulMd) => hook('instanceCreated', instance, () => created(instance, soulMd));
  }
  if (driver.instanceUpgraded) {
    const upgraded = driver.instanceUpgraded.bind(driver);
    wrapped.instanceUpgraded = (instance, soulMd) => hook('instanceUpgraded', instance, () => upgraded(instance, soulMd));
  }
  if (driver.instanceDestroyed) {
    const destroyed = driver.instanceDestroyed.bind(driver);
    wrapped.instanceDestroyed = (instance, facts) => hook('instanceDestroyed', instance, () => destroyed(instance, facts));
  }
  return wrapped;
}

/** The breaker's own refusal: retrying it at once would only be refused again. */
function isBreakerRefusal(err: unknown): boolean {
  return isMissionError(err) && typeof err.data.breaker === 'string';
}
