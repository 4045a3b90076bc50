/**
 * A real `mission-control serve` process (the CLI entry run through tsx, so it is always the
 * current source), on 127.0.0.1 port 0, for fault tests and the soak. Stopped by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { V8_HEAP_FLAGS } from '../../src/app/heap-tuning.js';
import { MALLOC_TUNING } from '../../src/app/malloc-tuning.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI_ENTRY = resolve(REPO_ROOT, 'src', 'cli', 'main.ts');

export interface ServerProcessOptions {
  dataDir: string;
  role?: 'all' | 'runtime' | 'gateway';
  natsUrl?: string;
  /** Extra `MC_*` settings (limits, admin, …). */
  env?: Record<string, string>;
  /** A TypeScript entry other than the CLI (e.g. the soak's instrumented server) and its args. */
  entry?: string;
  args?: string[];
  startTimeoutMs?: number;
  /** Extra Node flags (e.g. --expose-gc for MC_STATS_GC). */
  nodeArgs?: string[];
}

/** What the instrumented server reports about itself every `MC_STATS_MS`. */
export interface ServerStats {
  t: number;
  /** Whether this sample followed a forced full GC (`MC_STATS_GC`), and how long that GC took. */
  gc?: boolean;
  gc_ms?: number;
  rss: number;
  heap_used: number;
  /** V8 heap committed (what the heap holds of the RSS, live or not). */
  heap_total?: number;
  external: number;
  array_buffers: number;
  /** Parts of the RSS from /proc/self/status (Linux only). */
  rss_anon?: number;
  rss_file?: number;
  rss_shmem?: number;
  /** Database and WAL file sizes. */
  db_bytes?: number;
  wal_bytes?: number;
  /** `process.getActiveResourcesInfo()` grouped by type. */
  resources: Record<string, number>;
  resources_total: number;
  /** Event-loop delay p99 over the interval, ms. */
  loop_delay_p99_ms: number;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  readonly pid: number;
  /** The environment the process was started with. */
  readonly env: Readonly<NodeJS.ProcessEnv>;
  /** Everything the process printed so far (pino JSON lines). */
  output(): string;
  /** The `stats` lines of an instrumented server (bench/lib/instrumented-server.ts), oldest first. */
  stats(): ServerStats[];
  /** Parsed log lines whose `msg` matches. */
  logLines(re: RegExp): Record<string, unknown>[];
  /** SIGTERM (graceful shutdown), SIGKILL after `graceMs`; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string>;
  kill(): Promise<void>;
}

/** The settings every fault/soak server shares: quiet scheduled backups, no rate limit in the way. */
export const BASE_ENV: Record<string, string> = {
  MC_LOG_LEVEL: 'info',
  MC_BACKUPS_ENABLED: 'false',
  MC_LIMITS_RATE_LIMIT_PER_MINUTE: '100000000',
  MC_LIMITS_MAX_WS_CLIENTS: '5000',
};

export const ADMIN = { username: 'root', password: 'root-password-1' };

export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const args = opts.entry
    ? [resolve(REPO_ROOT, opts.entry), ...(opts.args ?? [])]
    : [CLI_ENTRY, 'serve', '--port', '0', '--data-dir', opts.dataDir, '--role', opts.role ?? 'all', ...(opts.natsUrl ? ['--nats-url', opts.natsUrl] : [])];
  const env: NodeJS.ProcessEnv = {
    // Launched as production launches it (src/app/malloc-tuning.ts); the caller's env may override.
    ...MALLOC_TUNING,
    ...process.env,
    ...BASE_ENV,
    MC_ADMIN: `${ADMIN.username}:${ADMIN.password}`,
    MC_DATA_DIR: opts.dataDir,
    MC_PORT: '0',
    ...(opts.natsUrl ? { MC_NATS_URL: opts.natsUrl, MC_NATS_RECONNECT_TIME_WAIT_MS: '250' } : {}),
    ...opts.env,
  };
  // The server's V8 flags (src/app/heap-tuning.ts) come first: a caller's own may add to them.
  const child = spawn(process.execPath, [...V8_HEAP_FLAGS, ...(opts.nodeArgs ?? []), '--import', 'tsx', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('utf8');
    // Keep the head (start-up) and a long tail; a soak prints for half an hour.
    if (text.length > 4_000_000) text = text.slice(0, 100_000) + text.slice(-2_000_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  let url: string | null = null;
  while (url === null) {
    const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(text);
    if (m) url = m[1]!;
    else if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited during start (${child.exitCode ?? child.signalCode}):\n${text}`);
    else if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not listen within the start timeout:\n${text}`);
    } else await new Promise((r) => setTimeout(r, 50));
  }

  const result = async (): Promise<number | string> => {
    if (child.exitCode !== null) return child.exitCode;
    if (child.signalCode !== null) return child.signalCode;
    const [code, signal] = await exited;
    return code ?? signal ?? -1;
  };
  return {
    url,
    child,
    env,
    get pid() {
      return child.pid ?? -1;
    },
    output: () => text,
    stats: () => parseLogLines(text, /^stats$/).map((l) => l.stats as ServerStats),
    logLines: (re) => parseLogLines(text, re),
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
        }, graceMs);
        const r = await result();
        clearTimeout(timer);
        return r;
      }
      return result();
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
      await result();
    },
  };
}

/** The pino JSON lines of `text` whose `msg` matches `re`. */
function parseLogLines(text: string, re: RegExp): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (typeof parsed.msg === 'string' && re.test(parsed.msg)) out.push(parsed);
    } catch {
      // a partial line at the end of the buffer
    }
  }
  return out;
}
