import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { instanceFromSessionKey, runTool } from './mission-client.js';

// A real HTTP server standing in for Mission Control's /rpc: it records what the plugin sends.
const seen: { auth: string | undefined; body: { method: string; params: Record<string, unknown> } }[] = [];
let server: Server;
let url = '';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => resolve(data));
  });
}

before(async () => {
  server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as { id: number; method: string; params: Record<string, unknown> };
    seen.push({ auth: req.headers.authorization, body });
    if (req.headers.authorization !== 'Bearer driver-secret') {
      res.writeHead(401).end(JSON.stringify({ jsonrpc: '2.0', id: body.id, error: { code: -32000, message: 'unauthenticated', data: { code: 'UNAUTHENTICATED' } } }));
      return;
    }
    res.setHeader('content-type', 'application/json');
    if (body.method === 'mission.task.move') {
      res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, error: { code: -32000, message: 'done → in_progress is not allowed', data: { code: 'ILLEGAL_TRANSITION', severity: 'permanent' } } }));
      return;
    }
    res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { accepted: true } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

describe('mission client', () => {
  it('names the instance from the session key', () => {
    assert.deepEqual(instanceFromSessionKey('agent:shuri:mc-vanguard'), { instanceId: 'shuri:vanguard', soulId: 'shuri', projectId: 'vanguard' });
    assert.equal(instanceFromSessionKey('agent:main:main'), null);
    assert.equal(instanceFromSessionKey(undefined), null);
  });

  it('log_event calls mission.control.log_event as the session instance, with the driver credential', async () => {
    const result = await runTool({ url, token: 'driver-secret' }, 'log_event', { thought: 'reading the spec', action: 'open SPEC.md', task_id: undefined }, 'agent:shuri:mc-vanguard');
    assert.deepEqual(result, { ok: true, status: 'ok', result: { accepted: true } });
    const last = seen.at(-1)!;
    assert.equal(last.auth, 'Bearer driver-secret');
    assert.deepEqual(last.body.params, { thought: 'reading the spec', action: 'open SPEC.md', instance_id: 'shuri:vanguard' });
    assert.equal(last.body.method, 'mission.control.log_event');
  });

  it('task_list adds the project of the session', async () => {
    await runTool({ url, token: 'driver-secret' }, 'task_list', { status: ['backlog'] }, 'agent:shuri:mc-vanguard');
    assert.deepEqual(seen.at(-1)!.body.params, { status: ['backlog'], project_id: 'vanguard', instance_id: 'shuri:vanguard' });
  });

  it('keeps OpenClaw’s failure convention for mission errors, a bad token and a foreign session', async () => {
    assert.deepEqual(await runTool({ url, token: 'driver-secret' }, 'task_move', { task_id: 'vanguard-1', new_status: 'in_progress' }, 'agent:shuri:mc-vanguard'), {
      ok: false,
      status: 'error',
      error: { code: 'ILLEGAL_TRANSITION', message: 'done → in_progress is not allowed', severity: 'permanent' },
    });
    const denied = await runTool({ url, token: 'wrong' }, 'log_event', { thought: 't', action: 'a' }, 'agent:shuri:mc-vanguard');
    assert.equal(denied.ok, false);
    assert.equal(denied.ok === false && denied.error.code, 'UNAUTHENTICATED');
    const before = seen.length;
    const foreign = await runTool({ url, token: 'driver-secret' }, 'log_event', { thought: 't', action: 'a' }, 'agent:main:main');
    assert.equal(foreign.ok === false && foreign.error.code, 'FORBIDDEN');
    assert.equal(seen.length, before); // nothing was sent for a session that is not an instance
  });
});
