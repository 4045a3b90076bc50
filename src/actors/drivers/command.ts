import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { MissionError, processIdentity } from '../../core/index.js';
import type { AgentDriver, DriverHealth, InstanceRef, PulseOutcome, PulseRequest, SpawnInfo } from './types.js';

/**
 * The command driver (SPEC §12): runs a configured program once per pulse, prompt on stdin,
 * `MC_URL` / `MC_TOKEN` / `MC_INSTANCE` / `MC_PULSE_ID` in its environment. The program leads
 * its own process group (`detached`), so timeout, abort (deadman) and destroy kill the whole
 * group — the agent's children included — with SIGTERM, then SIGKILL after a grace period.
 * A pulse leaves nothing running: when the leader exits, stragglers in its group are killed too.
 */
export const commandDriverConfig = z
  .object({
    /** Executable (absolute path or on PATH); no shell is involved. */
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Working directory; `{project}` and `{soul}` are replaced per instance. */
    cwd: z.string().min(1).optional(),
    /** Extra environment for the program; the server's own environment is not passed on. */
    env: z.record(z.string(), z.string()).default({}),
    /** Variables copied from the server's environment when set (never secrets by default). */
    inheritEnv: z.array(z.string()).default(['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR']),
    killGraceMs: z.number().int().min(0).max(60_000).default(5_000),
    /** Bytes of stdout + stderr kept for the daily log (the last ones); earlier output is counted and dropped. */
    maxOutputBytes: z.number().int().min(256).max(16 * 1024 * 1024).default(64 * 1024),
  })
  .strict();
export type CommandDriverConfig = z.input<typeof commandDriverConfig>;

export interface CommandDriverHooks {
  /** Default `MC_URL` when the pulse carries no credentials URL. */
  missionUrl?: string;
  onSpawn?: (info: SpawnInfo) => void;
  onExit?: (info: SpawnInfo & { code: number | null; signal: string | null }) => void;
}

interface Run {
  instance: InstanceRef;
  info: SpawnInfo | null;
  child: ChildProcess;
  outcome: Promise<PulseOutcome>;
  /** Why the group is being killed, once it is: decides the outcome's status. */
  killedFor: 'timeout' | 'aborted' | null;
  killGroup(reason: 'timeout' | 'aborted'): void;
}

/** Kept outcomes of finished pulses so a retried delivery returns the result, not a second run. */
const REMEMBERED_PULSES = 512;

export class CommandDriver implements AgentDriver {
  readonly name = 'command';
  private readonly config: z.output<typeof commandDriverConfig>;
  private readonly running = new Map<string, Run>(); // by pulseId
  private readonly finished = new Map<string, PulseOutcome>(); // by pulseId, insertion-ordered
  private spawnFailure: string | null = null;

  constructor(
    config: CommandDriverConfig,
    private readonly hooks: CommandDriverHooks = {},
  ) {
    const parsed = commandDriverConfig.safeParse(config);
    if (!parsed.success) throw new MissionError('CONFIG_INVALID', `command driver: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
  }

  deliverPulse(instance: InstanceRef, prompt: string, request: PulseRequest): Promise<PulseOutcome> {
    const done = this.finished.get(request.pulseId);
    if (done) return Promise.resolve(done);
    const inFlight = this.running.get(request.pulseId);
    if (inFlight) return inFlight.outcome;
    if (request.signal.aborted) return Promise.resolve({ status: 'aborted' });
    return this.start(instance, prompt, request).outcome;
  }

  async abort(instance: InstanceRef): Promise<void> {
    await Promise.all(
      [...this.running.values()]
        .filter((run) => run.instance.id === instance.id)
        .map((run) => {
          run.killGroup('aborted');
          return run.outcome;
        }),
    );
  }

  async instanceDestroyed(instance: InstanceRef): Promise<void> {
    await this.abort(instance);
  }

  health(): DriverHealth {
    if (this.spawnFailure) return { ok: false, state: 'error', message: this.spawnFailure };
    return { ok: true, state: 'ready', message: `${this.running.size} agent process(es) running` };
  }

  /** Process groups of the pulses in flight, for operators and shutdown. */
  runningGroups(): SpawnInfo[] {
    return [...this.running.values()].flatMap((run) => (run.info ? [run.info] : []));
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.running.values()].map((run) => {
        run.killGroup('aborted');
        return run.outcome;
      }),
    );
  }

  private start(instance: InstanceRef, prompt: string, request: PulseRequest): Run {
    const cfg = this.config;
    const env: Record<string, string> = {};
    for (const key of cfg.inheritEnv) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    Object.assign(env, cfg.env, {
      MC_URL: request.credentials?.url ?? this.hooks.missionUrl ?? '',
      MC_TOKEN: request.credentials?.token ?? '',
      MC_INSTANCE: instance.id,
      MC_PULSE_ID: request.pulseId,
    });
    const cwd = cfg.cwd?.replaceAll('{project}', instance.projectId).replaceAll('{soul}', instance.soulId);

    const child = spawn(cfg.command, cfg.args, { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env, ...(cwd ? { cwd } : {}) });
    const output = new BoundedOutput(cfg.maxOutputBytes);
    child.stdout?.on('data', (chunk: Buffer) => output.push('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push('stderr', chunk));
    // A program that never reads stdin closes the pipe early: EPIPE is not a failure of the pulse.
    child.stdin?.on('error', () => {});
    child.stdin?.end(prompt);

    let graceTimer: NodeJS.Timeout | undefined;
    const run: Run = {
      instance,
      info: null,
      child,
      outcome: Promise.resolve({ status: 'aborted' }),
      killedFor: null,
      killGroup: (reason) => {
        if (run.killedFor === null) run.killedFor = reason;
        const pgid = run.info?.pgid;
        if (pgid === undefined || graceTimer) return;
        signalGroup(pgid, 'SIGTERM');
        graceTimer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), cfg.killGraceMs);
      },
    };
    if (child.pid !== undefined) {
      run.info = { instanceId: instance.id, pulseId: request.pulseId, pid: child.pid, pgid: child.pid, identity: processIdentity(child.pid) };
      this.safely(() => this.hooks.onSpawn?.(run.info!));
    }

    const timeout = setTimeout(() => run.killGroup('timeout'), request.timeoutMs);
    const onAbort = (): void => run.killGroup('aborted');
    request.signal.addEventListener('abort', onAbort, { once: true });

    run.outcome = new Promise<PulseOutcome>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        // spawn failed (ENOENT, EACCES): there is no process to wait for.
        if (run.info) return;
        this.spawnFailure = `cannot start ${cfg.command}: ${err.code ?? err.message}`;
        resolve({ status: 'failed', error: { code: 'CONFIG_INVALID', message: this.spawnFailure, transient: false } });
      });
      child.once('exit', (code, signal) => {
        this.spawnFailure = null;
        // The pulse is over when the leader exits; anything it left in its group goes too.
        if (run.info && groupAlive(run.info.pgid)) {
          const pgid = run.info.pgid;
          signalGroup(pgid, 'SIGTERM');
          graceTimer ??= setTimeout(() => signalGroup(pgid, 'SIGKILL'), cfg.killGraceMs);
        }
        if (run.info) this.safely(() => this.hooks.onExit?.({ ...run.info!, code, signal }));
        // Wait for the pipes to drain, but not for a straggler that escaped the group and keeps them open.
        waitForClose(child, 1_000).then(() => {
          const text = output.text();
          if (run.killedFor) return resolve({ status: run.killedFor, output: text });
          if (code === 0) return resolve({ status: 'ok', output: text });
          const why = code === null ? `killed by ${signal}` : `exit code ${code}`;
          resolve({ status: 'failed', error: { code: 'DRIVER_RUN_FAILED', message: `${cfg.command}: ${why}`, transient: false }, output: text });
        });
      });
    }).then((outcome) => {
      clearTimeout(timeout);
      request.signal.removeEventListener('abort', onAbort);
      this.running.delete(request.pulseId);
      this.remember(request.pulseId, outcome);
      // Keep the SIGKILL follow-up only while someone in the group may still be alive.
      if (graceTimer && !(run.info && groupAlive(run.info.pgid))) clearTimeout(graceTimer);
      return outcome;
    });
    this.running.set(request.pulseId, run);
    return run;
  }

  private remember(pulseId: string, outcome: PulseOutcome): void {
    this.finished.set(pulseId, outcome);
    if (this.finished.size > REMEMBERED_PULSES) {
      const oldest = this.finished.keys().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch {
      // The runtime's bookkeeping callback must not break the agent process handling.
    }
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Ends a process group left by an earlier server run (its pgid is stored with the instance):
 * SIGTERM, then SIGKILL after `graceMs` if anyone is still there. Resolves whether it was alive.
 */
export async function terminateGroup(pgid: number, graceMs = 5_000): Promise<boolean> {
  if (!Number.isInteger(pgid) || pgid <= 1 || !groupAlive(pgid)) return false;
  signalGroup(pgid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  return true;
}

/** Signal 0 probes for any process left in the group without touching it. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Signal 0 also reaches zombies (exited, not yet reaped by a parent); on Linux look closer.
  return process.platform !== 'linux' || liveMembers(pgid) > 0;
}

/** Members of the group that are not zombies, from /proc/<pid>/stat (state and pgrp fields). */
function liveMembers(pgid: number): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 1; // no /proc: trust signal 0
  }
  let alive = 0;
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') alive++;
    } catch {
      // the process went away while we looked
    }
  }
  return alive;
}

function waitForClose(child: ChildProcess, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    const streams = [child.stdout, child.stderr].filter((s) => s !== null && !s.readableEnded && !s.destroyed);
    if (streams.length === 0) return resolve();
    const timer = setTimeout(() => {
      for (const s of streams) s?.destroy();
      resolve();
    }, maxMs);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Keeps the last `max` bytes of stdout and stderr in arrival order (the end of a run says how it
 * went) and counts what was dropped from the front.
 */
class BoundedOutput {
  private readonly parts: { stream: 'stdout' | 'stderr'; chunk: Buffer }[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly max: number) {}

  push(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.parts.push({ stream, chunk });
    this.kept += chunk.length;
    while (this.kept > this.max) {
      const first = this.parts[0]!;
      const excess = this.kept - this.max;
      if (first.chunk.length <= excess) {
        this.parts.shift();
        this.kept -= first.chunk.length;
        this.dropped += first.chunk.length;
      } else {
        first.chunk = first.chunk.subarray(excess);
        this.kept -= excess;
        this.dropped += excess;
      }
    }
  }

  text(): string {
    const out = Buffer.concat(this.parts.filter((p) => p.stream === 'stdout').map((p) => p.chunk)).toString('utf8');
    const err = Buffer.concat(this.parts.filter((p) => p.stream === 'stderr').map((p) => p.chunk)).toString('utf8');
    let text = this.dropped > 0 ? `[output truncated: ${this.dropped} earlier bytes]\n${out}` : out;
    if (err.length > 0) text += `${text.length > 0 && !text.endsWith('\n') ? '\n' : ''}[stderr]\n${err}`;
    return text;
  }
}
