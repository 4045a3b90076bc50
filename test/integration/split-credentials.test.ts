import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus, RemoteRuntime } from '../../src/actors/index.js';
import { isMissionError, MissionError, type CommandEnvelope } from '../../src/core/index.js';
import { startNatsServer, type NatsServerHandle } from '../support/nats.js';
import { REPO_ROOT } from '../support/child.js';
import { cli, ensureBuilt, FeedClient, ok, readyz, rpc, serve, signIn, type ServerProcess } from './split-cluster.js';

/**
 * docs/scale-out.md gives the NATS permissions of each process. This test runs that exact
 * configuration with a runtime and a gateway process holding their own credentials (from
 * MC_NATS_USER / MC_NATS_PASS), and checks what the page promises the server enforces.
 */
function documentedNatsConf(): string {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'scale-out.md'), 'utf8');
  const block = /<!-- nats\.conf:[^\n]*-->\n```conf\n([\s\S]*?)\n```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/scale-out.md has no nats.conf block');
  return block;
}

const ADMIN = { username: 'admin', password: 'cred-secret-1' };
let nats: NatsServerHandle;
let dataDir: string;
let runtime: ServerProcess;
let gateway: ServerProcess;
let token: string;
const processes: ServerProcess[] = [];
const feeds: FeedClient[] = [];

const as = (user: string, pass: string): NodeJS.ProcessEnv => ({ MC_NATS_USER: user, MC_NATS_PASS: pass, MC_ADMIN: `${ADMIN.username}:${ADMIN.password}` });

async function start(role: 'runtime' | 'gateway', env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const p = await serve(role, { dataDir, natsUrl: nats.url, env });
  processes.push(p);
  return p;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  ensureBuilt();
  nats = await startNatsServer({ config: documentedNatsConf() });
  dataDir = mkdtempSync(join(tmpdir(), 'mc-split-cred-'));
  cli(['migrate', 'up', '--data-dir', dataDir]);
  runtime = await start('runtime', as('runtime', 'runtime-secret'));
  gateway = await start('gateway', as('gateway', 'gateway-secret'));
}, 150_000);

afterAll(async () => {
  for (const f of feeds) f.close();
  for (const p of processes) await p.stop();
  await nats?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the documented NATS permissions (docs/scale-out.md)', () => {
  it('run the split deployment: commands through the gateway, events back over NATS, no violation', async () => {
    const ready = await until('gateway ready', async () => {
      const r = await readyz(gateway.url);
      return r.status === 200 ? r : undefined;
    });
    expect(ready.body.components.find((c) => c.name === 'runtime')).toMatchObject({ ok: true });
    token = await signIn(gateway.url, ADMIN.username, ADMIN.password);
    for (const id of ['acme', 'other']) await ok(rpc(gateway.url, token, 'mission.project.init', { project_name: id, project_id: id, base_id: [] }));
    const feed = await FeedClient.connect(gateway.url, token);
    feeds.push(feed);
    const { last_seq } = await feed.subscribe('acme');
    const task = await ok(rpc<{ id: string }>(gateway.url, token, 'mission.task.create', { project_id: 'acme', title: 'over permitted subjects' }));
    await feed.waitForSeq('acme', last_seq + 1);
    expect(feed.frames.find((f) => f.params.type === 'task.created')?.params.task?.id).toBe(task.id);
    // Events came over NATS, not from the log fallback, and nothing was refused by the server.
    for (const p of [runtime, gateway]) {
      expect(p.output.text).not.toMatch(/Permissions Violation|read from the event log/i);
    }
  });

  it('refuse a gateway credential publishing an event (no feed forgery)', async () => {
    const problems: unknown[] = [];
    const bus = createNatsBus({ servers: nats.url, user: 'gateway', pass: 'gateway-secret', onHandlerError: (err) => problems.push(err) });
    try {
      await bus.ready(10_000);
      bus.publish('mc.acme.evt', JSON.stringify([{ project_id: 'acme', seq: 999 }]));
      await bus.flush().catch(() => undefined);
      await until('the server refused the publish', async () => (problems.some((p) => isMissionError(p) && p.code === 'FORBIDDEN') ? true : undefined), 5_000);
      expect(problems.find((p) => isMissionError(p) && p.code === 'FORBIDDEN')).toMatchObject({ data: { operation: 'publish', subject: 'mc.acme.evt' } });
    } finally {
      await bus.close();
    }
  });

  it('confine the acme credential to project acme: it commands acme, not other', async () => {
    const bus = createNatsBus({ servers: nats.url, user: 'acme', pass: 'acme-secret', onHandlerError: () => undefined });
    const remote = new RemoteRuntime(bus, { timeoutMs: 5_000 });
    const create = (projectId: string): CommandEnvelope<'task.create'> => ({
      name: 'task.create',
      params: { project_id: projectId, title: `from the acme credential to ${projectId}` },
      by: { kind: 'human', userId: 1, username: ADMIN.username, role: 'admin' },
      principal_key: 'user:1',
    });
    try {
      await bus.ready(10_000);
      expect(await remote.execute(create('acme'))).toMatchObject({ project_id: 'acme' });
      const refused = await remote.execute(create('other')).then(
        () => null,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(MissionError);
      expect(refused).toMatchObject({ code: 'FORBIDDEN', data: { operation: 'publish' } });
      const tasks = await ok(rpc<{ tasks: { title: string }[] }>(gateway.url, token, 'mission.task.list', { project_id: 'other' }));
      expect(tasks.tasks).toEqual([]);
    } finally {
      remote.close();
      await bus.close();
    }
  });

  it('leave a gateway with a wrong password unready, refusing commands at once', async () => {
    const wrong = await start('gateway', as('gateway', 'not-the-password'));
    const r = await readyz(wrong.url);
    expect(r.status).toBe(503);
    expect(r.body.failing).toEqual(expect.arrayContaining(['bus']));
    const started = Date.now();
    const answer = await rpc(wrong.url, token, 'mission.task.create', { project_id: 'acme', title: 'never' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(answer.error?.data).toMatchObject({ code: 'BUS_UNAVAILABLE', severity: 'transient' });
    await wrong.stop();
  });
});

describe('NATS token authentication (nats.token / MC_NATS_TOKEN)', () => {
  it('connects the runtime and a gateway that hold the token, and leaves one without it unready', async () => {
    const tokenNats = await startNatsServer({ config: 'authorization { token: "split-token-secret" }' });
    const dir = mkdtempSync(join(tmpdir(), 'mc-split-token-'));
    const started: ServerProcess[] = [];
    try {
      cli(['migrate', 'up', '--data-dir', dir]);
      const withToken = { MC_NATS_TOKEN: 'split-token-secret' };
      started.push(await serve('runtime', { dataDir: dir, natsUrl: tokenNats.url, env: withToken }));
      const gw = await serve('gateway', { dataDir: dir, natsUrl: tokenNats.url, env: withToken });
      started.push(gw);
      const without = await serve('gateway', { dataDir: dir, natsUrl: tokenNats.url });
      started.push(without);
      const ready = await until('gateway with the token ready', async () => {
        const r = await readyz(gw.url);
        return r.status === 200 ? r : undefined;
      });
      expect(ready.body.components.find((c) => c.name === 'runtime')).toMatchObject({ ok: true, state: 'reachable' });
      const refused = await readyz(without.url);
      expect(refused.status).toBe(503);
      expect(refused.body.components.find((c) => c.name === 'bus')).toMatchObject({ ok: false });
    } finally {
      for (const p of started) await p.stop();
      await tokenNats.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
