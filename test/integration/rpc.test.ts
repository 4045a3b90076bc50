import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startHarness, type Harness } from './rpc-harness.js';

/**
 * JSON-RPC 2.0 conformance of POST /rpc against a real listening gateway, runtime and SQLite
 * store. Expected codes are SPEC §5's: -32700 parse, -32600 invalid request, -32601 unknown
 * method, -32602 invalid params, -32000 + data.code/severity for application errors, HTTP 401
 * for a missing or bad credential, HTTP 200 for everything else.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: 'shuri', name: 'Shuri', role: 'engineer' }));
  ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'Vanguard', project_id: 'vanguard', base_id: ['shuri'] }));
});

afterAll(async () => {
  await h.close();
});

const countTasks = (): number => (h.store.db.prepare('SELECT COUNT(*) AS n FROM tasks').get() as { n: number }).n;

describe('POST /rpc', () => {
  it('answers HTTP 401 without a credential and with an unknown one', async () => {
    const none = await h.raw(undefined, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'mission.project.list' }));
    expect(none.status).toBe(401);
    expect((none.json as { error: { data: { code: string } } }).error.data.code).toBe('UNAUTHENTICATED');
    const bad = await h.raw('mc_not-a-real-token', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'mission.project.list' }));
    expect(bad.status).toBe(401);
  });

  it('answers -32700 with HTTP 200 for a body that is not JSON', async () => {
    const r = await h.raw(h.adminToken, '{"jsonrpc": "2.0", "method": ');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32700 }) });
  });

  it('answers -32600 for an empty batch and for malformed requests', async () => {
    const empty = await h.raw(h.adminToken, '[]');
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600 }) });
    for (const body of ['1', '"x"', '{"method":"mission.project.list","id":1}', '{"jsonrpc":"1.0","method":"mission.project.list","id":1}', '{"jsonrpc":"2.0","method":5,"id":1}', '{"jsonrpc":"2.0","method":"mission.project.list","id":{}}', '{"jsonrpc":"2.0","method":"mission.project.list","id":1,"params":"x"}']) {
      const r = await h.raw(h.adminToken, body);
      expect(r.status, body).toBe(200);
      expect((r.json as { error: { code: number } }).error.code, body).toBe(-32600);
    }
  });

  it('answers -32601 for an unknown method, keeping the id', async () => {
    const r = await h.rpc(h.adminToken, 'mission.nope');
    expect(r.status).toBe(200);
    expect(r.error?.code).toBe(-32601);
  });

  it('answers -32602 with the zod issues for invalid params and changes nothing', async () => {
    const before = countTasks();
    const r = await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: '', priority: 9 });
    expect(r.status).toBe(200);
    expect(r.error?.code).toBe(-32602);
    const issues = r.error?.data?.issues as { path: unknown[] }[];
    expect(issues.map((i) => i.path[0]).sort()).toEqual(['priority', 'title']);
    const positional = await h.rpc(h.adminToken, 'mission.task.create', ['vanguard', 'x']);
    expect(positional.error?.code).toBe(-32602);
    expect(countTasks()).toBe(before);
  });

  it('answers application errors as -32000 with data.code and data.severity', async () => {
    const missing = await h.rpc(h.adminToken, 'mission.task.get', { task_id: 'vanguard-999' });
    expect(missing.error).toMatchObject({ code: -32000, data: { code: 'NOT_FOUND', severity: 'permanent' } });
    const task = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: 'Illegal move' }));
    const illegal = await h.rpc(h.adminToken, 'mission.task.move', { task_id: task.id, new_status: 'review' });
    expect(illegal.status).toBe(200);
    expect(illegal.error).toMatchObject({ code: -32000, data: { code: 'ILLEGAL_TRANSITION', severity: 'permanent' } });
    expect(illegal.error?.data?.state).toBe('backlog');
    expect(illegal.error?.data?.allowed).toEqual(expect.arrayContaining(['in_progress']));
  });

  it('processes a batch: answers each request by id and none for notifications', async () => {
    const before = countTasks();
    const r = await h.raw(
      h.adminToken,
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'mission.task.create', params: { project_id: 'vanguard', title: 'batch one' } },
        { jsonrpc: '2.0', method: 'mission.task.create', params: { project_id: 'vanguard', title: 'batch notification' } },
        { jsonrpc: '2.0', id: 7, method: 'mission.nope' },
        { jsonrpc: '2.0', id: 8, method: 'mission.task.create', params: { project_id: 'vanguard' } },
        42,
      ]),
    );
    expect(r.status).toBe(200);
    const answers = r.json as { id: unknown; result?: { title: string }; error?: { code: number } }[];
    expect(answers).toHaveLength(4);
    const byId = new Map(answers.map((a) => [JSON.stringify(a.id), a]));
    expect(byId.get('"a"')?.result?.title).toBe('batch one');
    expect(byId.get('7')?.error?.code).toBe(-32601);
    expect(byId.get('8')?.error?.code).toBe(-32602);
    expect(byId.get('null')?.error?.code).toBe(-32600);
    expect(countTasks()).toBe(before + 2);
  });

  it('sends no JSON-RPC answer for a notification or a batch of notifications, but runs them', async () => {
    const before = countTasks();
    const single = await h.raw(h.adminToken, JSON.stringify({ jsonrpc: '2.0', method: 'mission.task.create', params: { project_id: 'vanguard', title: 'notified' } }));
    expect(single.status).toBe(204);
    expect(single.text).toBe('');
    const batch = await h.raw(h.adminToken, JSON.stringify([{ jsonrpc: '2.0', method: 'mission.task.create', params: { project_id: 'vanguard', title: 'n2' } }, { jsonrpc: '2.0', method: 'mission.nope' }]));
    expect(batch.status).toBe(204);
    expect(batch.text).toBe('');
    expect(countTasks()).toBe(before + 2);
  });

  it('returns the first answer for a repeated idempotency key (param or header), never deriving keys from content', async () => {
    const before = countTasks();
    const first = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: 'same', idempotency_key: 'k-1' }));
    const again = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: 'same', idempotency_key: 'k-1' }));
    expect(again.id).toBe(first.id);
    const h1 = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: 'hdr' }, { 'idempotency-key': 'k-2' }));
    const h2 = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: 'hdr' }, { 'idempotency-key': 'k-2' }));
    expect(h2.id).toBe(h1.id);
    // Same content without a key: two tasks on purpose.
    const a = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: 'twin' }));
    const b = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: 'twin' }));
    expect(a.id).not.toBe(b.id);
    expect(countTasks()).toBe(before + 4);
  });

  it('accepts the PRD aliases mission.control.log / .block / .distill', async () => {
    const task = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: 'alias', assignee_id: 'shuri' }));
    const agent = h.agentToken('shuri:vanguard');
    ok(await h.rpc(agent, 'mission.task.move', { task_id: task.id, new_status: 'In-Progress' }));
    ok(await h.rpc(agent, 'mission.control.log', { task_id: task.id, thought: 'reading the code', action: 'open file' }));
    const events = ok<{ events: { thought: string }[] }>(await h.rpc(h.adminToken, 'mission.task.get', { task_id: task.id }));
    expect(events.events.map((e) => e.thought)).toContain('reading the code');
    ok(await h.rpc(agent, 'mission.control.block', { task_id: task.id, issue: 'need a key' }));
    const blocked = ok<{ task: { status: string } }>(await h.rpc(h.adminToken, 'mission.task.get', { task_id: task.id }));
    expect(blocked.task.status).toBe('blocked');
    // learned.md, or null while the agent has distilled nothing yet.
    const learned = async (): Promise<string | null> => {
      const doc = await h.rpc(h.adminToken, 'mission.doc.get', { project_id: 'vanguard', name: 'agents/shuri/learned.md' });
      if (doc.error?.data?.code === 'NOT_FOUND') return null;
      return ok<{ content: string }>(doc).content;
    };
    const before = await learned();
    expect(ok(await h.rpc(agent, 'mission.control.distill', { summary: 'the staging key lives in the vault' }))).toEqual({ ok: true });
    const after = await learned();
    expect(after).not.toBe(before);
    expect(after).toContain('the staging key lives in the vault');
  });

  it('describes machines and pages an actor\'s events for the inspector', async () => {
    const machine = ok<{ id: string; version: number; definition: { states?: Record<string, unknown> } }>(await h.rpc(h.adminToken, 'mission.inspect.machine', { kind: 'task' }));
    expect(machine.id).toBe('task');
    expect(machine.version).toBeGreaterThanOrEqual(1);
    expect(Object.keys(machine.definition.states ?? {})).toEqual(expect.arrayContaining(['backlog', 'in_progress', 'review', 'done', 'blocked', 'archived']));
    const task = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'vanguard', title: 'inspected' }));
    ok(await h.rpc(h.adminToken, 'mission.task.move', { task_id: task.id, new_status: 'in_progress' }));
    ok(await h.rpc(h.adminToken, 'mission.task.comment', { task_id: task.id, text: 'note' }));
    const all = ok<{ events: { seq: number; type: string; actor_id: string }[] }>(await h.rpc(h.adminToken, 'mission.inspect.events', { actor_id: task.id }));
    expect(all.events.map((e) => e.type).slice(0, 2)).toEqual(['task.created', 'task.moved']);
    expect(all.events.every((e) => e.actor_id === task.id)).toBe(true);
    const seqs = all.events.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    const older = ok<{ events: { seq: number }[] }>(await h.rpc(h.adminToken, 'mission.inspect.events', { actor_id: task.id, before_seq: seqs[1], limit: 5 }));
    expect(older.events.map((e) => e.seq)).toEqual([seqs[0]]);
  });

  it("serves an agent's files through the workspace jail, with versions and idempotent deletes", async () => {
    const agent = h.agentToken('shuri:vanguard');
    const written = ok<{ version: string }>(await h.rpc(agent, 'mission.fs.write', { path: 'src/notes.md', content: 'hello' }));
    const read = ok<{ content: string; version: string }>(await h.rpc(agent, 'mission.fs.read', { path: 'src/notes.md' }));
    expect(read).toEqual({ content: 'hello', version: written.version });
    ok(await h.rpc(agent, 'mission.fs.write', { path: 'src/notes.md', content: 'changed', expected_version: written.version }));
    expect((await h.rpc(agent, 'mission.fs.write', { path: 'src/notes.md', content: 'stale', expected_version: written.version })).error?.data?.code).toBe('CONFLICT');
    for (const path of ['../../etc/passwd', '/etc/passwd', 'KANBAN.md', 'agents/other/working.md', 'src/%2e%2e/%2e%2e/x']) {
      expect((await h.rpc(agent, 'mission.fs.write', { path, content: 'x' })).error?.data?.code, path).toBe('PATH_OUTSIDE_SCOPE');
    }
    const first = await h.rpc(agent, 'mission.fs.delete', { path: 'src/notes.md', idempotency_key: 'del-1' });
    const again = await h.rpc(agent, 'mission.fs.delete', { path: 'src/notes.md', idempotency_key: 'del-1' });
    expect(first.error).toBeUndefined();
    expect(again).toEqual(first);
    expect((await h.rpc(agent, 'mission.fs.delete', { path: 'src/notes.md' })).error?.data?.code).toBe('NOT_FOUND');
  });

  it('refuses a body over the size limit with LIMIT_EXCEEDED, HTTP 200', async () => {
    const r = await h.raw(h.adminToken, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'mission.task.create', params: { project_id: 'vanguard', title: 'x', description: 'y'.repeat(300 * 1024) } }));
    expect(r.status).toBe(200);
    expect((r.json as { error: { data: { code: string } } }).error.data.code).toBe('LIMIT_EXCEEDED');
  });

  it('sets security headers on answers', async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('configuration reload', () => {
  it('applies a reloaded rate limit to the running gateway', async () => {
    const { pino } = await import('pino');
    const { createGateway } = await import('../../src/gateway/index.js');
    let listener: ((next: import('../../src/gateway/index.js').GatewayConfig) => void) | undefined;
    const app = await createGateway({
      config: { limits: { rate_limit_per_minute: 1_000_000, max_ws_clients: 10, feed_retention_events: 1000, max_message_bytes: 65536 } },
      configUpdates: { subscribe: (l) => ((listener = l), () => (listener = undefined)) },
      store: h.store,
      runtime: h.runtime,
      logger: pino({ level: 'silent' }),
    });
    try {
      const token = await h.userToken('reloaded');
      const call = async (): Promise<string | undefined> => {
        const r = await app.inject({ method: 'POST', url: '/rpc', headers: { authorization: `Bearer ${token}` }, payload: { jsonrpc: '2.0', id: 1, method: 'mission.project.list' } });
        return (r.json() as { error?: { data: { code: string } } }).error?.data.code;
      };
      expect(await call()).toBeUndefined();
      listener!({ limits: { rate_limit_per_minute: 1, max_ws_clients: 10, feed_retention_events: 1000, max_message_bytes: 65536 } });
      const codes = [await call(), await call()];
      expect(codes).toContain('RATE_LIMITED');
    } finally {
      await app.close();
    }
  });
});

describe('rate limiting', () => {
  it('refuses calls over the per-credential budget with RATE_LIMITED, per credential', async () => {
    const small = await startHarness({ limits: { rate_limit_per_minute: 5 } });
    try {
      const codes: (string | undefined)[] = [];
      for (let i = 0; i < 7; i++) codes.push((await small.rpc(small.adminToken, 'mission.project.list')).error?.data?.code as string | undefined);
      expect(codes.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
      expect(codes.slice(5)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
      const other = await small.userToken('other');
      expect((await small.rpc(other, 'mission.project.list')).error).toBeUndefined();
    } finally {
      await small.close();
    }
  });
});
