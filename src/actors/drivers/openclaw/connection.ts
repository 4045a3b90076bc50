import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { MissionError, type ErrorCode } from '../../../core/index.js';
import { backoffDelay } from '../../retry.js';
import { connectParams, frameSchema, helloOkSchema, type EventFrame, type GatewayError, type HelloOk, type ResFrame } from './frames.js';

/**
 * One operator connection to an OpenClaw gateway: handshake (challenge → connect → hello-ok),
 * request/response correlation, events, and reconnection with backoff. Handshake refusals that
 * retrying cannot fix (wrong token, protocol mismatch) stop the connection for good, with the
 * gateway's reason kept for health; a starting gateway (`UNAVAILABLE`, retryable) is retried
 * after the `retryAfterMs` it asks for.
 */
export type ConnectionState = 'connecting' | 'ready' | 'reconnecting' | 'failed' | 'closed';

export interface GatewayConnectionOptions {
  url: string;
  token: string;
  clientVersion: string;
  /** Time allowed from socket creation to hello-ok before the attempt is dropped. */
  connectTimeoutMs: number;
  reconnect: { baseDelayMs: number; maxDelayMs: number };
  /** Ping period; a ping unanswered for a whole period drops the socket. Default: the gateway's tickIntervalMs. */
  heartbeatMs?: number;
  random?: () => number;
}

/** A gateway error answer, as a MissionError carrying the gateway's own code and details. */
export function gatewayError(method: string, err: GatewayError): MissionError {
  const code: ErrorCode = err.code === 'UNAVAILABLE' || err.retryable ? 'DRIVER_UNAVAILABLE' : err.code === 'FORBIDDEN' ? 'FORBIDDEN' : 'DRIVER_RUN_FAILED';
  return new MissionError(code, `OpenClaw ${method}: ${err.code}: ${err.message}`, {
    gatewayCode: err.code,
    ...(err.details ? { details: err.details } : {}),
    ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
  });
}

interface Pending {
  method: string;
  resolve: (payload: unknown) => void;
  reject: (err: MissionError) => void;
  timer: NodeJS.Timeout;
}

/** Handshake refusals that mean "fix the configuration", not "try again". */
const AUTH_CODES = new Set(['AUTH_TOKEN_MISMATCH', 'DEVICE_IDENTITY_REQUIRED', 'NOT_PAIRED']);

export class GatewayConnection {
  private ws: WebSocket | null = null;
  private current: ConnectionState = 'connecting';
  private helloOk: HelloOk | null = null;
  private failure: MissionError | null = null;
  private lastProblem: string | null = null;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Set<(event: EventFrame) => void>();
  private readonly lateListeners = new Set<(frame: ResFrame) => void>();
  private readyWaiters: { resolve: () => void; reject: (err: MissionError) => void }[] = [];

  constructor(private readonly options: GatewayConnectionOptions) {}

  /** Starts connecting in the background; requests wait for the handshake. */
  start(): void {
    if (this.ws || this.current === 'closed') return;
    this.open();
  }

  state(): ConnectionState {
    return this.current;
  }

  hello(): HelloOk | null {
    return this.helloOk;
  }

  hasMethod(method: string): boolean {
    return this.helloOk?.features.methods.includes(method) ?? false;
  }

  /** Why the connection is not ready (the last refusal or socket error), for health. */
  problem(): string | null {
    return this.failure?.message ?? this.lastProblem;
  }

  onEvent(listener: (event: EventFrame) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** A second `res` for an id already answered (`agent`'s final outcome). */
  onLateResponse(listener: (frame: ResFrame) => void): () => void {
    this.lateListeners.add(listener);
    return () => this.lateListeners.delete(listener);
  }

  /** Resolves once connected; rejects at once if the gateway refused us, or after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void> {
    this.start();
    if (this.current === 'ready') return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    if (this.current === 'closed') return Promise.reject(new MissionError('SHUTTING_DOWN', 'OpenClaw connection closed'));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err: MissionError) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(new MissionError('DRIVER_UNAVAILABLE', `OpenClaw gateway at ${this.options.url} not reachable: ${this.lastProblem ?? 'still connecting'}`));
      }, timeoutMs);
      this.readyWaiters.push(waiter);
    });
  }

  /** Sends `method` once connected and resolves with the first `res` payload. */
  async request(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    await this.ready(timeoutMs);
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new MissionError('DRIVER_UNAVAILABLE', `OpenClaw ${method}: connection lost`);
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new MissionError('TIMEOUT', `OpenClaw ${method}: no answer within ${timeoutMs} ms`));
      }, Math.max(1, deadline - Date.now()));
      this.pending.set(id, { method, resolve, reject, timer });
      ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  close(): void {
    this.current = 'closed';
    this.stopHeartbeat();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.failAll(new MissionError('SHUTTING_DOWN', 'OpenClaw connection closed'));
    this.rejectWaiters(new MissionError('SHUTTING_DOWN', 'OpenClaw connection closed'));
    this.ws?.close(1000, 'mission control shutting down');
    this.ws = null;
  }

  private open(): void {
    const ws = new WebSocket(this.options.url, { handshakeTimeout: this.options.connectTimeoutMs });
    this.ws = ws;
    let connectId: string | null = null;
    // Handlers go on before 'open': the challenge can arrive in the same chunk as the upgrade.
    let awaitingPong = false;
    ws.on('pong', () => (awaitingPong = false));
    ws.on('message', (data) => {
      awaitingPong = false;
      let frame;
      try {
        frame = frameSchema.parse(JSON.parse(String(data)));
      } catch {
        return; // not a protocol frame: ignore rather than tear the connection down
      }
      if (frame.type === 'event') {
        if (frame.event === 'connect.challenge' && connectId === null) {
          connectId = randomUUID();
          ws.send(JSON.stringify({ type: 'req', id: connectId, method: 'connect', params: connectParams(this.options.token, this.options.clientVersion) }));
          return;
        }
        for (const listener of this.eventListeners) listener(frame);
        return;
      }
      if (frame.type !== 'res') return;
      if (frame.id === connectId) {
        this.onConnectAnswer(ws, frame);
        if (this.current === 'ready' && this.ws === ws) {
          // A half-open TCP connection shows no error: only a ping left unanswered reveals it.
          const period = this.options.heartbeatMs ?? this.helloOk?.policy?.tickIntervalMs ?? 30_000;
          this.stopHeartbeat();
          this.heartbeat = setInterval(() => {
            if (this.ws !== ws) return this.stopHeartbeat();
            if (awaitingPong) {
              this.lastProblem = `no answer from the gateway for ${period} ms`;
              ws.terminate();
              return;
            }
            awaitingPong = true;
            ws.ping();
          }, period);
          this.heartbeat.unref();
        }
        return;
      }
      const pending = this.pending.get(frame.id);
      if (!pending) {
        for (const listener of this.lateListeners) listener(frame);
        return;
      }
      this.pending.delete(frame.id);
      clearTimeout(pending.timer);
      if (frame.ok) pending.resolve(frame.payload);
      else pending.reject(gatewayError(pending.method, frame.error ?? { code: 'UNKNOWN', message: 'error without details' }));
    });
    ws.on('error', (err) => {
      this.lastProblem = err.message;
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      if (this.connectTimer) clearTimeout(this.connectTimer);
      if (this.current === 'failed' || this.current === 'closed') return;
      if (code !== 1000 || this.lastProblem === null) this.lastProblem = `connection closed (${code}${reason.length ? ` ${String(reason)}` : ''})`;
      this.failAll(new MissionError('DRIVER_UNAVAILABLE', `OpenClaw connection lost: ${this.lastProblem}`));
      this.scheduleReconnect();
    });
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && this.current !== 'ready') {
        this.lastProblem = `no hello-ok within ${this.options.connectTimeoutMs} ms`;
        ws.terminate();
      }
    }, this.options.connectTimeoutMs);
  }

  private onConnectAnswer(ws: WebSocket, frame: ResFrame): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (frame.ok) {
      const hello = helloOkSchema.safeParse(frame.payload);
      if (!hello.success) return this.fail(new MissionError('DRIVER_DEGRADED', 'OpenClaw hello-ok without features.methods: not a protocol 4 gateway?'), ws);
      this.helloOk = hello.data;
      this.current = 'ready';
      this.attempt = 0;
      this.lastProblem = null;
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const w of waiters) w.resolve();
      return;
    }
    const err = frame.error ?? { code: 'UNKNOWN', message: 'connect refused without details' };
    if (err.retryable || err.code === 'UNAVAILABLE') {
      // The gateway is starting: try again no sooner than it asked, on a fresh socket.
      this.lastProblem = `${err.code}: ${err.message}`;
      this.ws = null; // detached first, so the reconnect cannot wait on this socket's close event
      ws.close(1000);
      this.scheduleReconnect(err.retryAfterMs);
      return;
    }
    const detail = typeof err.details?.code === 'string' ? err.details.code : err.code;
    const code: ErrorCode = AUTH_CODES.has(detail) ? 'DRIVER_AUTH_FAILED' : 'CONFIG_INVALID';
    this.fail(new MissionError(code, `OpenClaw gateway refused the connection: ${detail}: ${err.message}`, { gatewayCode: err.code, detail }), ws);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private fail(err: MissionError, ws: WebSocket): void {
    this.current = 'failed';
    this.failure = err;
    this.rejectWaiters(err);
    this.failAll(err);
    this.ws = null;
    ws.close(1000);
  }

  private scheduleReconnect(hintMs?: number): void {
    if (this.reconnectTimer || this.current === 'closed' || this.current === 'failed') return;
    this.current = this.helloOk ? 'reconnecting' : 'connecting';
    this.attempt++;
    const policy = { maxAttempts: Infinity, baseDelayMs: this.options.reconnect.baseDelayMs, maxDelayMs: this.options.reconnect.maxDelayMs, maxTotalMs: Infinity };
    const delay = backoffDelay(policy, this.attempt, this.options.random ?? Math.random, hintMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.current !== 'closed' && this.current !== 'failed' && !this.ws) this.open();
    }, delay);
  }

  private failAll(err: MissionError): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
  }

  private rejectWaiters(err: MissionError): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(err);
  }
}
