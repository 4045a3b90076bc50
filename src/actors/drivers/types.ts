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
  instanceDestroyed?(instance: InstanceRef): Promise<void>;
  close?(): Promise<void>;
}
