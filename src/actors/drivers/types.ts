/**
 * How a pulse reaches an agent (DESIGN "Agent drivers"). Every driver sits behind
 * retry-with-backoff and a circuit breaker; a driver failure never crashes the runtime.
 */
export interface InstanceRef {
  id: string; // <soul_id>:<project_id>
  soulId: string;
  projectId: string;
  soulVersion: number;
}

export interface PulseRequest {
  pulseId: string; // idempotency key: a retried delivery of the same pulse must not start a second run
  timeoutMs: number;
  /** Aborted by the runtime on pulse timeout, deadman or destroy. */
  signal: AbortSignal;
  /** Short-lived credential and URL the agent uses to call mission methods during this pulse. */
  credentials?: { url: string; token: string };
}

export type PulseOutcome =
  | { status: 'ok'; output?: string }
  | { status: 'failed'; error: { code: string; message: string; transient: boolean }; output?: string }
  | { status: 'timeout' | 'aborted'; output?: string };

/**
 * What the runtime read from the store when it destroys an instance: durable truth, so a driver
 * needs no memory of its own about which instances exist (it has none after a restart).
 */
export interface InstanceDestroyFacts {
  /** Live instances of the same soul in other projects that this driver still serves. */
  otherInstancesOfSoul: number;
}

export interface DriverHealth {
  ok: boolean;
  /** 'closed' | 'open' | 'half-open' for the breaker; 'degraded' when a capability is missing. */
  state: string;
  message?: string;
}

export interface AgentDriver {
  readonly name: string;
  deliverPulse(instance: InstanceRef, prompt: string, request: PulseRequest): Promise<PulseOutcome>;
  /** Cancels any run in flight for this instance (idempotent). */
  abort(instance: InstanceRef): Promise<void>;
  health(): DriverHealth;
  /** Lifecycle in the agent runtime, where it has one (OpenClaw: agents.create / files.set …). */
  instanceCreated?(instance: InstanceRef, soulMd: string): Promise<void>;
  instanceUpgraded?(instance: InstanceRef, soulMd: string): Promise<void>;
  instanceDestroyed?(instance: InstanceRef, facts: InstanceDestroyFacts): Promise<void>;
  close?(): Promise<void>;
}

/** What a driver reports to metrics and logs (the resilience wrapper emits these). */
export type DriverEvent =
  | { type: 'pulse'; driver: string; instanceId: string; pulseId: string; status: PulseOutcome['status']; durationMs: number; attempts: number }
  | { type: 'retry'; driver: string; instanceId: string; pulseId: string; attempt: number; delayMs: number; code: string }
  | { type: 'breaker'; driver: string; state: string; previous: string }
  | { type: 'hook_failed'; driver: string; instanceId: string; hook: string; code: string; message: string };

export interface DriverMetrics {
  driver: string;
  breaker: { state: string; consecutiveFailures: number; rejected: number; retryAt: number | null };
  pulses: Record<PulseOutcome['status'], number>;
  retries: number;
}

/** A driver behind `withResilience`: the runtime's view, with metrics for /metrics and /readyz. */
export interface ResilientDriver extends AgentDriver {
  readonly inner: AgentDriver;
  metrics(): DriverMetrics;
  onEvent(listener: (event: DriverEvent) => void): () => void;
}

/** Where a process started by the command driver runs (the runtime stores `pgid`). */
export interface SpawnInfo {
  instanceId: string;
  pulseId: string;
  pid: number;
  /** The process group: the child leads its own group, so pgid === pid. */
  pgid: number;
  /** The leader's `processIdentity` (boot and start time), null where /proc does not tell. */
  identity: string | null;
}

/** What a driver factory receives (built-ins and plugins alike: src/actors/plugins.ts). */
export interface DriverFactoryContext {
  /** The driver's own configuration section, validated by the factory. */
  config: unknown;
  /** Base URL agents use to reach Mission Control (`MC_URL`). */
  missionUrl?: string;
  /** Told when a command-driven agent process starts and ends, so the runtime can record its pgid. */
  onSpawn?: (info: SpawnInfo) => void;
  onExit?: (info: SpawnInfo & { code: number | null; signal: string | null }) => void;
  /** Calls a mission method as an instance, through the gateway path (the simulated squad). */
  callMethod?: (name: string, params: Record<string, unknown>, context: { instanceId: string; token?: string }) => Promise<unknown>;
  /** The souls instantiated in a project, with roles and skills (the simulated lead assigns by them). */
  roster?: (projectId: string) => readonly { soul_id: string; name: string; role: string; skills: string[] }[];
}

/** Builds a driver from its configuration; null when the driver is not configured (then it is not offered). */
export type DriverFactory = (ctx: DriverFactoryContext) => AgentDriver | null;
