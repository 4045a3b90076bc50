import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startHarness, WsClient, type Harness } from './rpc-harness.js';

/** JSON-RPC 2.0 over /ws: the same protocol as POST /rpc, frames instead of bodies. */
let h: Harness;
let client: WsClient;

beforeAll(async () => {
  h = await startHarness({ limits: { max_request_bytes: 8 * 1024 } });
  ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'WS', project_id: 'ws' }));
  client = await WsClient.open(h.wsUrl, h.adminToken);
});

afterAll(async () => {
  await client.close();
  await h.close();
});

/** Sends a raw frame and resolves with the next non-notification frame (or null after `ms`). */
function exchange(text: string, ms = 1500): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: unknown): void => {
      const msg = JSON.parse(String(data)) as { method?: string };
      if (msg.method) return;
      client.socket.off('message', onMessage);
      clearTimeout(timer);
      resolve(msg);
    };
    const timer = setTimeout(() => {
      client.socket.off('message', onMessage);
      resolve(null);
    }, ms);
    client.socket.on('message', onMessage);
    client.socket.send(text);
  });
}

describe('/ws JSON-RPC', () => {
  it('answers -32700 to a frame that is not JSON and -32600 to an empty batch', async () => {
    expect(await exchange('{oops')).toMatchObject({ id: null, error: { code: -32700 } });
    expect(await exchange('[]')).toMatchObject({ id: null, error: { code: -32600 } });
  });

  it('answers a batch by id, and nothing for notifications', async () => {
    const answer = (await exchange(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'x', method: 'mission.task.create', params: { project_id: 'ws', title: 'over ws' } },
        { jsonrpc: '2.0', method: 'mission.task.create', params: { project_id: 'ws', title: 'silent' } },
        { jsonrpc: '2.0', id: 'y', method: 'mission.nope' },
      ]),
    )) as { id: string; result?: { title: string }; error?: { code: number } }[];
    expect(answer).toHaveLength(2);
    expect(answer.find((a) => a.id === 'x')?.result?.title).toBe('over ws');
    expect(answer.find((a) => a.id === 'y')?.error?.code).toBe(-32601);
    expect(await exchange(JSON.stringify({ jsonrpc: '2.0', method: 'mission.task.create', params: { project_id: 'ws', title: 'quiet' } }), 800)).toBeNull();
    const titles = (h.store.db.prepare("SELECT title FROM tasks WHERE project_id = 'ws'").all() as { title: string }[]).map((r) => r.title).sort();
    expect(titles).toEqual(['over ws', 'quiet', 'silent']);
  });

  it('answers -32602 with issues and -32000 application errors like /rpc', async () => {
    expect(await exchange(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'mission.task.get', params: { task_id: 'nope' } }))).toMatchObject({ id: 1, error: { code: -32602 } });
    expect(await exchange(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'mission.task.get', params: { task_id: 'ws-99' } }))).toMatchObject({
      id: 2,
      error: { code: -32000, data: { code: 'NOT_FOUND', severity: 'permanent' } },
    });
  });

  it('refuses a frame over the request size limit with LIMIT_EXCEEDED and keeps the socket', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'mission.task.create', params: { project_id: 'ws', title: 'x', description: 'y'.repeat(10_000) } });
    expect(await exchange(big)).toMatchObject({ error: { code: -32000, data: { code: 'LIMIT_EXCEEDED' } } });
    ok(await client.call('mission.project.list'));
  });

  it('closes the socket with 1008 once its credential is revoked', async () => {
    const { token, id } = h.accounts.createToken({ user: 'root' });
    const c = await WsClient.open(h.wsUrl, token);
    ok(await c.call('mission.project.list'));
    h.accounts.tokens.revokeById(id, Date.now());
    c.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'mission.project.list' }));
    await new Promise<void>((resolve) => (c.closed ? resolve() : c.socket.once('close', () => resolve())));
    expect(c.closed?.code).toBe(1008);
  });
});
