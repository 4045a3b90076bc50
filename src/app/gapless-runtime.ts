import type { CommandEnvelope, CommandName, CommittedEvent, MissionRuntime } from '../core/index.js';

/** What the gateway reads of the shared event log (the store's QueriesRepo / ProjectsRepo fit). */
export interface EventLogReader {
  /** The project's events with `seq > afterSeq`, in order. */
  eventsAfter(projectId: string, afterSeq: number, limit: number): CommittedEvent[];
  /** The newest committed seq of each project (`projects.last_seq`). */
  heads(): Map<string, number>;
}

export interface GaplessRuntimeOptions {
  /** How often the log is compared with what was delivered, to catch a lost last batch (ms). */
  sweepMs?: number;
  /** Events read from the log because NATS did not bring them (for logs and metrics). */
  onFilled?: (fill: { project_id: string; from_seq: number; to_seq: number; reason: 'gap' | 'sweep' }) => void;
  onError?: (err: unknown) => void;
}

const FILL_PAGE = 1_000;

/**
 * A gateway process's view of the runtime when the actors live in another process. Commands go
 * to `remote` (NATS request/reply). Committed events arrive on NATS, which is at-most-once: a
 * batch published while this gateway was reconnecting, or dropped by a slow subscription, is
 * simply missing. The runtime commits before it publishes, so every event is already in the
 * shared SQLite log: this class hands its listeners each project's events exactly once and in
 * seq order with no gap, reading the missing ones from the log — when a later batch shows a
 * gap, and on a periodic sweep (a lost LAST batch shows no gap until the next one).
 *
 * Events committed before the first listener attached are not delivered live: feed clients get
 * them by replay (`mission.subscribe {since_seq}`), which also reads the log.
 */
export class GaplessRuntime implements MissionRuntime {
  private readonly listeners = new Set<(events: CommittedEvent[]) => void>();
  /** Highest seq handed to listeners per project (starts at the log head when listening began). */
  private readonly delivered = new Map<string, number>();
  private detachRemote: (() => void) | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Heads seen ahead of delivery at the previous sweep: filled only if still missing now. */
  private lagging = new Map<string, number>();

  constructor(
    private readonly remote: MissionRuntime,
    private readonly log: EventLogReader,
    private readonly opts: GaplessRuntimeOptions = {},
  ) {}

  execute<N extends CommandName>(command: CommandEnvelope<N>): Promise<unknown> {
    return this.remote.execute(command);
  }

  onCommitted(listener: (events: CommittedEvent[]) => void): () => void {
    this.listeners.add(listener);
    if (!this.detachRemote) this.startListening();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopListening();
    };
  }

  /** The highest seq delivered for a project (undefined before anything was seen). */
  deliveredSeq(projectId: string): number | undefined {
    return this.delivered.get(projectId);
  }

  close(): void {
    this.listeners.clear();
    this.stopListening();
  }

  /**
   * Compares the log with what was delivered (run on a timer). An event is read from the log only
   * when it was already committed at the previous sweep and has still not arrived: a batch that
   * is merely in flight on NATS is left to NATS.
   */
  sweep(): void {
    let heads: Map<string, number>;
    try {
      heads = this.log.heads();
    } catch (err) {
      this.opts.onError?.(err);
      return;
    }
    const previous = this.lagging;
    this.lagging = new Map();
    for (const [projectId, head] of heads) {
      // A project created after listening began starts at 0: all its events are live ones.
      const last = this.delivered.get(projectId) ?? 0;
      if (head <= last) continue;
      const overdue = Math.min(previous.get(projectId) ?? last, head);
      if (overdue > last) this.deliver(projectId, this.fill(projectId, last, overdue, 'sweep'));
      if (head > (this.delivered.get(projectId) ?? 0)) this.lagging.set(projectId, head);
    }
  }

  private startListening(): void {
    // Everything up to the current heads is history (replay); live delivery starts after it.
    try {
      for (const [projectId, head] of this.log.heads()) this.delivered.set(projectId, head);
    } catch (err) {
      this.opts.onError?.(err);
    }
    this.detachRemote = this.remote.onCommitted((events) => this.receive(events));
    const every = this.opts.sweepMs ?? 1_000;
    if (every > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), every);
      this.sweepTimer.unref();
    }
  }

  private stopListening(): void {
    this.detachRemote?.();
    this.detachRemote = null;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  private receive(events: CommittedEvent[]): void {
    for (const [projectId, batch] of byProject(events)) {
      const last = this.delivered.get(projectId) ?? 0;
      const fresh = batch.filter((e) => e.seq > last);
      const first = fresh[0];
      if (!first) continue;
      const missing = first.seq > last + 1 ? this.fill(projectId, last, first.seq - 1, 'gap') : [];
      this.deliver(projectId, [...missing, ...fresh]);
    }
  }

  /** Reads events `(after, upTo]` of a project from the log. */
  private fill(projectId: string, after: number, upTo: number, reason: 'gap' | 'sweep'): CommittedEvent[] {
    const out: CommittedEvent[] = [];
    try {
      let cursor = after;
      while (cursor < upTo) {
        const page = this.log.eventsAfter(projectId, cursor, Math.min(FILL_PAGE, upTo - cursor)).filter((e) => e.seq <= upTo);
        if (page.length === 0) break;
        out.push(...page);
        cursor = page[page.length - 1]!.seq;
      }
    } catch (err) {
      this.opts.onError?.(err);
    }
    if (out.length > 0) this.opts.onFilled?.({ project_id: projectId, from_seq: out[0]!.seq, to_seq: out[out.length - 1]!.seq, reason });
    return out;
  }

  private deliver(projectId: string, events: CommittedEvent[]): void {
    const last = this.delivered.get(projectId) ?? 0;
    const ordered = events.filter((e) => e.seq > last);
    const newest = ordered[ordered.length - 1];
    if (!newest) return;
    this.delivered.set(projectId, newest.seq);
    for (const listener of this.listeners) {
      try {
        listener(ordered);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }
}

function byProject(events: CommittedEvent[]): Map<string, CommittedEvent[]> {
  const out = new Map<string, CommittedEvent[]>();
  for (const e of events) {
    const list = out.get(e.project_id);
    if (list) list.push(e);
    else out.set(e.project_id, [e]);
  }
  return out;
}
