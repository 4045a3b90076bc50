/**
 * Clients of a running Mission Control server as an operator's scripts and the board use it:
 * JSON-RPC over `POST /rpc` with a bearer token, and the WebSocket feed with seq tracking and
 * resync by `since_seq` (SPEC §5, §10), written from the protocol, not from the server's code.
 */
import { Agent, request } from 'node:http';
import WebSocket from 'ws';

export interface RpcError {
  code: number;
  message: string;
  data?: { code?: string; severity?: string; [k: string]: unknown };
}
export interface RpcAnswer<T = unknown> {
  status: number;
  result?: T;
  error?: RpcError;
}

/** Signs in with a password and returns the session token (usable as a bearer token). */
export async function signIn(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`sign-in failed with HTTP ${res.status}: ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('mc_session='));
  if (!cookie) throw new Error('sign-in answered without a session cookie');
  return cookie.slice('mc_session='.length).split(';')[0]!;
}

let nextId = 1;
type RpcBody<T> = { result?: T; error?: RpcError };
const requestBody = (method: string, params: unknown): string => JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params });
const answer = <T>(status: number, body: RpcBody<T>): RpcAnswer<T> => ({
  status,
  ...('result' in body ? { result: body.result as T } : {}),
  ...(body.error ? { error: body.error } : {}),
});
const networkFailure = <T>(err: unknown): RpcAnswer<T> => ({ status: 0, error: { code: 0, message: String(err), data: { code: 'NETWORK' } } });

/** One JSON-RPC call over HTTP; network failures come back as `status: 0`. */
export async function rpc<T = Record<string, unknown>>(baseUrl: string, token: string, method: string, params: unknown, idempotencyKey?: string): Promise<RpcAnswer<T>> {
  try {
    const res = await fetch(`${baseUrl}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      body: requestBody(method, params),
    });
    return answer(res.status, (await res.json().catch(() => ({}))) as RpcBody<T>);
  } catch (err) {
    return networkFailure(err);
  }
}

/**
 * JSON-RPC over a fixed set of keep-alive connections. `fetch` opens a socket per concurrent call
 * and lets idle ones go, so the server's socket count follows the client's momentary concurrency;
 * a soak that checks the server's open handles needs that count to be fixed. `warm()` opens every
 * connection; least-recently-used reuse (`fifo`) keeps them all busy so none idles out.
 */
export class RpcPool {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    readonly sockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets, scheduling: 'fifo' });
  }

  /** Opens every connection at once (concurrent calls of a cheap read). */
  async warm(method: string, params: unknown): Promise<void> {
    await Promise.all(Array.from({ length: this.sockets }, () => this.call(method, params)));
  }

  call<T = Record<string, unknown>>(method: string, params: unknown): Promise<RpcAnswer<T>> {
    const body = requestBody(method, params);
    return new Promise((resolve) => {
      const failed = (err: unknown): void => resolve(networkFailure(err));
      const req = request(
        `${this.baseUrl}/rpc`,
        { method: 'POST', agent: this.agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}`, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('error', failed); // the connection dropped mid-answer
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let parsed: RpcBody<T> = {};
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RpcBody<T>;
            } catch {
              // not JSON: status only
            }
            resolve(answer(res.statusCode ?? 0, parsed));
          });
        },
      );
      req.on('error', failed);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export function unwrap<T>(a: RpcAnswer<T>): T {
  if (a.error || a.result === undefined) throw new Error(`expected success, got HTTP ${a.status} ${JSON.stringify(a.error)}`);
  return a.result;
}

export interface FeedNotificationFrame {
  method: string;
  params: { seq: number; project_id: string; type?: string; task?: { id: string; title?: string }; [k: string]: unknown };
}

export interface FeedClientStats {
  /** Every seq accepted, in arrival order (must be 1..n without gap or repeat). */
  seqs: number[];
  /** Notifications at or below the last accepted seq outside a resync (a server bug if > 0). */
  duplicates: number;
  /** Gaps seen (each triggered a resync with since_seq). */
  gaps: number;
  resyncs: number;
  reconnects: number;
  closeCodes: number[];
}

/**
 * A board-like feed client: subscribes with `since_seq`, accepts only the next seq, resubscribes
 * from its last seq on a gap, and reconnects (with the same since_seq) when the socket closes.
 */
export class FeedClient {
  readonly stats: FeedClientStats = { seqs: [], duplicates: 0, gaps: 0, resyncs: 0, reconnects: 0, closeCodes: [] };
  /** Every frame as it arrived, when tracing: notification seqs, `a<last_seq>` for subscribe answers. */
  readonly trace: string[] = [];
  lastSeq: number;
  private ws: WebSocket | null = null;
  private resyncing = false;
  private stopped = false;
  private pending = new Map<number, (answer: { result?: unknown; error?: RpcError }) => void>();
  private id = 1;
  private listeners = new Set<(n: FeedNotificationFrame, at: number) => void>();

  constructor(
    private readonly wsUrl: string,
    private readonly token: string,
    private readonly projectId: string,
    sinceSeq: number,
    private readonly opts: { reconnect?: boolean; trace?: boolean } = {},
  ) {
    this.lastSeq = sinceSeq;
  }

  onNotification(listener: (n: FeedNotificationFrame, at: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Opens the socket and subscribes; resolves once the subscription is answered. */
  async start(): Promise<void> {
    const ws = new WebSocket(`${this.wsUrl}?token=${encodeURIComponent(this.token)}`);
    this.ws = ws;
    ws.on('message', (data) => this.receive(String(data)));
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      this.stats.closeCodes.push(code);
      for (const answer of this.pending.values()) answer({ error: { code: 0, message: 'socket closed' } });
      this.pending.clear();
      if (this.stopped || !this.opts.reconnect) return;
      this.stats.reconnects++;
      setTimeout(() => void this.start().catch(() => undefined), 100 + Math.random() * 200);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await this.subscribe();
  }

  private async subscribe(): Promise<void> {
    this.resyncing = true;
    // Cleared synchronously with the answer: the replay's first frames can share its TCP chunk.
    const answer = await this.call('mission.subscribe', { project_id: this.projectId, since_seq: this.lastSeq }, () => (this.resyncing = false));
    if (answer.error) throw new Error(`subscribe failed: ${JSON.stringify(answer.error)}`);
  }

  call(method: string, params: unknown, onAnswer?: () => void): Promise<{ result?: unknown; error?: RpcError }> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.resolve({ error: { code: 0, message: 'not connected' } });
    const id = this.id++;
    return new Promise((resolve) => {
      this.pending.set(id, (answer) => {
        onAnswer?.();
        resolve(answer);
      });
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  private receive(text: string): void {
    const at = performance.now();
    const msg = JSON.parse(text) as { id?: number; result?: unknown; error?: RpcError } & Partial<FeedNotificationFrame>;
    if (this.opts.trace) this.trace.push(msg.method ? String(msg.params?.seq) : `a${JSON.stringify(msg.result ?? msg.error)}`);
    if (msg.id !== undefined && msg.method === undefined) {
      const answer = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      answer?.(msg);
      return;
    }
    if (!msg.method || !msg.params || msg.params.project_id !== this.projectId || typeof msg.params.seq !== 'number') return;
    // Frames already on the wire before a resubscribe was answered are replayed after it.
    if (this.resyncing) return;
    const seq = msg.params.seq;
    if (seq <= this.lastSeq) {
      this.stats.duplicates++;
      return;
    }
    if (seq > this.lastSeq + 1) {
      this.stats.gaps++;
      this.stats.resyncs++;
      void this.subscribe().catch(() => undefined);
      return;
    }
    this.lastSeq = seq;
    this.stats.seqs.push(seq);
    for (const l of this.listeners) l(msg as FeedNotificationFrame, at);
  }

  /** Resolves once `seq` was accepted (or rejects after `timeoutMs`). */
  async waitForSeq(seq: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lastSeq < seq) {
      if (Date.now() > deadline) throw new Error(`feed client stopped at seq ${this.lastSeq}, expected ${seq} (gaps ${this.stats.gaps}, resyncs ${this.stats.resyncs})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops reading the socket (a client that never reads: the kernel buffers fill, then the server's). */
  pauseReading(): void {
    this.ws?.pause();
  }

  resumeReading(): void {
    this.ws?.resume();
  }

  close(): void {
    this.stopped = true;
    this.ws?.close(1000, 'done');
  }
}
