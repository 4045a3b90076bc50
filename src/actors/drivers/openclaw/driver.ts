import { z } from 'zod';
import { isMissionError, MissionError } from '../../../core/index.js';
import type { AgentDriver, DriverHealth, InstanceDestroyFacts, InstanceRef, PulseOutcome, PulseRequest } from '../types.js';
import { failedOutcome } from '../resilient.js';
import { GatewayConnection } from './connection.js';
import { sessionKeyFor, type EventFrame } from './frames.js';

/**
 * The OpenClaw driver (DESIGN "Agent drivers"): a pulse is one agent turn in the instance's
 * session `agent:<soul>:mc-<project>`, started with `agent` (or `chat.send` where `agent` is
 * missing) keyed by the pulseId — the gateway dedups by `idempotencyKey`, so a retried delivery
 * joins the first run instead of starting a second — and awaited with `agent.wait`. Timeout and
 * abort cancel the run with `sessions.abort {key}`. Each soul is one OpenClaw agent (its id is
 * the soul id), created with its SOUL.md when an instance is created and deleted with the soul's
 * last live instance on this driver — a fact the runtime reads from the store and passes to
 * `instanceDestroyed`, so it holds after a restart, when this driver has seen no instance yet.
 *
 * Param names come from the recordings where they show them (`agent`, `agent.wait`, `chat.send`,
 * `sessions.abort {key}`, `chat.abort`). `agents.create {name, workspace}`, `agents.files.set
 * {agentId, name, content}`, `agents.delete {agentId, deleteFiles}`, `agents.list` and
 * `sessions.reset {key, reason}` are not in the recordings: they follow the gateway's published
 * TypeBox schemas and were checked by hand against a real 2026.9.6 gateway
 * (integrations/openclaw/verify/real-gateway.mts), which also showed that a created agent exists
 * only after the gateway's config hot reload (~1-2 s). `sessions.delete {key}` is unverified.
 */
export const openClawDriverConfig = z
  .object({
    url: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL').default('ws://127.0.0.1:18789'),
    token: z.string().min(1),
    /** Where OpenClaw keeps a created agent's workspace; `{soul}` is replaced. */
    workspace: z.string().min(1).default('~/.openclaw/workspace-mc-{soul}'),
    /** Also remove the agent's workspace files when its last instance is destroyed. */
    deleteFiles: z.boolean().default(false),
    /** Per request; agents.delete took 9-14 s on a loaded 2-core host. */
    requestTimeoutMs: z.number().int().min(100).max(300_000).default(30_000),
    connectTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    reconnect: z
      .object({ baseDelayMs: z.number().int().min(1).default(250), maxDelayMs: z.number().int().min(1).default(10_000) })
      .default({ baseDelayMs: 250, maxDelayMs: 10_000 }),
    /** Ping period for detecting a dead connection; default: the gateway's tickIntervalMs (30 s). */
    heartbeatMs: z.number().int().min(50).max(600_000).optional(),
    /** How long a created agent may take to appear (the gateway applies agents by config hot reload). */
    agentReadyTimeoutMs: z.number().int().min(0).max(300_000).default(30_000),
    /** Longest single `agent.wait`; longer pulses wait in several calls. */
    waitChunkMs: z.number().int().min(100).default(30_000),
    clientVersion: z.string().min(1).default('mission-control/0.1.0'),
  })
  .strict();
export type OpenClawDriverConfig = z.input<typeof openClawDriverConfig>;

/** What each feature needs from `features.methods`, and what is lost without it. */
const LIFECYCLE_METHODS = ['agents.list', 'agents.create', 'agents.files.set', 'agents.delete', 'sessions.reset'] as const;

const startAnswer = z.object({ runId: z.string(), status: z.string().optional() }).passthrough();
const waitAnswer = z
  .object({
    runId: z.string().optional(),
    status: z.string(),
    stopReason: z.string().optional(),
    error: z.unknown().optional(),
    terminalReply: z.object({ text: z.string().optional() }).passthrough().optional(),
    terminalReceipt: z.object({ successfulToolNames: z.array(z.string()).optional() }).passthrough().optional(),
  })
  .passthrough();
type WaitAnswer = z.infer<typeof waitAnswer>;
const agentsList = z.object({ agents: z.array(z.object({ id: z.string() }).passthrough()) }).passthrough();
const agentsCreated = z.object({ agentId: z.string() }).passthrough();

interface ActiveRun {
  pulseId: string;
  sessionKey: string;
  cancel: AbortController;
}

export class OpenClawDriver implements AgentDriver {
  readonly name = 'openclaw';
  private readonly config: z.output<typeof openClawDriverConfig>;
  readonly connection: GatewayConnection;
  private readonly active = new Map<string, ActiveRun>(); // by instance id

  constructor(config: OpenClawDriverConfig) {
    const parsed = openClawDriverConfig.safeParse(config);
    if (!parsed.success) throw new MissionError('CONFIG_INVALID', `openclaw driver: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
    this.connection = new GatewayConnection({
      url: this.config.url,
      token: this.config.token,
      clientVersion: this.config.clientVersion,
      connectTimeoutMs: this.config.connectTimeoutMs,
      reconnect: this.config.reconnect,
      ...(this.config.heartbeatMs === undefined ? {} : { heartbeatMs: this.config.heartbeatMs }),
    });
    this.connection.start();
  }

  async deliverPulse(instance: InstanceRef, prompt: string, request: PulseRequest): Promise<PulseOutcome> {
    if (request.signal.aborted) return { status: 'aborted' };
    const deadline = Date.now() + request.timeoutMs;
    const sessionKey = sessionKeyFor(instance.soulId, instance.projectId);
    const cancel = new AbortController();
    const onAbort = (): void => cancel.abort();
    request.signal.addEventListener('abort', onAbort, { once: true });
    const run: ActiveRun = { pulseId: request.pulseId, sessionKey, cancel };
    this.active.set(instance.id, run);
    try {
      await this.connection.ready(Math.min(this.config.connectTimeoutMs, request.timeoutMs));
      const method = this.connection.hasMethod('agent') ? 'agent' : this.connection.hasMethod('chat.send') ? 'chat.send' : null;
      if (method === null) {
        return { status: 'failed', error: { code: 'DRIVER_DEGRADED', message: "OpenClaw gateway offers neither 'agent' nor 'chat.send': pulses cannot be delivered", transient: false } };
      }
      const params =
        method === 'agent'
          ? { message: prompt, agentId: instance.soulId, sessionKey, idempotencyKey: request.pulseId }
          : { sessionKey, message: prompt, idempotencyKey: request.pulseId };
      const started = startAnswer.parse(await this.connection.request(method, params, Math.min(this.config.requestTimeoutMs, remaining(deadline))));
      // A replayed key answers with the first run's id (running or finished): waiting on it joins that run.
      const answer = await this.waitForRun(started.runId, deadline, cancel.signal);
      if (answer === 'cancelled' || answer === 'deadline') {
        await this.cancelRun(sessionKey);
        return { status: answer === 'cancelled' ? 'aborted' : 'timeout' };
      }
      return this.toOutcome(answer);
    } catch (err) {
      if (cancel.signal.aborted) {
        await this.cancelRun(sessionKey);
        return { status: 'aborted' };
      }
      if (isMissionError(err) && err.code === 'TIMEOUT' && Date.now() >= deadline) {
        await this.cancelRun(sessionKey);
        return { status: 'timeout' };
      }
      return failedOutcome(err);
    } finally {
      request.signal.removeEventListener('abort', onAbort);
      if (this.active.get(instance.id) === run) this.active.delete(instance.id);
    }
  }

  async abort(instance: InstanceRef): Promise<void> {
    const run = this.active.get(instance.id);
    if (run) run.cancel.abort();
    else await this.cancelRun(sessionKeyFor(instance.soulId, instance.projectId));
  }

  async instanceCreated(instance: InstanceRef, soulMd: string): Promise<void> {
    await this.connection.ready(this.config.connectTimeoutMs);
    this.require(['agents.list', 'agents.create', 'agents.files.set'], 'install the SOUL.md');
    const list = agentsList.parse(await this.call('agents.list', {}));
    if (!list.agents.some((a) => a.id === instance.soulId)) {
      const workspace = this.config.workspace.replaceAll('{soul}', instance.soulId);
      const created = agentsCreated.parse(await this.call('agents.create', { name: instance.soulId, workspace }));
      if (created.agentId !== instance.soulId) {
        // OpenClaw derives the id from the name; a soul id it normalises differently (or 'main') cannot be served.
        throw new MissionError('CONFIG_INVALID', `OpenClaw created agent '${created.agentId}' for soul '${instance.soulId}'`);
      }
      // agents.create writes the gateway's config; the agent exists once the hot reload applied it.
      await this.waitForAgent(instance.soulId);
    }
    await this.call('agents.files.set', { agentId: instance.soulId, name: 'SOUL.md', content: soulMd });
  }

  async instanceUpgraded(instance: InstanceRef, soulMd: string): Promise<void> {
    await this.connection.ready(this.config.connectTimeoutMs);
    this.require(['agents.files.set', 'sessions.reset'], 'apply the new SOUL.md');
    await this.call('agents.files.set', { agentId: instance.soulId, name: 'SOUL.md', content: soulMd });
    await this.call('sessions.reset', { key: sessionKeyFor(instance.soulId, instance.projectId), reason: 'reset' });
  }

  async instanceDestroyed(instance: InstanceRef, facts: InstanceDestroyFacts): Promise<void> {
    await this.abort(instance);
    await this.connection.ready(this.config.connectTimeoutMs);
    if (facts.otherInstancesOfSoul > 0) {
      // Other projects still use this soul's agent: drop only this instance's session.
      if (this.connection.hasMethod('sessions.delete')) await this.call('sessions.delete', { key: sessionKeyFor(instance.soulId, instance.projectId) });
      return;
    }
    this.require(['agents.delete'], 'delete the agent');
    try {
      await this.call('agents.delete', { agentId: instance.soulId, deleteFiles: this.config.deleteFiles });
    } catch (err) {
      // Destroy is idempotent: an agent already gone is what we wanted.
      if (!isAgentNotFound(err)) throw err;
    }
  }

  health(): DriverHealth {
    const state = this.connection.state();
    if (state === 'failed') return { ok: false, state: 'failed', message: this.connection.problem() ?? 'refused' };
    if (state !== 'ready') return { ok: false, state, message: this.connection.problem() ?? `connecting to ${this.config.url}` };
    const missing: string[] = [];
    const hasAgent = this.connection.hasMethod('agent');
    if (!hasAgent && !this.connection.hasMethod('chat.send')) {
      return { ok: false, state: 'degraded', message: "OpenClaw gateway lacks 'agent' and 'chat.send': pulses cannot be delivered" };
    }
    if (!hasAgent) missing.push("'agent' (pulses use chat.send)");
    if (!this.connection.hasMethod('agent.wait')) missing.push("'agent.wait' (completion read from chat events)");
    if (!this.connection.hasMethod('sessions.abort') && !this.connection.hasMethod('chat.abort')) missing.push("'sessions.abort' and 'chat.abort' (runs cannot be cancelled)");
    for (const m of LIFECYCLE_METHODS) if (!this.connection.hasMethod(m)) missing.push(`'${m}' (instance lifecycle)`);
    const scopes = this.connection.hello()?.auth?.scopes;
    if (scopes && !scopes.includes('operator.write')) missing.push("scope 'operator.write' (granted: " + (scopes.join(', ') || 'none') + ')');
    const version = this.connection.hello()?.server?.version ?? 'unknown version';
    if (missing.length > 0) return { ok: true, state: 'degraded', message: `OpenClaw ${version} is missing ${missing.join('; ')}` };
    return { ok: true, state: 'connected', message: `OpenClaw ${version}, protocol 4` };
  }

  async close(): Promise<void> {
    for (const run of this.active.values()) run.cancel.abort();
    this.connection.close();
  }

  private require(methods: string[], purpose: string): void {
    const missing = methods.filter((m) => !this.connection.hasMethod(m));
    if (missing.length > 0) throw new MissionError('DRIVER_DEGRADED', `OpenClaw gateway lacks ${missing.join(', ')}: cannot ${purpose}`, { missing });
  }

  private async waitForAgent(agentId: string): Promise<void> {
    const until = Date.now() + this.config.agentReadyTimeoutMs;
    for (;;) {
      try {
        const list = agentsList.parse(await this.call('agents.list', {}));
        if (list.agents.some((a) => a.id === agentId)) return;
      } catch (err) {
        // While reloading, the gateway may answer UNAVAILABLE (e.g. "Plugin openai was reloaded").
        if (!isMissionError(err) || err.severity !== 'transient') throw err;
      }
      if (Date.now() >= until) {
        throw new MissionError('DRIVER_UNAVAILABLE', `OpenClaw did not load agent '${agentId}' within ${this.config.agentReadyTimeoutMs} ms of agents.create`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private call(method: string, params: unknown): Promise<unknown> {
    return this.connection.request(method, params, this.config.requestTimeoutMs);
  }

  /** `agent.wait` in chunks until the run ends, the deadline passes or the pulse is cancelled. */
  private async waitForRun(runId: string, deadline: number, cancelled: AbortSignal): Promise<WaitAnswer | 'cancelled' | 'deadline'> {
    if (!this.connection.hasMethod('agent.wait')) return this.waitForRunEvents(runId, deadline, cancelled);
    for (;;) {
      const left = remaining(deadline);
      if (cancelled.aborted) return 'cancelled';
      if (left <= 0) return 'deadline';
      const chunk = Math.min(left, this.config.waitChunkMs);
      const answer = await raceAbort(
        this.connection.request('agent.wait', { runId, timeoutMs: chunk }, chunk + this.config.requestTimeoutMs),
        cancelled,
      );
      if (answer === 'cancelled') return 'cancelled';
      const parsed = waitAnswer.parse(answer);
      if (parsed.status !== 'timeout') return parsed;
    }
  }

  /** Without `agent.wait`: the run's end shows as a `chat` final/error/aborted event. */
  private waitForRunEvents(runId: string, deadline: number, cancelled: AbortSignal): Promise<WaitAnswer | 'cancelled' | 'deadline'> {
    return new Promise((resolve) => {
      let text = '';
      const finish = (value: WaitAnswer | 'cancelled' | 'deadline'): void => {
        off();
        clearTimeout(timer);
        cancelled.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const off = this.connection.onEvent((event: EventFrame) => {
        if (event.event !== 'chat') return;
        const p = event.payload as { runId?: string; state?: string; message?: { content?: { text?: string }[] }; stopReason?: string; errorMessage?: string };
        if (p.runId !== runId) return;
        const latest = p.message?.content?.map((c) => c.text ?? '').join('');
        if (latest) text = latest;
        if (p.state === 'final') finish({ status: 'ok', terminalReply: { text } });
        else if (p.state === 'aborted') finish({ status: 'error', stopReason: p.stopReason ?? 'aborted' });
        else if (p.state === 'error') finish({ status: 'error', error: p.errorMessage ?? 'run failed' });
      });
      const onAbort = (): void => finish('cancelled');
      cancelled.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => finish('deadline'), remaining(deadline));
    });
  }

  private toOutcome(answer: WaitAnswer): PulseOutcome {
    const tools = answer.terminalReceipt?.successfulToolNames ?? [];
    const text = answer.terminalReply?.text;
    const output = [text, tools.length > 0 ? `[tools: ${tools.join(', ')}]` : undefined].filter((s) => s !== undefined && s !== '').join('\n');
    const withOutput = <T extends PulseOutcome>(o: T): T => (output ? { ...o, output } : o);
    if (answer.status === 'ok') return withOutput({ status: 'ok' });
    // stopReason 'rpc': someone cancelled the run through the gateway (an operator, or us).
    if (answer.stopReason === 'rpc') return withOutput({ status: 'aborted' });
    const why = typeof answer.error === 'string' ? answer.error : answer.stopReason ?? answer.status;
    return withOutput({ status: 'failed', error: { code: 'DRIVER_RUN_FAILED', message: `OpenClaw run ended ${answer.status}: ${why}`, transient: false } });
  }

  /** Best effort: the run may already be over, or the gateway gone (it then has no run to stop). */
  private async cancelRun(sessionKey: string): Promise<void> {
    try {
      if (this.connection.state() !== 'ready') return;
      if (this.connection.hasMethod('sessions.abort')) await this.call('sessions.abort', { key: sessionKey });
      else if (this.connection.hasMethod('chat.abort')) await this.call('chat.abort', { sessionKey });
    } catch {
      // Nothing more to do: health shows a lost connection; a finished run needs no cancelling.
    }
  }
}

/** The gateway's answer for an unknown agent: `agent "<id>" not found` (INVALID_REQUEST). */
function isAgentNotFound(err: unknown): boolean {
  return isMissionError(err) && err.data.gatewayCode === 'INVALID_REQUEST' && /agent "[^"]*" not found/.test(err.message);
}

function remaining(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | 'cancelled'> {
  if (signal.aborted) return Promise.resolve('cancelled');
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve('cancelled');
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
