import { MissionError, notificationFor, type CommittedEvent, type FeedNotification } from '../../core/index.js';
import type { QueriesRepo } from '../../store/index.js';

/** The socket as the feed sees it (a `ws` WebSocket fits). */
export interface FeedSink {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string, cb?: (err?: Error) => void): void;
  close(code: number, reason: string): void;
}

export interface FeedSessionOptions {
  queries: QueriesRepo;
  /** Events kept for replay per project (`limits.feed_retention_events`); 0 = no limit. */
  retentionEvents: () => number;
  /** Unsent bytes above which the client is closed with 1013. */
  maxBufferedBytes: () => number;
  onClose?: (session: FeedSession) => void;
}

interface Subscription {
  projectId: string;
  /** Highest seq sent to the client; live events at or below it are duplicates. */
  lastSent: number;
  replaying: boolean;
  replayStarted: boolean;
  /** Live events that arrived during the replay. */
  buffer: CommittedEvent[];
}

const OPEN = 1;

/** A server → client JSON-RPC notification frame. */
export function frame(n: FeedNotification): string {
  return JSON.stringify({ jsonrpc: '2.0', method: n.method, params: n.params });
}
const REPLAY_PAGE = 500;
const MAX_REPLAY_BUFFER = 50_000;

/**
 * One WebSocket client's feed state: its project subscriptions (replay, then live, no gap and no
 * duplicate: SPEC §5) and the actors it watches in the inspector.
 */
export class FeedSession {
  private readonly subs = new Map<string, Subscription>();
  private readonly watched = new Set<string>();
  private closed = false;

  constructor(
    private readonly sink: FeedSink,
    private readonly opts: FeedSessionOptions,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Registers the subscription in replay mode and returns at once; live events are buffered
   * until `startReplay(projectId)`, called once the answer has been sent.
   */
  subscribe(projectId: string, sinceSeq: number | undefined): { project_id: string; since_seq: number; last_seq: number } {
    const { min, last_seq } = this.opts.queries.logBounds(projectId);
    const since = sinceSeq ?? last_seq;
    const retention = this.opts.retentionEvents();
    const oldestKept = Math.max(min ?? last_seq + 1, retention > 0 ? last_seq - retention + 1 : 0);
    if (since < oldestKept - 1 || since > last_seq) {
      throw new MissionError('FULL_SYNC_REQUIRED', 'since_seq is outside the retained log; reload with mission.project.get', {
        project_id: projectId,
        since_seq: since,
        oldest_seq: oldestKept,
        last_seq,
      });
    }
    this.subs.set(projectId, { projectId, lastSent: since, replaying: true, replayStarted: false, buffer: [] });
    return { project_id: projectId, since_seq: since, last_seq };
  }

  /** Starts the replay of a subscription registered by `subscribe` (once). */
  startReplay(projectId: string): void {
    const sub = this.subs.get(projectId);
    if (!sub || !sub.replaying || sub.replayStarted) return;
    sub.replayStarted = true;
    void this.replay(sub);
  }

  unsubscribe(projectId: string): void {
    this.subs.delete(projectId);
  }

  watch(actorId: string): void {
    this.watched.add(actorId);
  }

  unwatch(actorId: string): void {
    this.watched.delete(actorId);
  }

  watches(actorId: string): boolean {
    return this.watched.has(actorId);
  }

  subscribedTo(projectId: string): boolean {
    return this.subs.has(projectId);
  }

  /**
   * A committed event from the runtime (in seq order per project). `render` gives the event's
   * notification frame; the hub memoises it so 100 clients cost one JSON.stringify.
   */
  deliver(event: CommittedEvent, render: () => string = () => frame(notificationFor(event))): void {
    if (this.closed) return;
    const sub = this.subs.get(event.project_id);
    if (sub) {
      if (sub.replaying) {
        // A replay that cannot catch up with live traffic would buffer without bound.
        if (sub.buffer.length >= MAX_REPLAY_BUFFER) {
          this.close(1013, 'slow consumer: live events outpaced the replay; reconnect with since_seq');
          return;
        }
        sub.buffer.push(event);
      }
      else if (event.seq > sub.lastSent) {
        sub.lastSent = event.seq;
        this.sendText(render());
      }
    }
    if (this.watched.has(event.actor_id)) {
      this.notify({
        method: 'mission.actor_snapshot',
        params: {
          project_id: event.project_id,
          seq: event.seq,
          actor_id: event.actor_id,
          actor_kind: event.actor_kind,
          state_value: event.payload.state_value,
          context: event.payload.view ?? null,
          event: event.payload.event,
        },
      });
    }
  }

  /** Sends a JSON text frame, closing a client that cannot keep up before it exhausts memory. */
  sendText(text: string, cb?: (err?: Error) => void): void {
    if (this.closed || this.sink.readyState !== OPEN) return;
    if (this.sink.bufferedAmount + text.length > this.opts.maxBufferedBytes()) {
      this.close(1013, 'slow consumer: too many unsent bytes; reconnect with since_seq');
      return;
    }
    this.sink.send(text, cb);
  }

  notify(n: FeedNotification): void {
    this.sendText(frame(n));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.subs.clear();
    this.watched.clear();
    try {
      this.sink.close(code, reason);
    } finally {
      this.opts.onClose?.(this);
    }
  }

  /** Marks the session gone after the socket closed by itself. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.subs.clear();
    this.watched.clear();
    this.opts.onClose?.(this);
  }

  private async replay(sub: Subscription): Promise<void> {
    for (;;) {
      if (this.closed || this.subs.get(sub.projectId) !== sub) return;
      const page = this.opts.queries.projectEventsAfter(sub.projectId, sub.lastSent, REPLAY_PAGE);
      if (page.length === 0) break;
      for (const event of page) {
        sub.lastSent = event.seq;
        this.notify(notificationFor(event));
      }
      // Let the socket drain (and live events queue up) between pages.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (this.closed || this.subs.get(sub.projectId) !== sub) return;
    sub.replaying = false;
    for (const event of sub.buffer) {
      if (event.seq > sub.lastSent) {
        sub.lastSent = event.seq;
        this.notify(notificationFor(event));
      }
    }
    sub.buffer = [];
  }
}
