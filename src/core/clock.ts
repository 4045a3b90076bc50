/** Injectable time (STYLE: Temporal's deterministic workflows). All times are epoch milliseconds. */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` once, no earlier than `at` (absolute epoch ms). */
  at(at: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  at(at, fn) {
    // setTimeout caps at ~24.8 days; re-arm in steps so far deadlines still fire on time.
    const MAX = 2 ** 31 - 1;
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const wait = at - Date.now();
      if (wait <= 0) return fn();
      handle = setTimeout(arm, Math.min(wait, MAX));
      handle.unref?.();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** A clock tests move by hand; timers fire in deadline order during `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  at(at: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    this.timers.push({ at, fn, id });
    return { cancel: () => (this.timers = this.timers.filter((t) => t.id !== id)) };
  }

  /** Moves time forward by `ms`, firing due timers in order (each sees `now()` = its deadline). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = target;
  }

  pending(): number {
    return this.timers.length;
  }
}
