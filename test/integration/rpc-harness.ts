/**
 * A real gateway for integration tests: a temp data dir, the real store (migrated), the real
 * runtime and workspace, and the gateway listening on 127.0.0.1:0. Stopped by `close()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import WebSocket from 'ws';
import type { FastifyInstance } from 'fastify';
import { createRuntime, type Runtime } from '../../src/actors/index.js';
import type { ProjectRole } from '../../src/core/index.js';
import { Accounts, createGateway, type GatewayConfig } from '../../src/gateway/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { Workspace, createProjectFiles } from '../../src/workspace/index.js';

export interface Harness {
  url: string;
  wsUrl: string;
  app: FastifyInstance;
  store: Store;
  runtime: Runtime;
  accounts: Accounts;
  dataDir: string;
  adminToken: string;
  /** A user with `role` in `projectId` (created on first use) and a bearer token for them. */
  userToken(username: string, grants?: Record<string, ProjectRole>, admin?: boolean): Promise<string>;
  agentToken(instanceId: string): string;
  driverToken(name: string): string;
  rpc(token: string | undefined, method: string, params?: unknown, extraHeaders?: Record<string, string>): Promise<RpcAnswer>;
  raw(token: string | undefined, body: string, extraHeaders?: Record<string, string>): Promise<{ status: number; text: string; json: unknown }>;
  close(): Promise<void>;
}

export interface RpcAnswer {
  status: number;
  result?: unknown;
  error?: { code: number; message: string; data?: Record<string, unknown> };
}

export const TEST_LIMITS = {
  rate_limit_per_minute: 1_000_000,
  max_ws_clients: 500,
  feed_retention_events: 100_000,
  max_message_bytes: 64 * 1024,
  max_request_bytes: 256 * 1024,
};

export async function startHarness(
  config: Omit<Partial<GatewayConfig>, 'limits'> & { limits?: Partial<GatewayConfig['limits']> } = {},
  logger: Logger = pino({ level: process.env.MC_TEST_LOG ?? 'silent' }),
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-gw-'));
  const store = await openStore({ dataDir });
  const workspace = new Workspace({ dataDir, lockTimeoutMs: 2000 });
  const runtime = createRuntime({
    db: store.db,
    scheduling: false,
    files: createProjectFiles(workspace),
  });
  runtime.start();
  const app = await createGateway({
    config: { ...config, limits: { ...TEST_LIMITS, ...config.limits } },
    store,
    runtime,
    workspace,
    logger,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;
  const accounts = new Accounts(store.db);
  await accounts.addUser('root', 'root-password', true);
  const adminToken = accounts.createToken({ user: 'root' }).token;

  const raw: Harness['raw'] = async (token, body, extraHeaders = {}) => {
    const res = await fetch(`${url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extraHeaders },
      body,
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  };

  let nextId = 1;
  const h: Harness = {
    url,
    wsUrl: url.replace('http', 'ws') + '/ws',
    app,
    store,
    runtime,
    accounts,
    dataDir,
    adminToken,
    async userToken(username, grants = {}, admin = false) {
      if (!accounts.users.byUsername(username)) await accounts.addUser(username, `${username}-password`, admin);
      for (const [project, role] of Object.entries(grants)) accounts.grant(username, project, role);
      return accounts.createToken({ user: username }).token;
    },
    agentToken: (instanceId) => accounts.createToken({ instance: instanceId }).token,
    driverToken: (name) => accounts.createToken({ driver: name }).token,
    raw,
    async rpc(token, method, params, extraHeaders) {
      const r = await raw(token, JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, ...(params === undefined ? {} : { params }) }), extraHeaders);
      const body = (r.json ?? {}) as { result?: unknown; error?: RpcAnswer['error'] };
      return { status: r.status, ...('result' in body ? { result: body.result } : {}), ...(body.error ? { error: body.error } : {}) };
    },
    async close() {
      await app.close();
      await runtime.stop();
      // runtime.stop() waited for the after-commit file effects.
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Unwraps a successful answer or fails the test with the error. */
export function ok<T = Record<string, unknown>>(a: RpcAnswer): T {
  if (a.error) throw new Error(`expected success, got ${JSON.stringify(a.error)}`);
  return a.result as T;
}


/** A WebSocket JSON-RPC client for tests: requests by id, notifications collected in order. */
export class WsClient {
  readonly notifications: { method: string; params: Record<string, unknown> }[] = [];
  /** Every frame received, in order: `answer:<id>` or the notification method. */
  readonly frames: string[] = [];
  private readonly pending = new Map<number, (answer: RpcAnswer) => void>();
  private nextId = 1;
  private listeners: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: RpcAnswer['error'] };
      this.frames.push(msg.method ?? `answer:${String(msg.id)}`);
      if (msg.method) {
        this.notifications.push({ method: msg.method, params: msg.params ?? {} });
        for (const l of this.listeners) l();
      } else if (typeof msg.id === 'number') {
        this.pending.get(msg.id)?.({ status: 200, ...('result' in msg ? { result: msg.result } : {}), ...(msg.error ? { error: msg.error } : {}) });
        this.pending.delete(msg.id);
      }
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      for (const l of this.listeners) l();
    });
  }

  static open(wsUrl: string, token: string | undefined, via: 'bearer' | 'query' = 'bearer'): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const url = via === 'query' && token ? `${wsUrl}?token=${encodeURIComponent(token)}` : wsUrl;
      const socket = new WebSocket(url, { headers: via === 'bearer' && token ? { authorization: `Bearer ${token}` } : {} });
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      socket.once('error', reject);
    });
  }

  call(method: string, params?: unknown): Promise<RpcAnswer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }));
    });
  }

  /** Resolves when `predicate` holds over the notifications received so far (or rejects after `ms`). */
  waitFor(predicate: (n: WsClient['notifications']) => boolean, ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate(this.notifications)) {
          this.listeners = this.listeners.filter((l) => l !== check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        reject(new Error(`timed out; ${this.notifications.length} notifications`));
      }, ms);
      this.listeners.push(check);
      check();
    });
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/** One call over a fresh WebSocket (for methods that only make sense there). */
export async function wsCall(wsUrl: string, token: string | undefined, method: string, params?: unknown): Promise<RpcAnswer> {
  let client: WsClient;
  try {
    client = await WsClient.open(wsUrl, token);
  } catch (err) {
    return { status: (err as { status?: number }).status ?? 0 };
  }
  try {
    return await client.call(method, params);
  } finally {
    await client.close();
  }
}
