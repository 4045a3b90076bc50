/**
 * Knows when the simulated node is quiescent: every asynchronous thing the runtime starts goes
 * through something the simulation wraps (file effects, driver runs, released calls, human
 * commands), each counted here while it runs. Quiescent = nothing counted and no group commit
 * queued, across two event-loop turns (microtask chains between counted things finish in one).
 */
export class Activity {
  private active = 0;
  private readonly names = new Map<string, number>();
  /** Changes on every begin and end: a settled node keeps it still. */
  ticks = 0;

  /** Counts `work` as running until it settles; returns it unchanged. */
  track<T>(what: string, work: Promise<T>): Promise<T> {
    this.begin(what);
    return work.finally(() => this.end(what));
  }

  begin(what: string): void {
    this.ticks++;
    this.active++;
    this.names.set(what, (this.names.get(what) ?? 0) + 1);
  }

  end(what: string): void {
    this.ticks++;
    this.active--;
    const n = (this.names.get(what) ?? 1) - 1;
    if (n === 0) this.names.delete(what);
    else this.names.set(what, n);
  }

  get busy(): boolean {
    return this.active > 0;
  }

  /** Whether anything other than the named kinds is running. */
  busyExcept(kinds: readonly string[]): boolean {
    for (const [k, n] of this.names) if (n > 0 && !kinds.includes(k)) return true;
    return false;
  }

  describe(): string {
    return [...this.names].map(([k, n]) => `${k}×${n}`).join(', ');
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Waits until `idle()` holds for two consecutive event-loop turns. Real time only bounds the
 * wait (a node that never settles is a liveness failure, reported by the caller).
 */
export async function settle(idle: () => boolean, timeoutMs: number, fingerprint: () => string = () => ''): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  let calm = 0;
  let last = fingerprint();
  while (calm < 2) {
    await turn();
    const now = fingerprint();
    calm = idle() && now === last ? calm + 1 : 0;
    last = now;
    if (calm === 0 && Date.now() > until) return false;
    // A queued group commit waits on a real timer of max_delay_ms: give it that time.
    if (calm === 0) await new Promise((r) => setTimeout(r, 1));
  }
  return true;
}
