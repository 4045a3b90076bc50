import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A local OpenClaw gateway double speaking protocol 4 on a real WebSocket (127.0.0.1:0).
 *
 * Reproduced from the recordings of a real 2026.9.6 gateway in /work/shared/openclaw (hello-ok
 * copied to ./fixtures):
 * - the challenge on upgrade, the hello-ok payload, `health`, `agents.list` (client-mock.out);
 * - `connect` refusals — wrong token, no auth, protocol mismatch, unknown client id, unknown
 *   param — and the empty scopes (then FORBIDDEN) of an untrusted client or mode (negtest.out);
 *   retryable UNAVAILABLE while starting (early.out);
 * - `agent` answered `accepted`, then a second `res` with the same id and the final result;
 *   `agent.wait` ending `ok` with `terminalReply`; `chat.send` answered `started` (client-mock.out);
 * - `sessions.abort {key}` and `chat.abort` answers, the `chat` aborted and lifecycle cancelled
 *   events, `agent.wait` ending `error` with stopReason `rpc` (abort-test.out, client-mock.out);
 * - param refusals (an unexpected property, a missing `idempotencyKey`, an unknown method) and
 *   `agent.wait` on an unknown runId answering `timeout` (misc-test.out).
 *
 * Not recorded — misc-test.out is cut off before its idempotency-replay frames — so these follow
 * DESIGN.md "Agent drivers" ("the gateway dedups by it (a reused key replays the old result)"),
 * in shapes of our choosing:
 * - a reused `idempotencyKey` starts no second run: it answers `accepted` while the first run
 *   goes on, the first run's final result once it is over;
 * - the final `res` of an aborted `agent` run; `agent.wait` timing out on a known running run.
 * Also ours: the reply text (`Pulse received (N chars).`), run durations, events reduced to the
 * fields the driver reads (seq 0). Methods the recordings do not show (agents.*,
 * sessions.reset/delete) follow the gateway's published schemas and what a real 2026.9.6 gateway
 * answered by hand (integrations/openclaw/README.md "Verify against a real gateway"):
 * `agent "<id>" not found`, and agents created or deleted only after a config reload.
 */
const HELLO_OK = JSON.parse(readFileSync(new URL('./fixtures/openclaw-hello-ok.json', import.meta.url), 'utf8')) as Record<string, unknown> & {
  features: { methods: string[]; events: string[] };
};
export const RECORDED_METHODS: readonly string[] = HELLO_OK.features.methods;

export interface FakeOpenClawOptions {
  token: string;
  /** `features.methods` announced in hello-ok (default: the 466 recorded ones). */
  methods?: readonly string[];
  /** The first K `connect` attempts are answered with retryable UNAVAILABLE. */
  unavailableConnects?: number;
  /** The retryAfterMs of those answers (recorded: 500). */
  retryAfterMs?: number;
  /** How long a run takes; Infinity: runs only end when aborted. */
  runDurationMs?: number;
  /** Agents that exist from the start besides `main`. */
  agents?: readonly string[];
  /**
   * Delay before a created or deleted agent takes effect: the real gateway writes its config
   * and applies it by hot reload about 1-2 s later (verified against 2026.9.6).
   */
  reloadDelayMs?: number;
}

export interface RecordedRequest {
  connId: string;
  method: string;
  params: Record<string, unknown>;
}

interface Run {
  runId: string;
  sessionKey: string;
  agentId: string;
  message: string;
  status: 'running' | 'ok' | 'aborted';
  startedAt: number;
  endedAt?: number;
  text: string;
  waiters: Set<() => void>;
  timer?: NodeJS.Timeout;
  /** Where the final `res` of an `agent` request goes. */
  origin?: { ws: WebSocket; reqId: string };
}

type Params = Record<string, unknown>;
class GatewayRefusal extends Error {
  constructor(readonly error: Record<string, unknown>) {
    super(String(error.message));
  }
}

const CLIENT_IDS = new Set(['gateway-client', 'cli', 'test', 'openclaw-control-ui', 'webchat']);
const CONNECT_KEYS = new Set(['minProtocol', 'maxProtocol', 'client', 'role', 'scopes', 'caps', 'auth', 'device', 'locale', 'userAgent', 'commands', 'permissions', 'pathEnv']);
/** Allowed and required params per method; unknown ones are refused as the gateway does. */
const PARAMS: Record<string, { allowed: string[]; required: string[]; scope: string }> = {
  health: { allowed: [], required: [], scope: 'operator.read' },
  'agents.list': { allowed: [], required: [], scope: 'operator.read' },
  'agents.create': { allowed: ['name', 'workspace', 'model', 'emoji', 'avatar'], required: ['name', 'workspace'], scope: 'operator.admin' },
  'agents.delete': { allowed: ['agentId', 'deleteFiles'], required: ['agentId'], scope: 'operator.admin' },
  'agents.files.set': { allowed: ['agentId', 'name', 'content'], required: ['agentId', 'name', 'content'], scope: 'operator.admin' },
  agent: { allowed: ['message', 'agentId', 'sessionKey', 'idempotencyKey', 'thinking', 'deliver', 'timeout', 'label', 'extraSystemPrompt'], required: ['message', 'idempotencyKey'], scope: 'operator.write' },
  'agent.wait': { allowed: ['runId', 'timeoutMs'], required: ['runId'], scope: 'operator.write' },
  'chat.send': { allowed: ['sessionKey', 'message', 'idempotencyKey', 'thinking', 'deliver', 'attachments', 'timeoutMs'], required: ['sessionKey', 'message', 'idempotencyKey'], scope: 'operator.write' },
  'chat.abort': { allowed: ['sessionKey', 'runId'], required: ['sessionKey'], scope: 'operator.write' },
  'sessions.abort': { allowed: ['key', 'runId'], required: ['key'], scope: 'operator.write' },
  'sessions.reset': { allowed: ['key', 'agentId', 'reason'], required: ['key'], scope: 'operator.admin' },
  'sessions.delete': { allowed: ['key', 'agentId', 'deleteTranscript'], required: ['key'], scope: 'operator.admin' },
};

export class FakeOpenClaw {
  readonly requests: RecordedRequest[] = [];
  connectAttempts = 0;
  readonly agents = new Map<string, { workspace: string; files: Map<string, string> }>([['main', { workspace: '<openclaw-home>/state/workspace', files: new Map() }]]);
  readonly sessionResets: string[] = [];
  private readonly runs = new Map<string, Run>(); // by runId (= idempotencyKey)
  private readonly ready = new Set<WebSocket>();
  private readonly sockets = new Set<WebSocket>();
  private wss: WebSocketServer | null = null;
  private unavailableLeft: number;
  methods: readonly string[];
  runDurationMs: number;
  port = 0;

  private constructor(private readonly options: FakeOpenClawOptions) {
    this.methods = options.methods ?? RECORDED_METHODS;
    this.unavailableLeft = options.unavailableConnects ?? 0;
    this.runDurationMs = options.runDurationMs ?? 80;
    for (const agentId of options.agents ?? []) this.agents.set(agentId, { workspace: `<openclaw-home>/workspace-${agentId}`, files: new Map() });
  }

  /** Applies an agents config change after the reload delay, as the real gateway does. */
  private reload(apply: () => void): void {
    const delay = this.options.reloadDelayMs ?? 0;
    if (delay <= 0) apply();
    else setTimeout(apply, delay);
  }

  private agentOrRefuse(agentId: string): { workspace: string; files: Map<string, string> } {
    const agent = this.agents.get(agentId);
    // Recorded from 2026.9.6: `agent "<id>" not found` for agents.* and sessions.* calls.
    if (!agent) throw new GatewayRefusal({ code: 'INVALID_REQUEST', message: `agent "${agentId}" not found` });
    return agent;
  }

  static async start(options: FakeOpenClawOptions): Promise<FakeOpenClaw> {
    const gateway = new FakeOpenClaw(options);
    await gateway.listen(0);
    return gateway;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  requestsFor(method: string): Params[] {
    return this.requests.filter((r) => r.method === method).map((r) => r.params);
  }

  /** Runs the gateway has started (one per distinct idempotency key). */
  runCount(): number {
    return this.runs.size;
  }

  /** Simulates a gateway restart: clients are dropped, runs are lost, the same port listens again. */
  async restart(opts: { unavailableConnects?: number; downMs?: number } = {}): Promise<void> {
    await this.stop();
    for (const run of this.runs.values()) clearTimeout(run.timer);
    this.runs.clear();
    if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
    this.unavailableLeft = opts.unavailableConnects ?? 0;
    await this.listen(this.port);
  }

  /** Stops reading from every open connection (no answers, no pongs): a half-open network path. */
  freeze(): void {
    for (const ws of this.sockets) ws.pause();
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) {
      this.send(ws, { type: 'event', event: 'shutdown', payload: { reason: 'gateway stopping' } });
      ws.close(1012, 'service restart');
    }
    for (const run of this.runs.values()) clearTimeout(run.timer);
    const wss = this.wss;
    this.wss = null;
    if (!wss) return;
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.ready.clear();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({ host: '127.0.0.1', port });
      wss.once('error', reject);
      wss.once('listening', () => {
        const address = wss.address();
        if (typeof address === 'object' && address) this.port = address.port;
        this.wss = wss;
        resolve();
      });
      wss.on('connection', (ws) => this.onConnection(ws));
    });
  }

  private onConnection(ws: WebSocket): void {
    const connId = randomUUID();
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.ready.delete(ws);
    });
    // Sent at once: it can arrive in the same chunk as the upgrade response.
    this.send(ws, { type: 'event', event: 'connect.challenge', payload: { nonce: randomUUID(), ts: Date.now(), capabilities: ['model-catalog-snapshot'] } });
    let scopes: string[] | null = null;
    ws.on('message', (data) => {
      let frame: { type?: unknown; id?: unknown; method?: unknown; params?: unknown };
      try {
        frame = JSON.parse(String(data)) as typeof frame;
      } catch {
        return ws.close(1008, 'invalid frame');
      }
      if (frame.type !== 'req' || typeof frame.id !== 'string' || typeof frame.method !== 'string') return ws.close(1008, 'invalid frame');
      const params = (frame.params ?? {}) as Params;
      this.requests.push({ connId, method: frame.method, params });
      if (scopes === null) {
        if (frame.method !== 'connect') return this.refuse(ws, frame.id, { code: 'INVALID_REQUEST', message: 'first request must be connect' }, 1008);
        scopes = this.handshake(ws, frame.id, params);
        return;
      }
      void this.dispatch(ws, frame.id, frame.method, params, scopes);
    });
  }

  /** Returns the granted scopes, or null when the connect was refused. */
  private handshake(ws: WebSocket, id: string, p: Params): string[] | null {
    this.connectAttempts++;
    if (this.unavailableLeft > 0) {
      this.unavailableLeft--;
      this.send(ws, { type: 'res', id, ok: false, error: { code: 'UNAVAILABLE', message: 'gateway starting; retry shortly', retryable: true, retryAfterMs: this.options.retryAfterMs ?? 500, details: { reason: 'startup-sidecars' } } });
      return null;
    }
    const unknown = Object.keys(p).find((k) => !CONNECT_KEYS.has(k));
    if (unknown) return this.refuse(ws, id, { code: 'INVALID_REQUEST', message: `invalid connect params: at root: unexpected property '${unknown}'` }, 1008);
    const client = (p.client ?? {}) as { id?: string; mode?: string };
    if (!client.id || !CLIENT_IDS.has(client.id)) return this.refuse(ws, id, { code: 'INVALID_REQUEST', message: 'invalid connect params: at /client/id: must be equal to one of the allowed values' }, 1008);
    const min = Number(p.minProtocol);
    const max = Number(p.maxProtocol);
    if (!(min <= 4 && 4 <= max)) {
      return this.refuse(ws, id, { code: 'INVALID_REQUEST', message: 'protocol mismatch', details: { code: 'PROTOCOL_MISMATCH', clientMinProtocol: min, clientMaxProtocol: max, expectedProtocol: 4, minimumProbeProtocol: 3 } }, 1002);
    }
    const auth = p.auth as { token?: string } | undefined;
    if (!auth?.token) return this.refuse(ws, id, { code: 'NOT_PAIRED', message: 'device identity required', details: { code: 'DEVICE_IDENTITY_REQUIRED' } }, 1008);
    if (auth.token !== this.options.token) {
      return this.refuse(ws, id, {
        code: 'INVALID_REQUEST',
        message: 'unauthorized: gateway token mismatch (provide gateway auth token)',
        details: { code: 'AUTH_TOKEN_MISMATCH', authReason: 'token_mismatch', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' },
      }, 1008);
    }
    // Recorded: only the backend gateway-client (and the cli/cli pair) keep the scopes they ask for.
    const trusted = (client.id === 'gateway-client' && client.mode === 'backend') || (client.id === 'cli' && client.mode === 'cli');
    const granted = trusted && Array.isArray(p.scopes) ? (p.scopes as string[]) : [];
    const hello = {
      ...HELLO_OK,
      server: { ...(HELLO_OK.server as object), connId: randomUUID(), bootId: randomUUID() },
      features: { ...HELLO_OK.features, methods: [...this.methods] },
      auth: { method: 'token', role: 'operator', scopes: granted },
    };
    this.send(ws, { type: 'res', id, ok: true, payload: hello });
    this.ready.add(ws);
    return granted;
  }

  private refuse(ws: WebSocket, id: string, error: Record<string, unknown>, closeCode: number): null {
    this.send(ws, { type: 'res', id, ok: false, error });
    ws.close(closeCode, String(error.message).slice(0, 120));
    return null;
  }

  private async dispatch(ws: WebSocket, id: string, method: string, p: Params, scopes: string[]): Promise<void> {
    try {
      const spec = PARAMS[method];
      if (!spec || !this.methods.includes(method)) throw new GatewayRefusal({ code: 'INVALID_REQUEST', message: `unknown method: ${method}` });
      if (!scopes.includes(spec.scope)) {
        throw new GatewayRefusal({ code: 'FORBIDDEN', message: `missing scope: ${spec.scope}`, details: { code: 'MISSING_SCOPE', missingScope: spec.scope, requiredScopes: [spec.scope] } });
      }
      const extra = Object.keys(p).find((k) => !spec.allowed.includes(k));
      if (extra) throw new GatewayRefusal({ code: 'INVALID_REQUEST', message: `invalid ${method} params: at root: unexpected property '${extra}'` });
      const missing = spec.required.find((k) => p[k] === undefined || p[k] === '');
      if (missing) throw new GatewayRefusal({ code: 'INVALID_REQUEST', message: `invalid ${method} params: must have required property '${missing}'` });
      const payload = await this.handle(ws, id, method, p);
      this.send(ws, { type: 'res', id, ok: true, payload });
    } catch (err) {
      const error = err instanceof GatewayRefusal ? err.error : { code: 'UNAVAILABLE', message: String(err) };
      this.send(ws, { type: 'res', id, ok: false, error });
    }
  }

  private async handle(ws: WebSocket, id: string, method: string, p: Params): Promise<unknown> {
    switch (method) {
      case 'health':
        return { ok: true, ts: Date.now(), durationMs: 1 };
      case 'agents.list':
        return { defaultId: 'main', mainKey: 'main', scope: 'per-sender', agents: [...this.agents.entries()].map(([agentId, a]) => ({ id: agentId, workspace: a.workspace })) };
      case 'agents.create': {
        const agentId = String(p.name).trim().toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
        if (agentId === 'main' || this.agents.has(agentId)) throw new GatewayRefusal({ code: 'INVALID_REQUEST', message: `agent "${agentId}" already exists` });
        this.reload(() => this.agents.set(agentId, { workspace: String(p.workspace), files: new Map() }));
        return { ok: true, agentId, name: p.name, workspace: p.workspace };
      }
      case 'agents.delete': {
        const agentId = String(p.agentId);
        if (agentId === 'main') throw new GatewayRefusal({ code: 'INVALID_REQUEST', message: 'cannot delete the default agent' });
        this.agentOrRefuse(agentId);
        this.reload(() => this.agents.delete(agentId));
        return { ok: true, agentId, removedBindings: 0 };
      }
      case 'agents.files.set': {
        const agent = this.agentOrRefuse(String(p.agentId));
        agent.files.set(String(p.name), String(p.content));
        return { ok: true, agentId: p.agentId, workspace: agent.workspace, file: { name: p.name, path: `${agent.workspace}/${String(p.name)}`, missing: false } };
      }
      case 'sessions.reset':
      case 'sessions.delete':
        this.agentOrRefuse(String(p.key).split(':')[1] ?? '');
        this.sessionResets.push(`${method}:${String(p.key)}`);
        return { ok: true, key: p.key };
      case 'agent':
      case 'chat.send': {
        const agentId = method === 'agent' && p.agentId !== undefined ? String(p.agentId) : (String(p.sessionKey ?? '').split(':')[1] ?? 'main');
        if (!this.agents.has(agentId)) throw new GatewayRefusal({ code: 'INVALID_REQUEST', message: `invalid ${method} params: unknown agent id "${agentId}"` });
        return this.startRun(ws, id, method, p);
      }
      case 'agent.wait':
        return this.waitRun(String(p.runId), typeof p.timeoutMs === 'number' ? p.timeoutMs : 30_000);
      case 'sessions.abort': {
        const run = this.activeRun(String(p.key));
        if (!run) return { ok: true, abortedRunId: null, status: 'no-active-run' };
        this.abortRun(run);
        return { ok: true, abortedRunId: run.runId, status: 'aborted' };
      }
      case 'chat.abort': {
        const run = this.activeRun(String(p.sessionKey));
        if (run) this.abortRun(run);
        return { ok: true, aborted: run !== undefined, runIds: run ? [run.runId] : [] };
      }
    }
    throw new GatewayRefusal({ code: 'INVALID_REQUEST', message: `unknown method: ${method}` });
  }

  private startRun(ws: WebSocket, reqId: string, method: string, p: Params): unknown {
    const key = String(p.idempotencyKey);
    const existing = this.runs.get(key);
    // Idempotency (DESIGN.md, not recorded): a reused key replays the first run's answer instead of starting another.
    if (existing) return existing.status === 'running' ? this.acceptedAnswer(existing, method) : this.finalAnswer(existing);
    const sessionKey = p.sessionKey ? String(p.sessionKey) : `agent:${String(p.agentId ?? 'main')}:main`;
    const run: Run = {
      runId: key,
      sessionKey,
      agentId: String(p.agentId ?? sessionKey.split(':')[1] ?? 'main'),
      message: String(p.message),
      status: 'running',
      startedAt: Date.now(),
      text: `Pulse received (${String(p.message).length} chars).`,
      waiters: new Set(),
      ...(method === 'agent' ? { origin: { ws, reqId } } : {}),
    };
    this.runs.set(key, run);
    this.broadcast('agent', { runId: run.runId, sessionKey, agentId: run.agentId, stream: 'lifecycle', data: { phase: 'start', startedAt: run.startedAt } });
    if (Number.isFinite(this.runDurationMs)) run.timer = setTimeout(() => this.finishRun(run), this.runDurationMs);
    return this.acceptedAnswer(run, method);
  }

  private acceptedAnswer(run: Run, method: string): unknown {
    return method === 'agent'
      ? { runId: run.runId, sessionKey: run.sessionKey, agentId: run.agentId, status: 'accepted', acceptedAt: run.startedAt }
      : { runId: run.runId, status: 'started' };
  }

  private finalAnswer(run: Run): unknown {
    return run.status === 'ok'
      ? { runId: run.runId, status: 'ok', summary: 'completed', result: { payloads: [{ text: run.text, mediaUrl: null }] } }
      : { runId: run.runId, status: 'error', summary: 'aborted', stopReason: 'rpc' };
  }

  private waitAnswer(run: Run): unknown {
    return run.status === 'ok'
      ? { runId: run.runId, status: 'ok', startedAt: run.startedAt, endedAt: run.endedAt, stopReason: 'stop', terminalReceipt: { runId: run.runId, successfulToolNames: [] }, terminalReply: { disposition: 'visible', text: run.text } }
      : { runId: run.runId, status: 'error', endedAt: run.endedAt, stopReason: 'rpc' };
  }

  private waitRun(runId: string, timeoutMs: number): Promise<unknown> {
    const run = this.runs.get(runId);
    if (run && run.status !== 'running') return Promise.resolve(this.waitAnswer(run));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        run?.waiters.delete(done);
        resolve({ runId, status: 'timeout' });
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(this.waitAnswer(run!));
      };
      run?.waiters.add(done);
    });
  }

  private finishRun(run: Run): void {
    run.status = 'ok';
    run.endedAt = Date.now();
    const base = { runId: run.runId, sessionKey: run.sessionKey, agentId: run.agentId };
    this.broadcast('agent', { ...base, stream: 'assistant', data: { text: run.text, delta: run.text } });
    this.broadcast('chat', { ...base, state: 'delta', deltaText: run.text, message: { role: 'assistant', content: [{ type: 'text', text: run.text }] } });
    this.broadcast('agent', { ...base, stream: 'lifecycle', data: { phase: 'end', startedAt: run.startedAt, endedAt: run.endedAt, aborted: false, stopReason: 'stop' } });
    this.broadcast('chat', { ...base, state: 'final', stopReason: 'stop', message: { role: 'assistant', content: [{ type: 'text', text: run.text }] } });
    if (run.origin) this.send(run.origin.ws, { type: 'res', id: run.origin.reqId, ok: true, payload: this.finalAnswer(run) });
    this.settle(run);
  }

  private abortRun(run: Run): void {
    clearTimeout(run.timer);
    run.status = 'aborted';
    run.endedAt = Date.now();
    const base = { runId: run.runId, sessionKey: run.sessionKey, agentId: run.agentId };
    this.broadcast('chat', { ...base, state: 'aborted', stopReason: 'rpc' });
    this.broadcast('agent', { ...base, stream: 'lifecycle', data: { phase: 'end', status: 'cancelled', aborted: true, stopReason: 'rpc', endedAt: run.endedAt } });
    if (run.origin) this.send(run.origin.ws, { type: 'res', id: run.origin.reqId, ok: true, payload: this.finalAnswer(run) });
    this.settle(run);
  }

  private settle(run: Run): void {
    for (const waiter of run.waiters) waiter();
    run.waiters.clear();
  }

  private activeRun(sessionKey: string): Run | undefined {
    return [...this.runs.values()].find((r) => r.sessionKey === sessionKey && r.status === 'running');
  }

  private broadcast(event: string, payload: Record<string, unknown>): void {
    for (const ws of this.ready) this.send(ws, { type: 'event', event, payload, seq: 0 });
  }

  private send(ws: WebSocket, frame: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  }
}
