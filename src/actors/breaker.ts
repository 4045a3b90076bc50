import { MissionError, systemClock, type Clock, type ErrorCode } from '../core/index.js';

/**
 * A circuit breaker around one external dependency (an agent runtime, NATS): SPEC §10.
 * closed → open after `failureThreshold` consecutive failures → half-open once `cooldownMs` has
 * passed (one probe call at a time) → closed on the probe's success, open again on its failure.
 * Time comes from the injected Clock and the open → half-open step is computed when the state is
 * read, so the breaker owns no timers and needs no disposal.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Names the dependency in errors, health and metrics (e.g. 'nats', 'driver:openclaw'). */
  name: string;
  failureThreshold: number;
  cooldownMs: number;
  /** The code of the error a call gets while the circuit refuses it. */
  unavailableCode: ErrorCode;
  clock?: Clock;
}

export interface BreakerSnapshot {
  name: string;
  state: BreakerState;
  consecutiveFailures: number;
  /** When the circuit last opened (epoch ms), null while it never has. */
  openedAt: number | null;
  /** When a half-open probe will be let through, while open. */
  retryAt: number | null;
  /** Calls refused without reaching the dependency, since creation. */
  rejected: number;
}

export interface RunOptions {
  /** Decides whether an error counts against the dependency; by default every error does. */
  isFailure?: (err: unknown) => boolean;
}

export class CircuitBreaker {
  readonly name: string;
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly unavailableCode: ErrorCode;
  private readonly clock: Clock;
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;
  private rejectedCount = 0;
  private readonly listeners = new Set<(state: BreakerState, breaker: CircuitBreaker) => void>();

  constructor(opts: CircuitBreakerOptions) {
    if (!Number.isInteger(opts.failureThreshold) || opts.failureThreshold < 1) {
      throw new MissionError('INVALID_INPUT', 'failureThreshold must be an integer ≥ 1', { failureThreshold: opts.failureThreshold });
    }
    if (!(opts.cooldownMs >= 0)) {
      throw new MissionError('INVALID_INPUT', 'cooldownMs must be ≥ 0', { cooldownMs: opts.cooldownMs });
    }
    this.name = opts.name;
    this.threshold = opts.failureThreshold;
    this.cooldownMs = opts.cooldownMs;
    this.unavailableCode = opts.unavailableCode;
    this.clock = opts.clock ?? systemClock;
  }

  state(): BreakerState {
    if (this.current === 'open' && this.openedAt !== null && this.clock.now() >= this.openedAt + this.cooldownMs) {
      this.transition('half-open');
    }
    return this.current;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state();
    return {
      name: this.name,
      state,
      consecutiveFailures: this.failures,
      openedAt: this.openedAt,
      retryAt: state === 'open' && this.openedAt !== null ? this.openedAt + this.cooldownMs : null,
      rejected: this.rejectedCount,
    };
  }

  /** Listens to state changes; returns the unsubscribe function. */
  onStateChange(listener: (state: BreakerState, breaker: CircuitBreaker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `fn` through the circuit: refuses at once (MissionError `unavailableCode`) while open or
   * while a half-open probe is in flight; otherwise records the outcome.
   */
  async run<T>(fn: () => Promise<T>, opts: RunOptions = {}): Promise<T> {
    const isProbe = this.admit();
    try {
      const result = await fn();
      this.recordSuccess();
      return result;
    } catch (err) {
      if (opts.isFailure === undefined || opts.isFailure(err)) this.recordFailure();
      else this.recordSuccess();
      throw err;
    } finally {
      if (isProbe) this.probing = false;
    }
  }

  /** Records an outcome observed outside `run` (e.g. a connection dropped). */
  recordFailure(): void {
    this.failures += 1;
    const state = this.state();
    if (state === 'half-open' || (state === 'closed' && this.failures >= this.threshold)) {
      this.openedAt = this.clock.now();
      this.transition('open');
    }
  }

  recordSuccess(): void {
    this.failures = 0;
    if (this.current !== 'closed') {
      this.openedAt = null;
      this.transition('closed');
    }
  }

  /** Returns whether the admitted call is the half-open probe; throws when the call is refused. */
  private admit(): boolean {
    const state = this.state();
    if (state === 'closed') return false;
    if (state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    this.rejectedCount += 1;
    const retryAt = state === 'open' && this.openedAt !== null ? this.openedAt + this.cooldownMs : null;
    throw new MissionError(this.unavailableCode, `The circuit for ${this.name} is ${state}; calls are refused until it recovers`, {
      breaker: this.name,
      state,
      retry_at: retryAt,
    });
  }

  private transition(next: BreakerState): void {
    if (next === this.current) return;
    this.current = next;
    for (const listener of this.listeners) listener(next, this);
  }
}
