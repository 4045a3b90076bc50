import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandDriver, PulseCredentialIssuer, withResilience } from '../../src/actors/drivers/index.js';
import { createRuntime, type Runtime } from '../../src/actors/runtime.js';
import { Accounts, createGateway } from '../../src/gateway/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { Workspace, createProjectFiles } from '../../src/workspace/index.js';

/**
 * End to end through the real pieces: a pulse started with mission.agent.pulse_now runs a real
 * program with the command driver; the program calls mission.control.log_event over HTTP with
 * the MC_TOKEN it was given; the thought lands in the task's event log; once the pulse is over
 * the same token is refused (HTTP 401).
 */
let dir: string;
let store: Store;
let runtime: Runtime;
let app: FastifyInstance;
let url = '';
let admin = '';
let issuer: PulseCredentialIssuer;

async function rpc(token: string, method: string, params: unknown): Promise<{ status: number; body: { result?: unknown; error?: { message: string; data?: { code?: string } } } }> {
  const res = await fetch(`${url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return { status: res.status, body: (await res.json()) as { result?: unknown; error?: { message: string; data?: { code?: string } } } };
}

async function ok(method: string, params: unknown): Promise<Record<string, unknown>> {
  const { body } = await rpc(admin, method, params);
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result as Record<string, unknown>;
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-cmd-e2e-'));
  const dataDir = join(dir, 'data');
  store = await openStore({ dataDir });
  const workspace = new Workspace({ dataDir, lockTimeoutMs: 2000 });
  const accounts = new Accounts(store.db);
  issuer = new PulseCredentialIssuer({
    url: () => url,
    mint: (instanceId, pulseId, expiresAt) => accounts.mintPulseToken(instanceId, pulseId, expiresAt),
    revoke: (token) => void accounts.revokeToken(token),
  });

  // The agent program: reads the prompt, reports through log_event with its pulse token.
  const agentScript = join(dir, 'agent.mjs');
  writeFileSync(
    agentScript,
    `import { readFileSync, writeFileSync } from 'node:fs';
const prompt = readFileSync(0, 'utf8');
writeFileSync(process.env.TOKEN_FILE, process.env.MC_TOKEN);
const res = await fetch(process.env.MC_URL + '/rpc', {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: 'Bearer ' + process.env.MC_TOKEN },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'mission.control.log_event', params: {
    task_id: process.env.TASK_ID,
    thought: 'pulse ' + process.env.MC_PULSE_ID + ' for ' + process.env.MC_INSTANCE + ' saw: ' + prompt.split('\\n')[0],
    action: 'reported from a command-driven agent',
  } }),
});
const body = await res.json();
console.log(JSON.stringify(body));
process.exit(body.error ? 2 : 0);
`,
  );
  const command = withResilience(
    new CommandDriver({ command: process.execPath, args: [agentScript], env: { TASK_ID: 'vanguard-1', TOKEN_FILE: join(dir, 'token.txt') } }),
    { retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxTotalMs: 0 } },
  );
  issuer.watch(command);
  runtime = createRuntime({
    db: store.db,
    scheduling: false,
    drivers: new Map([['command', command]]),
    pulseCredentials: issuer.pulseCredentials,
    files: createProjectFiles(workspace),
  });
  runtime.start();
  app = await createGateway({
    config: { limits: { rate_limit_per_minute: 1_000_000, max_ws_clients: 50, feed_retention_events: 100_000, max_message_bytes: 256 * 1024 } },
    store,
    runtime,
    workspace,
    logger: pino({ level: 'silent' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;
  await accounts.addUser('root', 'root-password', true);
  admin = accounts.createToken({ user: 'root' }).token;
});

afterAll(async () => {
  await app?.close();
  await runtime?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('command-driven agent, end to end', () => {
  it('logs a thought with its per-pulse MC_TOKEN, and the token is refused after the pulse', async () => {
    await ok('mission.soul.create', { soul_id: 'shuri', name: 'Shuri' });
    await ok('mission.project.init', { project_name: 'Vanguard', project_id: 'vanguard', base_id: ['shuri'], settings: { driver: 'command' } });
    const task = await ok('mission.task.create', { project_id: 'vanguard', title: 'Wire the reactor', assignee_id: 'shuri' });
    expect(task).toMatchObject({ id: 'vanguard-1' });

    await ok('mission.agent.pulse_now', { instance_id: 'shuri:vanguard' });

    const thought = await waitFor(async () => {
      const events = await ok('mission.inspect.events', { actor_id: 'vanguard-1' });
      const list = (events.events ?? []) as { type: string; payload: { data?: { thought?: string } } & Record<string, unknown> }[];
      return list.find((e) => e.type === 'thought.logged');
    });
    expect(JSON.stringify(thought)).toMatch(/pulse [0-9a-f-]{36} for shuri:vanguard saw: /);

    // The pulse finishes; its token is revoked at once (not only at the pulse deadline).
    await waitFor(async () => (issuer.liveCount() === 0 && existsSync(join(dir, 'token.txt')) ? true : undefined));
    const pulseToken = readFileSync(join(dir, 'token.txt'), 'utf8');
    expect(pulseToken.length).toBeGreaterThanOrEqual(22);
    const after = await rpc(pulseToken, 'mission.control.log_event', { task_id: 'vanguard-1', thought: 'late', action: 'should be refused' });
    expect(after.status).toBe(401);
  });
});
