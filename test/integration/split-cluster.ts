import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import WebSocket from 'ws';
import { ChildOutput, REPO_ROOT, stopChild } from '../support/child.js';

/**
 * Real `mission-control serve --role …` child processes built in dist/, for the split-role
 * tests: start/stop by pid, sign in, JSON-RPC over HTTP, and a WebSocket feed client.
 */
const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function oldestBuilt(dir: string): number {
  let oldest = Infinity;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) oldest = Math.min(oldest, oldestBuilt(path));
    else if (entry.name.endsWith('.ts')) {
      const built = join(REPO_ROOT, 'dist', relative(REPO_ROOT, path)).replace(/\.ts$/, '.js');
      oldest = Math.min(oldest, existsSync(built) ? statSync(built).mtimeMs : 0);
    }
  }
  return oldest;
}

/** Builds dist/ when any source file is newer than its output (serialised with other builders). */
export function ensureBuilt(): void {
  const src = join(REPO_ROOT, 'src');
  if (existsSync(MAIN) && oldestBuilt(src) >= newestSource(src)) return;
  try {
    execFileSync('flock', ['/tmp/mc-build.lock', 'npx', 'tsc', '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (err) {
    // Type errors elsewhere in the tree still emit JavaScript; a missing entry point is fatal.
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? String(err);
    if (!existsSync(MAIN)) throw new Error(`build failed:\n${out}`, { cause: err });
    process.stderr.write(`tsc reported errors (JavaScript was emitted):\n${out.slice(0, 2_000)}\n`);
  }
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(process.execPath, [MAIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
}

export interface ServerProcess {
  role: 'runtime' | 'gateway' | 'all';
  child: ChildProcess;
  output: ChildOutput;
  url: string;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export interface ServeOptions {
  dataDir: string;
  natsUrl: string;
  /** A fixed port (a restarted gateway keeps its address); default any free one. */
  port?: number;
  env?: NodeJS.ProcessEnv;
}

export async function serve(role: ServerProcess['role'], opts: ServeOptions): Promise<ServerProcess> {
  const args = [MAIN, 'serve', '--role', role, '--nats-url', opts.natsUrl, '--data-dir', opts.dataDir, '--host', '127.0.0.1', '--port', String(opts.port ?? 0), '--log-level', 'info'];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, MC_LIMITS_RATE_LIMIT_PER_MINUTE: '100000', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new ChildOutput(child);
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    if (signal === 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
      return;
    }
    await stopChild(child, 10_000);
  };
  try {
    const line = await output.waitFor(/listening on http:\/\/\S+/, 30_000);
    const url = /listening on (http:\/\/[^\s"]+)/.exec(line)![1]!;
    return { role, child, output, url, stop };
  } catch (err) {
    await stop('SIGKILL');
    throw err;
  }
}

export interface RpcAnswer<T = unknown> {
  result?: T;
  error?: { code: number; message: string; data?: { code?: string; severity?: string } };
}

export async function rpc<T = unknown>(url: string, token: string, method: string, params: Record<string, unknown>): Promise<RpcAnswer<T>> {
  const res = await fetch(`${url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await res.json()) as RpcAnswer<T>;
}

export async function ok<T>(answer: Promise<RpcAnswer<T>>): Promise<T> {
  const a = await answer;
  if (a.error) throw new Error(`RPC failed: ${JSON.stringify(a.error)}`);
  return a.result as T;
}

/** Signs in with a password; returns the session token (it also works as a bearer token). */
export async function signIn(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`sign-in at ${url} answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.get('set-cookie') ?? '';
  const token = /mc_session=([^;]+)/.exec(cookie)?.[1];
  if (!token) throw new Error(`no session cookie in ${cookie}`);
  return decodeURIComponent(token);
}

export async function readyz(url: string): Promise<{ status: number; body: { ok: boolean; failing: string[]; components: { name: string; ok: boolean; state: string }[] } }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as never };
}

export interface FeedFrame {
  method: string;
  params: { project_id: string; seq: number; type?: string; task?: { id: string; title: string } };
}

/** A WebSocket client of one gateway's feed: subscribes to a project and records every notification. */
export class FeedClient {
  readonly frames: FeedFrame[] = [];
  private nextId = 1;
  private readonly answers = new Map<number, (answer: RpcAnswer) => void>();
  private waiters: (() => void)[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as { id?: number; method?: string; params?: FeedFrame['params'] } & RpcAnswer;
      if (typeof msg.id === 'number') {
        this.answers.get(msg.id)?.(msg);
        this.answers.delete(msg.id);
      } else if (msg.method && msg.params) {
        this.frames.push({ method: msg.method, params: msg.params });
        for (const w of this.waiters.splice(0)) w();
      }
    });
  }

  static async connect(url: string, token: string): Promise<FeedClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
    const client = new FeedClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  call(method: string, params: Record<string, unknown>): Promise<RpcAnswer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.answers.set(id, resolve);
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  async subscribe(projectId: string, sinceSeq?: number): Promise<{ since_seq: number; last_seq: number }> {
    const answer = await this.call('mission.subscribe', { project_id: projectId, ...(sinceSeq !== undefined ? { since_seq: sinceSeq } : {}) });
    if (answer.error) throw new Error(`subscribe failed: ${JSON.stringify(answer.error)}`);
    return answer.result as { since_seq: number; last_seq: number };
  }

  seqs(projectId: string): number[] {
    return this.frames.filter((f) => f.params.project_id === projectId).map((f) => f.params.seq);
  }

  /** Waits until a notification with `seq` (or a later one) arrived for the project. */
  async waitForSeq(projectId: string, seq: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.seqs(projectId).some((s) => s >= seq)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`seq ${seq} of ${projectId} did not arrive within ${timeoutMs} ms; last: ${this.seqs(projectId).slice(-3).join(',')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}
