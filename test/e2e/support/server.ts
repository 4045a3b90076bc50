import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2E_USERS } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface E2EServer {
  url: string;
  pid: number;
  dataDir: string;
  /** JSON-RPC over HTTP as the admin (to produce events from outside the browser). */
  rpc<T = unknown>(method: string, params: Record<string, unknown>): Promise<T>;
  /** A call the server must refuse, as the admin: the JSON-RPC error it answered with. */
  refusal(method: string, params: Record<string, unknown>): Promise<RpcRefusal>;
  /** JSON-RPC over HTTP as the agent instance `shuri:apollo` (fixture server only). */
  agentRpc<T = unknown>(method: string, params: Record<string, unknown>): Promise<T>;
  /** With `demo`: the sign-in as the server printed it in its log, and what startServer returned. */
  demo: { projectId: string; username: string; password: string; printed: { username: string; password: string } } | null;
  stop(): Promise<void>;
}

/** A JSON-RPC error as the server sends it: `data` carries the stable `code` and its details. */
export interface RpcRefusal {
  message: string;
  data: { code?: string } & Record<string, unknown>;
}

interface Ready {
  url: string;
  agent_token: string | null;
  demo: { projectId: string; username: string; password: string } | null;
}

/** Builds the web app once per run (vite), so the tests exercise what production serves. */
export function buildWeb(): void {
  if (process.env.MC_E2E_SKIP_BUILD === '1') return;
  const res = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'error'], {
    cwd: ROOT,
    // vitest sets NODE_ENV=test, which would make vite bundle React's development build.
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (res.status !== 0) throw new Error(`vite build failed (${res.status})`);
}

/**
 * Starts the shipped server (`startServer`) in its own process on 127.0.0.1 port 0, with a fresh
 * data dir: the fixture of `fixtures.ts`, or with `demo` the `--demo` squad and its own sign-in.
 */
export async function startServer(opts: { demo?: boolean } = {}): Promise<E2EServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-e2e-'));
  const args = ['--import', 'tsx', join(ROOT, 'test/e2e/support/e2e-server.ts'), dataDir, ...(opts.demo ? ['--demo'] : [])];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = await new Promise<Ready>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Ready);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });

  const url = ready.url;
  let demo: E2EServer['demo'] = null;
  if (ready.demo) {
    // What an operator reads in the log of `npm start`: "… sign in at <url> as <user> / <password>".
    // stderr is its own pipe: the line may arrive just after the ready line on stdout.
    const signIn = /sign in at \S+ as (\S+) \/ (\S+)"/;
    for (let waited = 0; !signIn.test(stderr) && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const printed = signIn.exec(stderr);
    if (!printed) throw new Error(`the demo server printed no sign-in: ${stderr.slice(0, 2000)}`);
    demo = { ...ready.demo, printed: { username: printed[1]!, password: printed[2]! } };
  }
  const admin = demo ? demo.printed : E2E_USERS.admin;
  const login = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  let nextId = 1;
  const send = async <T>(headers: Record<string, string>, method: string, params: Record<string, unknown>): Promise<{ result?: T; error?: RpcRefusal }> => {
    const res = await fetch(`${url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
    });
    return (await res.json()) as { result?: T; error?: RpcRefusal };
  };
  const call = async <T>(headers: Record<string, string>, method: string, params: Record<string, unknown>): Promise<T> => {
    const body = await send<T>(headers, method, params);
    if (body.error) throw new Error(`${method}: ${body.error.message} ${JSON.stringify(body.error.data ?? {})}`);
    return body.result as T;
  };

  return {
    url,
    pid: child.pid!,
    dataDir,
    demo,
    rpc: (method, params) => call({ cookie }, method, params),
    async refusal(method, params) {
      const body = await send({ cookie }, method, params);
      if (!body.error) throw new Error(`${method} was expected to be refused, and succeeded`);
      return { message: body.error.message, data: body.error.data ?? {} };
    },
    agentRpc: (method, params) => {
      if (!ready.agent_token) throw new Error('the demo server has no agent token');
      return call({ authorization: `Bearer ${ready.agent_token}` }, method, params);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        process.kill(child.pid!, 'SIGTERM');
        const timeout = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 5_000);
        await exited;
        clearTimeout(timeout);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
