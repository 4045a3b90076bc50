import type { Bus, BusMessage } from '../actors/index.js';
import type { CommittedEvent } from '../core/index.js';
import type { SimRng } from './rng.js';

export interface BusFaults {
  drop: number;
  delay: number;
}

interface Held {
  subject: string;
  data: Uint8Array | string;
  headers?: Record<string, string>;
}

/**
 * The in-process bus with the faults of a real network between the runtime and a remote
 * gateway: a publish may be dropped or held back and delivered later (out of order). NATS core
 * is at-most-once too; the feed's correctness must come from `seq` + replay (DESIGN step 7).
 */
export class LossyBus {
  faults: BusFaults = { drop: 0, delay: 0 };
  private held: Held[] = [];
  dropped = 0;
  delayed = 0;
  readonly bus: Bus;

  constructor(
    private readonly inner: Bus,
    private readonly rng: SimRng,
  ) {
    this.bus = new Proxy(inner, {
      get: (target, prop, receiver) => {
        if (prop === 'publish') return this.publish;
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  private readonly publish = (subject: string, data: Uint8Array | string, headers?: Record<string, string>): void => {
    if (this.faults.drop > 0 && this.rng.chance(this.faults.drop)) {
      this.dropped++;
      return;
    }
    if (this.faults.delay > 0 && this.rng.chance(this.faults.delay)) {
      this.delayed++;
      this.held.push({ subject, data, ...(headers ? { headers } : {}) });
      return;
    }
    this.inner.publish(subject, data, headers);
  };

  /** Delivers the held messages now, newest first (the worst order for a consumer). */
  release(): number {
    const held = this.held.reverse();
    this.held = [];
    for (const h of held) this.inner.publish(h.subject, h.data, h.headers);
    return held.length;
  }
}

/** What the mirror keeps of each event: enough to compare with the log. */
interface MirroredEvent {
  seq: number;
  type: string;
  actor_id: string;
}

/**
 * A remote feed consumer (a second gateway): follows `mc.<project>.evt` on the bus, tracks each
 * project's `seq`, skips duplicates and, on a gap, replays the missing events from the event log.
 * It must end with exactly the log: no gap, no duplicate, same order.
 */
export class FeedMirror {
  readonly applied = new Map<string, MirroredEvent[]>();
  gaps = 0;
  duplicates = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(private log: (projectId: string, afterSeq: number) => CommittedEvent[]) {}

  /** Follows a (new) bus; the mirror itself survives node crashes, like a remote process. */
  attach(bus: Bus, log: (projectId: string, afterSeq: number) => CommittedEvent[]): void {
    this.unsubscribe?.();
    this.log = log;
    const sub = bus.subscribe('mc.*.evt', (msg: BusMessage) => this.receive(msg.json<CommittedEvent[]>()));
    this.unsubscribe = () => sub.unsubscribe();
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  lastSeq(projectId: string): number {
    const list = this.applied.get(projectId);
    return list && list.length > 0 ? list[list.length - 1]!.seq : 0;
  }

  private receive(events: CommittedEvent[]): void {
    for (const e of events) {
      const last = this.lastSeq(e.project_id);
      if (e.seq <= last) {
        this.duplicates++;
        continue;
      }
      if (e.seq > last + 1) {
        this.gaps++;
        this.catchUp(e.project_id);
        if (e.seq <= this.lastSeq(e.project_id)) continue;
      }
      this.push(e);
    }
  }

  /** Replays everything the log has after the mirror's last seq (a gap, or the end of a run). */
  catchUp(projectId: string): void {
    for (const e of this.log(projectId, this.lastSeq(projectId))) this.push(e);
  }

  private push(e: CommittedEvent): void {
    const list = this.applied.get(e.project_id) ?? [];
    list.push({ seq: e.seq, type: e.type, actor_id: e.actor_id });
    this.applied.set(e.project_id, list);
  }
}
