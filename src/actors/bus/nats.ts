import {
  AuthorizationError,
  ClosedConnectionError,
  DrainingConnectionError,
  InvalidArgumentError,
  InvalidSubjectError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  connect,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Status,
  type Subscription,
} from '@nats-io/transport-node';
import { MissionError, isMissionError, type Clock } from '../../core/index.js';
import { CircuitBreaker, type BreakerSnapshot } from '../breaker.js';
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
import { assertPublishSubject, assertSubscribePattern } from './subject-match.js';
import type { Bus, BusMessage, BusStatus, BusSubscription } from './types.js';

/**
 * The bus over a NATS server (`@nats-io/transport-node` v3). The handle is returned at once and
 * connects in the background, never giving up, so a gateway can start, report "bus not ready"
 * on /readyz and become ready when NATS appears; subscriptions made before the first connect are
 * opened then, and the client re-subscribes after reconnects (`maxReconnectAttempts: -1`).
 * The first connect is retried here rather than with nats.js `waitOnFirstConnect`, whose dial
 * loop cannot be cancelled: a bus closed before NATS ever answered must not keep dialling.
 * Requests go through a circuit breaker: while NATS (or whatever serves the subject) keeps
 * failing, callers get BUS_UNAVAILABLE at once instead of each waiting out its timeout.
 */
export interface NatsBusOptions {
  servers: string | string[];
  /** Client name shown by the server's monitoring. */
  name?: string;
  /** Credentials; NATS permissions can confine a user to its project's subjects (SPEC §8). */
  user?: string;
  pass?: string;
  token?: string;
  /** Pause between reconnect attempts (nats.js default 2000 ms). */
  reconnectTimeWaitMs?: number;
  breaker?: { failureThreshold?: number; cooldownMs?: number };
  clock?: Clock;
  onHandlerError?: HandlerErrorReporter;
}

interface DesiredSubscription {
  subject: string;
  queue: string | undefined;
  handler: (msg: BusMessage) => void;
  nats: Subscription | null;
  active: boolean;
}

export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  private nc: NatsConnection | null = null;
  private current: BusStatus = 'reconnecting';
  private readonly listeners = new Set<(status: BusStatus) => void>();
  private readonly desired = new Set<DesiredSubscription>();
  private readonly circuit: CircuitBreaker;
  private readonly reportHandlerError: HandlerErrorReporter;
  private readonly connecting: Promise<NatsConnection | null>;
  private closing: Promise<void> | null = null;
  private wakeConnectLoop: () => void = () => undefined;
  /** Requests waiting for a reply; failed at once when the connection drops. */
  private readonly awaiting = new Set<(err: MissionError) => void>();

  constructor(opts: NatsBusOptions) {
    this.circuit = new CircuitBreaker({
      name: 'nats',
      failureThreshold: opts.breaker?.failureThreshold ?? 5,
      cooldownMs: opts.breaker?.cooldownMs ?? 5_000,
      unavailableCode: 'BUS_UNAVAILABLE',
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    this.reportHandlerError = opts.onHandlerError ?? warnHandlerError;
    this.connecting = this.connectFirst(opts);
  }

  private async connectFirst(opts: NatsBusOptions): Promise<NatsConnection | null> {
    const wait = opts.reconnectTimeWaitMs ?? 2_000;
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        const nc = await connect({
          servers: opts.servers,
          name: opts.name ?? 'mission-control',
          maxReconnectAttempts: -1,
          reconnectTimeWait: wait,
          ...(opts.user !== undefined ? { user: opts.user, pass: opts.pass ?? '' } : {}),
          ...(opts.token !== undefined ? { token: opts.token } : {}),
        });
        return this.attach(nc);
      } catch (err) {
        // Say it once (and now and then), not on every attempt.
        if (attempt % 100 === 0) this.reportHandlerError(err, '(connect)');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wakeConnectLoop = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    return null;
  }

  /** Resolves once connected; rejects BUS_UNAVAILABLE after `timeoutMs` (the bus keeps trying). */
  async ready(timeoutMs = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MissionError('BUS_UNAVAILABLE', `NATS not reachable within ${timeoutMs} ms`, { timeout_ms: timeoutMs })), timeoutMs);
    });
    try {
      const nc = await Promise.race([this.connecting, timeout]);
      if (!nc || this.current === 'closed') throw new MissionError('BUS_UNAVAILABLE', 'The bus connection is closed', { closed: true });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The request circuit, for /readyz and /metrics. */
  breaker(): BreakerSnapshot {
    return this.circuit.snapshot();
  }

  /** The breaker itself, to listen to its state changes. */
  get circuitBreaker(): CircuitBreaker {
    return this.circuit;
  }

  publish(subject: string, data: Uint8Array | string, headers?: Record<string, string>): void {
    const nc = this.open();
    const { bytes, hdrs } = this.prepare(nc, subject, data, headers);
    try {
      nc.publish(subject, bytes, hdrs ? { headers: hdrs } : undefined);
    } catch (err) {
      throw toMissionError(err, subject);
    }
  }

  /** Interest lives in the server (and other clients): the client cannot tell, so always true. */
  hasSubscribers(_subject: string): boolean {
    return true;
  }

  subscribe(subject: string, handler: (msg: BusMessage) => void, opts: { queue?: string } = {}): BusSubscription {
    if (this.current === 'closed' || this.closing) throw closedError();
    assertSubscribePattern(subject);
    if (opts.queue !== undefined && !/^[A-Za-z0-9_.-]+$/.test(opts.queue)) {
      throw new MissionError('INVALID_INPUT', 'A queue group name may only contain letters, digits, _ . -', { queue: opts.queue });
    }
    const sub: DesiredSubscription = { subject, queue: opts.queue, handler, nats: null, active: true };
    this.desired.add(sub);
    if (this.nc) this.openSubscription(this.nc, sub);
    return {
      unsubscribe: () => {
        sub.active = false;
        this.desired.delete(sub);
        if (sub.nats && !sub.nats.isClosed()) sub.nats.unsubscribe();
      },
    };
  }

  async request(subject: string, data: Uint8Array | string, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<BusMessage> {
    if (!(opts.timeoutMs > 0)) throw new MissionError('INVALID_INPUT', 'timeoutMs must be > 0', { timeoutMs: opts.timeoutMs });
    const nc = this.open();
    const { bytes, hdrs } = this.prepare(nc, subject, data, opts.headers);
    return this.circuit.run(
      async () => {
        // The client would queue the request until it reconnects; fail now, the caller may retry.
        if (this.current !== 'connected') throw new MissionError('BUS_UNAVAILABLE', 'NATS is reconnecting', { subject, status: this.current });
        // A reply cannot come over a dropped connection (nats.js would wait out the timeout):
        // fail now with a transient error; a retry with the same idempotency key is safe.
        let dropped: (err: MissionError) => void = () => undefined;
        const lost = new Promise<never>((_, reject) => (dropped = reject));
        this.awaiting.add(dropped);
        const pending = nc.request(subject, bytes, { timeout: opts.timeoutMs, ...(hdrs ? { headers: hdrs } : {}) });
        pending.catch(() => undefined);
        try {
          return this.toBusMessage(await Promise.race([pending, lost]));
        } catch (err) {
          throw toMissionError(err, subject, opts.timeoutMs);
        } finally {
          this.awaiting.delete(dropped);
        }
      },
      { isFailure: (err) => isMissionError(err) && (err.code === 'TIMEOUT' || err.code === 'BUS_UNAVAILABLE') },
    );
  }

  status(): BusStatus {
    return this.current;
  }

  onStatus(listener: (status: BusStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async flush(): Promise<void> {
    const nc = this.open();
    try {
      await nc.flush();
    } catch (err) {
      throw toMissionError(err, '(flush)');
    }
  }

  /** Drains (delivers what has arrived, sends what is queued) and closes; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const sub of this.desired) sub.active = false;
      this.desired.clear();
      this.wakeConnectLoop();
      // A bus closed before its first connect closes that connection when it exists (attach).
      const nc = this.nc;
      if (nc && !nc.isClosed()) {
        try {
          await nc.drain();
        } catch {
          await nc.close();
        }
      }
      this.setStatus('closed');
    })();
    return this.closing;
  }

  private attach(nc: NatsConnection): NatsConnection {
    if (this.closing) {
      void nc.close();
      return nc;
    }
    this.nc = nc;
    for (const sub of this.desired) this.openSubscription(nc, sub);
    this.setStatus('connected');
    void this.watch(nc);
    void nc.closed().then(() => this.setStatus('closed'));
    return nc;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      // e.g. a permissions violation on publish: the server says so only here.
      if (s.type === 'error') this.reportHandlerError(toMissionError(s.error, '(server)'), '(server)');
      const next = statusAfter(s);
      if (next) this.setStatus(next);
    }
  }

  private openSubscription(nc: NatsConnection, sub: DesiredSubscription): void {
    sub.nats = nc.subscribe(sub.subject, {
      ...(sub.queue !== undefined ? { queue: sub.queue } : {}),
      callback: (err, msg) => {
        if (!sub.active) return;
        if (err) return this.reportHandlerError(toMissionError(err, sub.subject), sub.subject);
        try {
          sub.handler(this.toBusMessage(msg));
        } catch (handlerErr) {
          // Never let a handler's exception reach the client's protocol parser.
          this.reportHandlerError(handlerErr, msg.subject);
        }
      },
    });
  }

  private toBusMessage(msg: Msg): BusMessage {
    const respond: BusMessage['respond'] = msg.reply
      ? (data, headers) => {
          const checked = assertHeaders(headers);
          const hdrs = toNatsHeaders(checked);
          try {
            msg.respond(toBytes(data), hdrs ? { headers: hdrs } : undefined);
          } catch (err) {
            throw toMissionError(err, msg.reply ?? msg.subject);
          }
        }
      : undefined;
    return createBusMessage(msg.subject, msg.data, fromNatsHeaders(msg.headers), respond);
  }

  private prepare(nc: NatsConnection, subject: string, data: Uint8Array | string, headers: Record<string, string> | undefined) {
    assertPublishSubject(subject);
    const checked = assertHeaders(headers);
    const bytes = toBytes(data);
    assertPayloadSize(bytes.length + headersSize(checked), nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD, subject);
    return { bytes, hdrs: toNatsHeaders(checked) };
  }

  private open(): NatsConnection {
    if (this.current === 'closed' || this.closing) throw closedError();
    if (!this.nc) throw new MissionError('BUS_UNAVAILABLE', 'NATS is not connected yet', { status: this.current });
    return this.nc;
  }

  private setStatus(next: BusStatus): void {
    if (this.current === next || this.current === 'closed') return;
    // Failures counted while disconnected say nothing about the fresh connection.
    if (next === 'connected') this.circuit.recordSuccess();
    this.current = next;
    if (next !== 'connected') {
      for (const drop of [...this.awaiting]) drop(new MissionError('BUS_UNAVAILABLE', 'The NATS connection dropped before the reply came', { status: next }));
      this.awaiting.clear();
    }
    for (const listener of this.listeners) listener(next);
  }
}

export function createNatsBus(opts: NatsBusOptions): NatsBus {
  return new NatsBus(opts);
}

function statusAfter(s: Status): BusStatus | null {
  switch (s.type) {
    case 'disconnect':
    case 'reconnecting':
    case 'staleConnection':
      return 'reconnecting';
    case 'reconnect':
      return 'connected';
    case 'close':
      return 'closed';
    default:
      return null;
  }
}

function toNatsHeaders(h: Record<string, string>): MsgHdrs | undefined {
  const entries = Object.entries(h);
  if (entries.length === 0) return undefined;
  const out = natsHeaders();
  for (const [k, v] of entries) out.set(k, v);
  return out;
}

function fromNatsHeaders(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

function closedError(): MissionError {
  return new MissionError('BUS_UNAVAILABLE', 'The bus connection is closed', { closed: true });
}

/** Maps nats.js errors onto the registry; anything unexpected stays visible as BUS_UNAVAILABLE. */
function toMissionError(err: unknown, subject: string, timeoutMs?: number): MissionError {
  if (isMissionError(err)) return err;
  const cause = err instanceof RequestError && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())) return noResponders(subject);
  if (cause instanceof TimeoutError) {
    return new MissionError('TIMEOUT', `No reply on ${subject} within ${timeoutMs ?? '?'} ms`, { subject, timeout_ms: timeoutMs });
  }
  if (cause instanceof ClosedConnectionError || cause instanceof DrainingConnectionError) return closedError();
  if (cause instanceof PermissionViolationError) {
    return new MissionError('FORBIDDEN', cause.message, { subject: cause.subject, operation: cause.operation });
  }
  if (cause instanceof AuthorizationError) return new MissionError('UNAUTHENTICATED', `NATS refused the credentials: ${cause.message}`);
  if (cause instanceof InvalidSubjectError) return new MissionError('INVALID_INPUT', cause.message, { subject });
  if (cause instanceof InvalidArgumentError && /max_payload/.test(cause.message)) {
    return new MissionError('LIMIT_EXCEEDED', cause.message, { subject });
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new MissionError('BUS_UNAVAILABLE', `NATS failed: ${message}`, { subject });
}
