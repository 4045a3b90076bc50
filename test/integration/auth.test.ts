import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startHarness, WsClient, type Harness } from './rpc-harness.js';

/**
 * SPEC §9 against a real server: session cookie sign-in (httpOnly, SameSite), logout, /auth/me,
 * the first admin from configuration, scrypt password hashes and SHA-256 token hashes at rest,
 * and no secret in the logs.
 */
let h: Harness;
const logLines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(String(chunk));
    done();
  },
});

beforeAll(async () => {
  h = await startHarness({ admin: { username: 'boss', password: 'boss-password-1' } }, pino({ level: 'trace' }, sink));
  ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'Auth', project_id: 'auth' }));
});

afterAll(async () => {
  await h.close();
});

async function login(username: string, password: string): Promise<Response> {
  return fetch(`${h.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
}

const cookieOf = (res: Response): string => (res.headers.get('set-cookie') ?? '').split(';')[0]!;

describe('sessions', () => {
  it('creates the first admin from configuration and signs in with a httpOnly SameSite=Lax cookie', async () => {
    const res = await login('boss', 'boss-password-1');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { is_admin: boolean } }).user.is_admin).toBe(true);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^mc_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = cookieOf(res);
    const me = await fetch(`${h.url}/auth/me`, { headers: { cookie } });
    expect(await me.json()).toMatchObject({ kind: 'user', username: 'boss', is_admin: true });
    const rpc = await fetch(`${h.url}/rpc`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'mission.project.list' }) });
    expect(rpc.status).toBe(200);
    expect(((await rpc.json()) as { result: { projects: unknown[] } }).result.projects).toHaveLength(1);
    // The cookie also opens the WebSocket.
    const ws = await new Promise<number>((resolve) => {
      void import('ws').then(({ default: WebSocket }) => {
        const s = new WebSocket(h.wsUrl, { headers: { cookie } });
        s.once('open', () => {
          s.close();
          resolve(101);
        });
        s.once('unexpected-response', (_q, r) => resolve(r.statusCode ?? 0));
      });
    });
    expect(ws).toBe(101);
    // …but only from our own origin: another site's page cannot ride on the cookie.
    const foreign = await new Promise<number>((resolve) => {
      void import('ws').then(({ default: WebSocket }) => {
        const s = new WebSocket(h.wsUrl, { headers: { cookie }, origin: 'https://evil.example' });
        s.once('open', () => {
          s.close();
          resolve(101);
        });
        s.once('unexpected-response', (_q, r) => resolve(r.statusCode ?? 0));
      });
    });
    expect(foreign).toBe(403);
  });

  it('refuses a wrong password or unknown user with 401 and the same message', async () => {
    const wrong = await login('boss', 'not-the-password');
    const unknown = await login('nobody', 'whatever-password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('ends the session on logout: the cookie no longer works', async () => {
    const cookie = cookieOf(await login('boss', 'boss-password-1'));
    expect((await fetch(`${h.url}/auth/me`, { headers: { cookie } })).status).toBe(200);
    const out = await fetch(`${h.url}/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(200);
    expect((await fetch(`${h.url}/auth/me`, { headers: { cookie } })).status).toBe(401);
    // Without any credential the question is answered: nobody (a signed-out page asks it on load).
    const anonymous = await fetch(`${h.url}/auth/me`);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ kind: 'anonymous' });
    await expect(WsClient.open(h.wsUrl, cookie.split('=')[1], 'query')).rejects.toMatchObject({ status: 401 });
  });

  it('tells an agent token who it is on /auth/me', async () => {
    const agent = h.agentToken('nobody:auth');
    // An instance that does not exist is not a live credential.
    expect((await fetch(`${h.url}/auth/me`, { headers: { authorization: `Bearer ${agent}` } })).status).toBe(401);
  });
});

describe('secrets at rest and in logs', () => {
  it('stores passwords as scrypt (N=2^15, r=8, p=1, salted) and tokens only as SHA-256', async () => {
    const row = h.store.db.prepare("SELECT password_hash FROM users WHERE username = 'boss'").get() as { password_hash: string };
    expect(row.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{20,}\$[A-Za-z0-9+/=]{40,}$/);
    expect(row.password_hash).not.toContain('boss-password-1');
    const { token } = h.accounts.createToken({ user: 'boss' });
    expect(token.length).toBeGreaterThanOrEqual(43); // 256 random bits, base64url
    const dump = JSON.stringify(h.store.db.prepare('SELECT * FROM api_tokens').all());
    expect(dump).not.toContain(token);
    expect(dump).toContain((await import('node:crypto')).createHash('sha256').update(token).digest('hex'));
  });

  it('never writes a password, bearer token or session cookie to the log', async () => {
    const res = await login('boss', 'boss-password-1');
    const cookie = cookieOf(res);
    const { token } = h.accounts.createToken({ user: 'boss' });
    await fetch(`${h.url}/auth/me`, { headers: { cookie } });
    await h.rpc(token, 'mission.project.list');
    await h.rpc(token, 'mission.nope');
    const ws = await WsClient.open(h.wsUrl, token, 'query');
    await ws.close();
    const text = logLines.join('');
    expect(logLines.length).toBeGreaterThan(3);
    expect(text).toContain('"reqId"');
    for (const secret of ['boss-password-1', token, cookie.split('=')[1]!]) expect(text).not.toContain(secret);
  });
});

describe('CLI: user and token commands against a running server', () => {
  const cli = async (args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> => {
    const { spawn } = await import('node:child_process');
    return new Promise((resolvePromise) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--data-dir', h.dataDir], { cwd: process.cwd(), env: { ...process.env, MC_ADMIN: '' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
      child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
      child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(stdin ?? '');
    });
  };

  /** `token create …` through the CLI: exit 0 and the token printed once, alone on stdout. */
  const mint = async (args: string[]): Promise<string> => {
    const created = await cli(['token', 'create', ...args]);
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mc_[A-Za-z0-9_-]{43}$/);
    return lines[0]!;
  };

  it('adds a user from stdin, grants a role, and mints a token the running server honours at once', async () => {
    const add = await cli(['user', 'add', 'carol', '--password-stdin'], 'carol-password-9\n');
    expect(add.code, add.stderr).toBe(0);
    const grant = await cli(['user', 'grant', 'carol', 'auth', 'viewer']);
    expect(grant.code, grant.stderr).toBe(0);
    const token = await mint(['--user', 'carol']);
    const projects = ok<{ projects: { id: string }[] }>(await h.rpc(token, 'mission.project.list'));
    expect(projects.projects.map((p) => p.id)).toEqual(['auth']);
    expect((await h.rpc(token, 'mission.task.create', { project_id: 'auth', title: 'viewer write' })).error?.data?.code).toBe('FORBIDDEN');
    expect((await login('carol', 'carol-password-9')).status).toBe(200);
  }, 60_000);

  it('mints an instance token (--instance) the running server honours at once: it calls agent tools as that instance', async () => {
    ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: 'shuri', name: 'Shuri' }));
    ok(await h.rpc(h.adminToken, 'mission.agent.create', { project_id: 'auth', soul_id: 'shuri' }));
    const token = await mint(['--instance', 'shuri:auth']);
    const synced = ok<{ id: string; last_seen_at: number | null }>(await h.rpc(token, 'mission.agent.sync', { instance_id: 'shuri:auth', status: 'idle' }));
    expect(synced.id).toBe('shuri:auth');
    expect(synced.last_seen_at).not.toBeNull();
    const task = ok<{ id: string; project_id: string }>(await h.rpc(token, 'mission.task.create', { project_id: 'auth', title: 'filed by the agent' }));
    expect(task.project_id).toBe('auth');
    // As itself only: not a human's method, not another instance.
    expect((await h.rpc(token, 'mission.project.list')).error?.data?.code).toBe('FORBIDDEN');
    expect((await h.rpc(token, 'mission.agent.sync', { instance_id: 'jarvis:auth', status: 'idle' })).error?.data?.code).toBe('FORBIDDEN');
  }, 60_000);

  it('mints a driver token (--driver) the running server honours at once: calls name an instance it serves', async () => {
    ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: 'wong', name: 'Wong' }));
    ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'Driven', project_id: 'driven', base_id: ['wong'], settings: { driver: 'oc-cli' } }));
    const token = await mint(['--driver', 'oc-cli']);
    const synced = ok<{ id: string; driver: string }>(await h.rpc(token, 'mission.agent.sync', { instance_id: 'wong:driven', status: 'idle' }));
    expect(synced).toMatchObject({ id: 'wong:driven', driver: 'oc-cli' });
    const task = ok<{ id: string }>(await h.rpc(token, 'mission.task.create', { project_id: 'driven', title: 'via the driver', assignee_id: 'wong', instance_id: 'wong:driven' }));
    ok(await h.rpc(token, 'mission.task.move', { task_id: task.id, new_status: 'in_progress', instance_id: 'wong:driven' }));
    ok(await h.rpc(token, 'mission.control.log_event', { task_id: task.id, thought: 'driven thought', action: 'log', instance_id: 'wong:driven' }));
    const events = ok<{ events: { thought: string; instance_id: string | null }[] }>(await h.rpc(h.adminToken, 'mission.task.get', { task_id: task.id }));
    expect(events.events).toContainEqual(expect.objectContaining({ thought: 'driven thought', instance_id: 'wong:driven' }));
    // Without naming the instance, or for one another runtime serves: refused.
    expect((await h.rpc(token, 'mission.control.log_event', { task_id: task.id, thought: 't', action: 'a' })).error?.data?.code).toBe('INVALID_INPUT');
    expect((await h.rpc(token, 'mission.agent.sync', { instance_id: 'shuri:auth', status: 'idle' })).error?.data?.code).toBe('FORBIDDEN');
  }, 60_000);

  it('refuses bad usage with exit code 2', async () => {
    expect((await cli(['token', 'create'])).code).toBe(2);
    expect((await cli(['user', 'grant', 'carol', 'auth', 'emperor'])).code).toBe(2);
  }, 60_000);
});

describe('brute force', () => {
  // Last in this file: it spends the client address's sign-in budget.
  it('refuses sign-in attempts over the budget with 429 RATE_LIMITED', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await login('mallory', `guess-${i}-password`)).status);
    expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const body = (await (await login('boss', 'boss-password-1')).json()) as { error?: { code: string } };
    expect(body.error?.code).toBe('RATE_LIMITED');
  }, 60_000);
});
