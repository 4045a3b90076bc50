import type { Clock, TimerHandle } from '../core/index.js';

interface Armed {
  at: number;
  handle: TimerHandle;
}

/**
 * Durable deadlines armed from absolute times kept in the database and actor context (DESIGN
 * "Timers are durable by design"). A timer never fires early: when it fires before its deadline
 * (a clock that runs early, a coarse timer) it re-arms. Keys are unique: arming a key again
 * replaces its deadline, so a restart that re-arms everything never doubles a timer.
 */
export class DeadlineTimers {
  private readonly armed = new Map<string, Armed>();

  constructor(private readonly clock: Clock) {}

  arm(key: string, at: number, fire: () => void): void {
    const current = this.armed.get(key);
    if (current?.at === at) return;
    current?.handle.cancel();
    const entry: Armed = { at, handle: { cancel: () => undefined } };
    this.armed.set(key, entry);
    // The clock may fire synchronously (a deadline already past), before `at()` returns.
    const handle = this.clock.at(at, () => {
      if (this.armed.get(key) !== entry) return;
      this.armed.delete(key);
      if (this.clock.now() < at) return this.arm(key, at, fire);
      fire();
    });
    if (this.armed.get(key) === entry) entry.handle = handle;
  }

  cancel(key: string): void {
    this.armed.get(key)?.handle.cancel();
    this.armed.delete(key);
  }

  armedAt(key: string): number | undefined {
    return this.armed.get(key)?.at;
  }

  get size(): number {
    return this.armed.size;
  }

  cancelAll(): void {
    for (const a of this.armed.values()) a.handle.cancel();
    this.armed.clear();
  }
}
