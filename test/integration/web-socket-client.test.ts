import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsClient, WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { MissionSocket, type ConnectionSnapshot } from '../../web/src/api/mission-socket.js';
import type { RpcError } from '../../web/src/api/errors.js';

// The web app's one socket per tab (SPEC §10): reconnect with backoff and jitter, actions sent
// while disconnected are queued and retried with their idempotency key or reported failed.
// Node 20 has no global WebSocket; `ws` implements the same browser-facing interface.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WsClient;

interface Frame {
  id?: number;
  method: string;
  params: Record<string, unknown>;
}

/** A real JSON-RPC WebSocket server on 127.0.0.1, port 0, answering `echo` and `fail`. */
async function startServer(port = 0): Promise<{ wss: WebSocketServer; url: string; port: number; frames: Frame[]; connections: WsSocket[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  const bound = typeof address === 'object' && address ? address.port : 0;
  const frames: Frame[] = [];
  const connections: WsSocket[] = [];
  wss.on('connection', (ws) => {
    connections.push(ws);
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as Frame;
      frames.push(frame);
      if (frame.method === 'echo') ws.send(JSON.stringify({ jsonrpc: '2.0', id: frame.id, result: frame.params }));
      if (frame.method === 'fail') {
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: frame.id, error: { code: -32000, message: 'refused', data: { code: 'ILLEGAL_TRANSITION', allowed: ['in_progress'] } } }));
      }
    });
  });
  return { wss, url: `ws://127.0.0.1:${bound}`, port: bound, frames, connections };
}

function closeServer(wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

function waitFor(socket: MissionSocket, predicate: (c: ConnectionSnapshot) => boolean, timeoutMs = 5000): Promise<ConnectionSnapshot> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const c = socket.connection.getSnapshot();
      if (!predicate(c)) return false;
      sub.unsubscribe();
      clearTimeout(timer);
      resolve(c);
      return true;
    };
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`connection never reached the state: ${JSON.stringify(socket.connection.getSnapshot())}`));
    }, timeoutMs);
    const sub = socket.connection.subscribe(() => void check());
    check();
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('web socket client against a real WebSocket server', () => {
  it('answers requests by id and delivers notifications', async () => {
    const server = await startServer();
    cleanups.push(() => closeServer(server.wss));
    const socket = new MissionSocket({ url: server.url, checkSession: async () => true });
    cleanups.push(() => socket.stop());
    const seen: string[] = [];
    socket.onNotification((n) => seen.push(`${n.method}:${String(n.params.seq)}`));
    await expect(socket.request('echo', { a: 1 })).resolves.toEqual({ a: 1 });
    server.connections[0]!.send(JSON.stringify({ jsonrpc: '2.0', method: 'mission.task_updated', params: { seq: 7 } }));
    await expect.poll(() => seen).toEqual(['mission.task_updated:7']);
    const refused = (await socket.request('fail', {}).catch((e: unknown) => e)) as RpcError;
    expect(refused.code).toBe('ILLEGAL_TRANSITION');
    expect(refused.data.allowed).toEqual(['in_progress']);
  });

  it('queues a call made while disconnected and sends it once, unchanged, after reconnecting', async () => {
    const server = await startServer();
    const socket = new MissionSocket({ url: server.url, checkSession: async () => true, backoff: { baseMs: 50, maxMs: 200 } });
    cleanups.push(() => socket.stop());
    await waitFor(socket, (c) => c.phase === 'open');
    const reopened: number[] = [];
    socket.onReopen(() => reopened.push(Date.now()));
    const port = server.port;
    await closeServer(server.wss);
    await waitFor(socket, (c) => c.phase === 'reconnecting');

    const call = socket.request('echo', { title: 'queued', idempotency_key: 'k-1' });
    await waitFor(socket, (c) => c.queued === 1);
    const again = await startServer(port);
    cleanups.push(() => closeServer(again.wss));
    await expect(call).resolves.toEqual({ title: 'queued', idempotency_key: 'k-1' });
    expect(again.frames.filter((f) => f.method === 'echo')).toHaveLength(1);
    expect(socket.connection.getSnapshot()).toMatchObject({ phase: 'open', queued: 0 });
    expect(reopened).toHaveLength(1);
  });

  it('backs off exponentially with jitter between failed attempts', async () => {
    // A port nobody listens on: every attempt fails at once.
    const probe = await startServer();
    const port = probe.port;
    await closeServer(probe.wss);
    const socket = new MissionSocket({ url: `ws://127.0.0.1:${port}`, checkSession: async () => true, backoff: { baseMs: 40, maxMs: 320 } });
    cleanups.push(() => socket.stop());
    const delays: number[] = [];
    let last = 0;
    const sub = socket.connection.subscribe((c) => {
      if (c.retry_at && c.retry_at !== last) {
        delays.push(c.retry_at - Date.now());
        last = c.retry_at;
      }
    });
    await expect.poll(() => delays.length, { timeout: 5000 }).toBeGreaterThanOrEqual(6);
    sub.unsubscribe();
    // Attempt n waits within [cap/2, cap], cap = min(max, base·2^n).
    delays.slice(0, 6).forEach((d, n) => {
      const cap = Math.min(320, 40 * 2 ** n);
      expect(d).toBeGreaterThanOrEqual(cap / 2 - 15);
      expect(d).toBeLessThanOrEqual(cap + 5);
    });
  });

  it('reports a queued call failed after the queue timeout when the server stays away', async () => {
    const probe = await startServer();
    await closeServer(probe.wss);
    const socket = new MissionSocket({ url: probe.url, checkSession: async () => true, queueTimeoutMs: 600, backoff: { baseMs: 50, maxMs: 100 } });
    cleanups.push(() => socket.stop());
    const started = Date.now();
    const err = (await socket.request('echo', { x: 1 }).catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe('TIMEOUT');
    expect(err.data.offline).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(socket.connection.getSnapshot().queued).toBe(0);
  });

  it('stops reconnecting and fails pending calls when the session is no longer valid', async () => {
    const server = await startServer();
    let valid = true;
    const socket = new MissionSocket({ url: server.url, checkSession: async () => valid, backoff: { baseMs: 30, maxMs: 60 } });
    cleanups.push(() => socket.stop());
    await waitFor(socket, (c) => c.phase === 'open');
    valid = false;
    await closeServer(server.wss);
    await waitFor(socket, (c) => c.phase === 'signed_out');
    const err = (await socket.request('echo', {}).catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe('CLOSED');
  });
});
