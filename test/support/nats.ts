import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real nats-server for integration tests, on a free loopback port, stopped by pid.
 * `restart()` brings it back on the same port (and JetStream store), so clients can reconnect.
 */
// Debian's package installs /usr/sbin/nats-server; MC_NATS_SERVER overrides the search.
const CANDIDATES = [process.env.MC_NATS_SERVER, '/usr/bin/nats-server', '/usr/sbin/nats-server'];

/** The nats-server binary, or an error that says how to install it. */
export function natsServerBinary(): string {
  const found = CANDIDATES.find((p): p is string => typeof p === 'string' && p.length > 0 && existsSync(p));
  if (!found) {
    throw new Error(`nats-server not found (looked at ${CANDIDATES.filter(Boolean).join(', ')}); install it with: apt-get install -y nats-server`);
  }
  return found;
}

export interface NatsServerOptions {
  jetstream?: boolean;
  /** nats-server configuration text (e.g. an `authorization` block), written to a temp file. */
  config?: string;
  /** A fixed port (e.g. one a client already tries); by default a free one is picked. */
  port?: number;
  /** How long to wait for the server to accept connections. */
  startTimeoutMs?: number;
}

export interface NatsServerHandle {
  url: string;
  port: number;
  /** The current process id (changes on restart). */
  readonly pid: number;
  /** Stops the process by pid and waits for it to exit; SIGKILL simulates a crash. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts the server again on the same port. */
  restart(): Promise<void>;
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const bin = natsServerBinary();
  const storeDir = opts.jetstream ? mkdtempSync(join(tmpdir(), 'mc-nats-js-')) : null;
  const configArgs: string[] = [];
  const confDir = opts.config !== undefined ? mkdtempSync(join(tmpdir(), 'mc-nats-conf-')) : null;
  if (confDir && opts.config !== undefined) {
    const file = join(confDir, 'nats.conf');
    writeFileSync(file, opts.config);
    configArgs.push('-c', file);
  }
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  let lastError: unknown;
  // Another process may take the free port between probing and spawning: try a few ports.
  for (let attempt = 0; attempt < (opts.port ? 1 : 3); attempt++) {
    const port = opts.port ?? (await freePort());
    const args = [...configArgs, '-a', '127.0.0.1', '-p', String(port), ...(storeDir ? ['-js', '-sd', storeDir] : [])];
    try {
      let child = await spawnReady(bin, args, port, timeoutMs);
      const handle: NatsServerHandle = {
        url: `nats://127.0.0.1:${port}`,
        port,
        get pid() {
          return child.pid ?? -1;
        },
        async stop(signal = 'SIGTERM') {
          await stopProcess(child, signal);
          // A SIGKILL usually precedes restart(): keep the store and config for it.
          if (signal === 'SIGTERM') {
            for (const dir of [storeDir, confDir]) if (dir) rmSync(dir, { recursive: true, force: true });
          }
        },
        async restart() {
          await stopProcess(child, 'SIGTERM');
          child = await spawnReady(bin, args, port, timeoutMs);
        },
      };
      return handle;
    } catch (err) {
      lastError = err;
    }
  }
  for (const dir of [storeDir, confDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  throw new Error(`nats-server did not start: ${String(lastError)}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function spawnReady(bin: string, args: string[], port: number, timeoutMs: number): Promise<ChildProcess> {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`nats-server exited (${code ?? signal}) during start: ${stderr.trim()}`)));
    child.once('error', reject);
  });
  exited.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await acceptsClients(port)) return child;
    if (child.exitCode !== null || child.signalCode !== null) await exited;
    if (Date.now() > deadline) {
      await stopProcess(child, 'SIGKILL');
      throw new Error(`nats-server did not accept connections on ${port} within ${timeoutMs} ms: ${stderr.trim()}`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
  }
}

/** True when the port answers with the NATS INFO greeting (not just an open socket). */
function acceptsClients(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('data', (chunk: Buffer) => done(chunk.toString().startsWith('INFO ')));
    socket.once('error', () => done(false));
  });
}

async function stopProcess(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, signal);
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
