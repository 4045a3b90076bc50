import { RpcError } from './errors.js';
import { RemoteActorRef } from './remote-actor.js';

/**
 * The tab's one WebSocket (SPEC §5, §10): JSON-RPC requests and server notifications, reconnect
 * with exponential backoff and full jitter, and a queue so actions taken while disconnected are
 * sent once the socket is back (with the idempotency key they were created with) or fail after
 * `queueTimeoutMs`.
 */
export type ConnectionPhase = 'connecting' | 'open' | 'reconnecting' | 'signed_out' | 'closed';

export interface ConnectionSnapshot {
  phase: ConnectionPhase;
  /** When the next attempt starts (epoch ms), while reconnecting. */
  retry_at: number | null;
  queued: number;
  /** True once the socket has been open at least once: distinguishes "connecting" from "lost". */
  was_open: boolean;
}

export interface RpcNotification {
  method: string;
  params: Record<string, unknown>;
}

interface PendingCall {
  id: number;
  method: string;
  params: Record<string, unknown>;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  deadline: number;
  sent: boolean;
}

export interface MissionSocketOptions {
  url: string;
  /** How long an action may wait for the socket before it is reported failed. */
  queueTimeoutMs?: number;
  /** Asked after every close: is the session still valid? false → signed out, no reconnect. */
  checkSession: () => Promise<boolean>;
  backoff?: { baseMs: number; maxMs: number };
}

export class MissionSocket {
  readonly connection: RemoteActorRef<ConnectionSnapshot>;
  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();
  private readonly notificationListeners = new Set<(n: RpcNotification) => void>();
  private readonly reopenListeners = new Set<() => void>();
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly sweepTimer: ReturnType<typeof setInterval>;
  private holdUntil = 0;
  private stopped = false;
  private readonly queueTimeoutMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };

  constructor(private readonly options: MissionSocketOptions) {
    this.queueTimeoutMs = options.queueTimeoutMs ?? 20_000;
    this.backoff = options.backoff ?? { baseMs: 400, maxMs: 15_000 };
    this.connection = new RemoteActorRef<ConnectionSnapshot>('connection', {
      phase: 'connecting',
      retry_at: null,
      queued: 0,
      was_open: false,
    });
    this.sweepTimer = setInterval(() => this.sweep(), 500);
    this.open();
  }

  request<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.stopped) return Promise.reject(new RpcError('CLOSED', 'The connection is closed.'));
    return new Promise<T>((resolve, reject) => {
      const call: PendingCall = {
        id: this.nextId++,
        method,
        params,
        resolve: resolve as (v: unknown) => void,
        reject,
        deadline: Date.now() + this.queueTimeoutMs,
        sent: false,
      };
      this.calls.set(call.id, call);
      this.trySend(call);
      this.publishQueue();
    });
  }

  onNotification(listener: (n: RpcNotification) => void): () => void {
    this.notificationListeners.add(listener);
    return () => this.notificationListeners.delete(listener);
  }

  /** Runs after every successful re-open (not the first): feeds resubscribe from their last seq. */
  onReopen(listener: () => void): () => void {
    this.reopenListeners.add(listener);
    return () => this.reopenListeners.delete(listener);
  }

  /** Test and diagnostics hook: drop the socket and stay offline for `holdMs`. */
  simulateDrop(holdMs = 0): void {
    this.holdUntil = Date.now() + holdMs;
    this.ws?.close(4000, 'simulated drop');
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ws?.close(1000, 'bye');
    for (const call of this.calls.values()) call.reject(new RpcError('CLOSED', 'The connection is closed.'));
    this.calls.clear();
    this.connection.update((c) => ({ ...c, phase: 'closed', queued: 0 }));
  }

  private open(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.options.url);
    this.ws = ws;
    ws.onopen = () => {
      const reopened = this.connection.getSnapshot().was_open;
      this.attempt = 0;
      this.connection.update((c) => ({ ...c, phase: 'open', retry_at: null, was_open: true }));
      for (const call of this.calls.values()) this.trySend(call);
      this.publishQueue();
      if (reopened) for (const l of [...this.reopenListeners]) l();
    };
    ws.onmessage = (ev) => this.receive(String(ev.data));
    // A failed connect or a broken socket is followed by `close`, which does the recovery.
    ws.onerror = () => undefined;
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      // Calls in flight go back to the queue; side-effecting ones carry their idempotency key.
      for (const call of this.calls.values()) call.sent = false;
      void this.afterClose();
    };
  }

  private async afterClose(): Promise<void> {
    if (this.stopped) return;
    // An unreachable server is not a signed-out user: keep trying.
    const valid = await this.options.checkSession().catch(() => true);
    if (!valid) {
      this.stopped = true;
      clearInterval(this.sweepTimer);
      for (const call of this.calls.values()) call.reject(new RpcError('UNAUTHENTICATED', 'Session expired'));
      this.calls.clear();
      this.connection.update((c) => ({ ...c, phase: 'signed_out', retry_at: null, queued: 0 }));
      return;
    }
    const cap = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** this.attempt);
    const delay = Math.max(this.holdUntil - Date.now(), cap / 2 + Math.random() * (cap / 2));
    this.attempt = Math.min(this.attempt + 1, 16);
    const retryAt = Date.now() + delay;
    this.connection.update((c) => ({ ...c, phase: c.was_open ? 'reconnecting' : 'connecting', retry_at: retryAt }));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private trySend(call: PendingCall): void {
    const ws = this.ws;
    if (call.sent || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: call.id, method: call.method, params: call.params }));
    call.sent = true;
  }

  private receive(raw: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return;
    }
    for (const msg of Array.isArray(parsed) ? parsed : [parsed]) this.dispatch(msg as Record<string, unknown>);
  }

  private dispatch(msg: Record<string, unknown>): void {
    if (typeof msg.method === 'string' && msg.id === undefined) {
      const n: RpcNotification = { method: msg.method, params: (msg.params ?? {}) as Record<string, unknown> };
      for (const l of [...this.notificationListeners]) l(n);
      return;
    }
    const call = typeof msg.id === 'number' ? this.calls.get(msg.id) : undefined;
    if (!call) return;
    this.calls.delete(call.id);
    this.publishQueue();
    const error = msg.error as { code?: number; message?: string; data?: Record<string, unknown> } | undefined;
    if (error) {
      const data = error.data ?? {};
      const code = typeof data.code === 'string' ? data.code : `RPC_${error.code ?? 'ERROR'}`;
      call.reject(new RpcError(code, error.message ?? code, data));
      if (code === 'UNAUTHENTICATED') this.ws?.close(4401, 'unauthenticated');
    } else {
      call.resolve(msg.result);
    }
  }

  /** Fails calls that waited longer than the queue timeout (offline, or no answer). */
  private sweep(): void {
    const now = Date.now();
    for (const call of [...this.calls.values()]) {
      if (now < call.deadline) continue;
      this.calls.delete(call.id);
      call.reject(new RpcError('TIMEOUT', `${call.method}: no answer from the server in time`, { offline: !call.sent }));
    }
    this.publishQueue();
  }

  private publishQueue(): void {
    let queued = 0;
    for (const call of this.calls.values()) if (!call.sent) queued++;
    this.connection.update((c) => (c.queued === queued ? c : { ...c, queued }));
  }
}
