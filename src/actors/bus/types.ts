/**
 * The message bus between gateways and the runtime (DESIGN "Bus and subjects"). Two
 * implementations share one contract suite: in-process (embedded default) and NATS.
 * Delivery is at-most-once: correctness comes from the event log's `seq` + replay.
 */
export interface BusMessage {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  /** Present on requests: answers the requester. */
  respond?: (data: Uint8Array | string, headers?: Record<string, string>) => void;
  json<T = unknown>(): T;
  string(): string;
}

export interface BusSubscription {
  unsubscribe(): void;
}

export type BusStatus = 'connected' | 'reconnecting' | 'closed';

export interface Bus {
  readonly kind: 'memory' | 'nats';
  publish(subject: string, data: Uint8Array | string, headers?: Record<string, string>): void;
  /**
   * Whether a message published on this concrete subject now could reach a subscriber, so a
   * publisher can skip building it. The in-process bus knows; NATS cannot tell (always true).
   */
  hasSubscribers(subject: string): boolean;
  /** Subjects may use `*` (one token) and `>` (the rest) wildcards. */
  subscribe(subject: string, handler: (msg: BusMessage) => void, opts?: { queue?: string }): BusSubscription;
  /** Request/reply; rejects with MissionError BUS_UNAVAILABLE / TIMEOUT. */
  request(subject: string, data: Uint8Array | string, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<BusMessage>;
  status(): BusStatus;
  onStatus(listener: (status: BusStatus) => void): () => void;
  /** Waits until everything published so far has reached the server (no-op in memory). */
  flush(): Promise<void>;
  close(): Promise<void>;
}
