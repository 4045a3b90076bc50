import { randomUUID } from 'node:crypto';
import { MissionError } from '../../core/index.js';
import {
  DEFAULT_MAX_PAYLOAD,
  assertHeaders,
  assertPayloadSize,
  createBusMessage,
  headersSize,
  noResponders,
  toBytes,
  warnHandlerError,
  type HandlerErrorReporter,
} from './message.js';
import { assertPublishSubject, assertSubscribePattern, matchTokens } from './subject-match.js';
import type { Bus, BusMessage, BusStatus, BusSubscription } from './types.js';

/**
 * The in-process bus (the embedded default). A `MemoryBroker` plays the NATS server; each
 * `connect()` is one client, so several components of one process (or a test's "gateways") share
 * subjects exactly as NATS clients would: `*`/`>` wildcards, queue groups (one member per group
 * gets each message, round-robin), request/reply with timeout and "no responders", headers.
 * Delivery is always asynchronous (setImmediate) and FIFO per subscription, so a publisher is
 * never re-entered by its own subscribers and a slow handler does not reorder anything.
 */
export interface MemoryBrokerOptions {
  maxPayload?: number;
  onHandlerError?: HandlerErrorReporter;
}

interface Delivery {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  reply: string | undefined;
}

interface MemorySubscription {
  subject: string;
  tokens: string[];
  wildcard: boolean;
  queue: string | undefined;
  client: MemoryBus;
  handler: (msg: BusMessage) => void;
  pending: Delivery[];
  scheduled: boolean;
  active: boolean;
}

export class MemoryBroker {
  readonly maxPayload: number;
  // Literal subjects (request inboxes, most subscriptions) are found by key; only the few
  // wildcard subscriptions are scanned, so thousands of in-flight requests stay O(1) each.
  private readonly literal = new Map<string, Set<MemorySubscription>>();
  private readonly wildcard = new Set<MemorySubscription>();
  private readonly queueTurns = new Map<string, number>();
  private readonly reportHandlerError: HandlerErrorReporter;

  constructor(opts: MemoryBrokerOptions = {}) {
    this.maxPayload = opts.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.reportHandlerError = opts.onHandlerError ?? warnHandlerError;
  }

  /** A new client; `onHandlerError` overrides the broker's reporter for its subscriptions. */
  connect(opts: { onHandlerError?: HandlerErrorReporter } = {}): MemoryBus {
    return new MemoryBus(this, opts.onHandlerError ?? this.reportHandlerError);
  }

  /** @internal Registers a subscription of `client`. */
  add(sub: MemorySubscription): void {
    if (sub.wildcard) return void this.wildcard.add(sub);
    const set = this.literal.get(sub.subject);
    if (set) set.add(sub);
    else this.literal.set(sub.subject, new Set([sub]));
  }

  /** @internal */
  remove(sub: MemorySubscription): void {
    sub.active = false;
    sub.pending.length = 0;
    if (sub.wildcard) return void this.wildcard.delete(sub);
    const set = this.literal.get(sub.subject);
    set?.delete(sub);
    if (set?.size === 0) this.literal.delete(sub.subject);
  }

  /** @internal Whether any subscription (of any client) matches this concrete subject. */
  hasSubscribers(subject: string): boolean {
    if (this.literal.has(subject)) return true;
    if (this.wildcard.size === 0) return false;
    const tokens = subject.split('.');
    for (const sub of this.wildcard) if (matchTokens(sub.tokens, tokens)) return true;
    return false;
  }

  /** @internal Routes one message; returns how many subscriptions it was queued for. */
  route(delivery: Delivery): number {
    const tokens = delivery.subject.split('.');
    const groups = new Map<string, MemorySubscription[]>();
    const receivers: MemorySubscription[] = [];
    const take = (sub: MemorySubscription): void => {
      if (sub.queue === undefined) return void receivers.push(sub);
      const members = groups.get(sub.queue);
      if (members) members.push(sub);
      else groups.set(sub.queue, [sub]);
    };
    for (const sub of this.literal.get(delivery.subject) ?? []) take(sub);
    for (const sub of this.wildcard) if (matchTokens(sub.tokens, tokens)) take(sub);
    for (const [queue, members] of groups) {
      const turn = this.queueTurns.get(queue) ?? 0;
      this.queueTurns.set(queue, turn + 1);
      receivers.push(members[turn % members.length]!);
    }
    for (const sub of receivers) this.enqueue(sub, delivery);
    return receivers.length;
  }

  private enqueue(sub: MemorySubscription, delivery: Delivery): void {
    sub.pending.push(delivery);
    if (sub.scheduled) return;
    sub.scheduled = true;
    setImmediate(() => this.drain(sub));
  }

  private drain(sub: MemorySubscription): void {
    sub.scheduled = false;
    const batch = sub.pending.splice(0);
    for (const d of batch) {
      if (!sub.active) return;
      const respond = d.reply === undefined ? undefined : respondVia(sub.client, d.reply);
      try {
        sub.handler(createBusMessage(d.subject, d.data, { ...d.headers }, respond));
      } catch (err) {
        sub.client.reportHandlerError(err, d.subject);
      }
    }
  }
}

function respondVia(client: MemoryBus, reply: string): NonNullable<BusMessage['respond']> {
  return (data, headers) => client.publishTo(reply, data, headers, undefined);
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly broker: MemoryBroker;
  private readonly own = new Set<MemorySubscription>();
  private readonly inFlight = new Set<(err: MissionError) => void>();
  private readonly statusListeners = new Set<(status: BusStatus) => void>();
  private current: BusStatus = 'connected';

  /** @internal */
  readonly reportHandlerError: HandlerErrorReporter;

  constructor(broker: MemoryBroker, reportHandlerError: HandlerErrorReporter) {
    this.broker = broker;
    this.reportHandlerError = reportHandlerError;
  }

  publish(subject: string, data: Uint8Array | string, headers?: Record<string, string>): void {
    this.publishTo(subject, data, headers, undefined);
  }

  hasSubscribers(subject: string): boolean {
    return this.current !== 'closed' && this.broker.hasSubscribers(subject);
  }

  /** @internal Publishes with an optional reply subject; returns the number of receivers. */
  publishTo(subject: string, data: Uint8Array | string, headers: Record<string, string> | undefined, reply: string | undefined): number {
    this.assertOpen();
    assertPublishSubject(subject);
    const checked = assertHeaders(headers);
    const bytes = toBytes(data);
    assertPayloadSize(bytes.length + headersSize(checked), this.broker.maxPayload, subject);
    // Copy: NATS puts the bytes on the wire at publish time, so later mutation must not leak.
    return this.broker.route({ subject, data: bytes.slice(), headers: checked, reply });
  }

  subscribe(subject: string, handler: (msg: BusMessage) => void, opts: { queue?: string } = {}): BusSubscription {
    this.assertOpen();
    const tokens = assertSubscribePattern(subject);
    if (opts.queue !== undefined && !/^[A-Za-z0-9_.-]+$/.test(opts.queue)) {
      throw new MissionError('INVALID_INPUT', 'A queue group name may only contain letters, digits, _ . -', { queue: opts.queue });
    }
    const wildcard = tokens.some((t) => t === '*' || t === '>');
    const sub: MemorySubscription = { subject, tokens, wildcard, queue: opts.queue, client: this, handler, pending: [], scheduled: false, active: true };
    this.own.add(sub);
    this.broker.add(sub);
    return {
      unsubscribe: () => {
        this.own.delete(sub);
        this.broker.remove(sub);
      },
    };
  }

  request(subject: string, data: Uint8Array | string, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<BusMessage> {
    return new Promise<BusMessage>((resolve, reject) => {
      if (!(opts.timeoutMs > 0)) throw new MissionError('INVALID_INPUT', 'timeoutMs must be > 0', { timeoutMs: opts.timeoutMs });
      this.assertOpen();
      const inbox = `_INBOX.${randomUUID().replaceAll('-', '')}`;
      let settled = false;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sub.unsubscribe();
        this.inFlight.delete(abort);
        outcome();
      };
      const abort = (err: MissionError): void => finish(() => reject(err));
      const sub = this.subscribe(inbox, (reply) => finish(() => resolve(reply)));
      const timer = setTimeout(
        () => abort(new MissionError('TIMEOUT', `No reply on ${subject} within ${opts.timeoutMs} ms`, { subject, timeout_ms: opts.timeoutMs })),
        opts.timeoutMs,
      );
      this.inFlight.add(abort);
      let receivers: number;
      try {
        receivers = this.publishTo(subject, data, opts.headers, inbox);
      } catch (err) {
        finish(() => reject(err));
        return;
      }
      if (receivers === 0) abort(noResponders(subject));
    });
  }

  status(): BusStatus {
    return this.current;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.current === 'closed') return Promise.resolve();
    this.current = 'closed';
    for (const sub of this.own) this.broker.remove(sub);
    this.own.clear();
    for (const abort of [...this.inFlight]) abort(new MissionError('BUS_UNAVAILABLE', 'The bus connection was closed', { closed: true }));
    for (const listener of this.statusListeners) listener('closed');
    return Promise.resolve();
  }

  private assertOpen(): void {
    if (this.current === 'closed') throw new MissionError('BUS_UNAVAILABLE', 'The bus connection is closed', { closed: true });
  }
}

/** One broker and one client: the embedded default. */
export function createMemoryBus(opts: MemoryBrokerOptions = {}): MemoryBus {
  return new MemoryBroker(opts).connect();
}
