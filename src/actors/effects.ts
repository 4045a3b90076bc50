/** One after-commit side effect (a file write, a driver call); failures are logged, not thrown. */
export type Effect = () => void | Promise<void>;

/**
 * After-commit effects in commit order per project: a project's effects start only when every
 * effect committed before them for that project has finished, so its folder exists before its
 * KANBAN.md or agent files are written. Effects of different projects run concurrently.
 */
export class EffectQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Queues `effects` (run one after the other) behind the effects already queued for `projects`. */
  run(projects: Iterable<string>, effects: readonly Effect[]): Promise<void> {
    const keys = [...new Set(projects)];
    const before = keys.map((p) => this.tails.get(p)).filter((t): t is Promise<void> => t !== undefined);
    const done = (async () => {
      // Always after the current turn: effects never run inside the commit that queued them.
      await Promise.allSettled(before);
      for (const effect of effects) {
        try {
          await effect();
        } catch (err) {
          this.onError(err);
        }
      }
    })();
    for (const p of keys) this.tails.set(p, done);
    this.pending.add(done);
    void done.finally(() => {
      this.pending.delete(done);
      for (const p of keys) if (this.tails.get(p) === done) this.tails.delete(p);
    });
    return done;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves once every queued effect (and any queued meanwhile) has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
