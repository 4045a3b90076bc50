import type { z } from 'zod';
import type { By, MissionRuntime, Principal, ProjectRole, ProjectSettings } from '../../core/index.js';
import type { IdempotencyRepo, MembershipsRepo, QueriesRepo } from '../../store/index.js';
import type { GatewayConfig, MachineCatalog, WorkspacePort } from '../deps.js';
import type { FeedSession } from '../feed/session.js';

/** Roles named in SPEC §5. `admin` may call everything and is never listed. */
export type CallerRole = ProjectRole | 'agent';

/** The acting agent after auth (an agent token, or a driver naming the instance). */
export interface ActingAgent {
  instanceId: string;
  soulId: string;
  projectId: string;
  isLead: boolean;
}

export interface Services {
  runtime: MissionRuntime;
  queries: QueriesRepo;
  memberships: MembershipsRepo;
  /** First answers of side effects the gateway runs itself (file writes); commands use the runtime's. */
  idempotency: IdempotencyRepo;
  workspace: WorkspacePort | undefined;
  machines: MachineCatalog;
  config: GatewayConfig;
  projectDefaults: ProjectSettings;
}

/** Everything a handler knows about one call. */
export interface CallContext {
  principal: Principal;
  /** Holder of idempotency keys and rate-limit bucket: 'user:3', 'agent:<id>', 'driver:<name>'. */
  principalKey: string;
  by: By;
  /** Set when the caller is an agent (directly or through a driver). */
  agent: ActingAgent | undefined;
  /** The project the call is about, after access checks (null for global methods). */
  projectId: string | null;
  idempotencyKey: string | undefined;
  requestId: string;
  services: Services;
  /** The WebSocket connection, when the call came over `/ws`. */
  session: FeedSession | undefined;
  /** Runs `fn` once this call's answer has been sent (a subscribe's replay follows its answer). */
  afterAnswer(fn: () => void): void;
}

export interface MethodDef<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  name: string;
  aliases: readonly string[];
  description: string;
  params: P;
  result: R;
  /** Who may call it besides admin (SPEC §5). */
  roles: readonly CallerRole[];
  sideEffect: boolean;
  /** Name in the agents' tool manifest (OpenAI functions, MCP); only for agent-callable methods. */
  tool?: string;
  /**
   * The project the call concerns: a string, `undefined` when the caller's own project applies
   * (agents), or `null` for methods outside any project.
   */
  project(params: z.infer<P>, services: Services): string | null | undefined;
  /** Extra checks for agents (own instance, own tasks); throws FORBIDDEN. */
  agentCheck?(params: z.infer<P>, agent: ActingAgent, services: Services): void;
  handler(params: z.infer<P>, ctx: CallContext): Promise<z.infer<R>> | z.infer<R>;
}

/** Declares one method; the identity function keeps the params type flowing into the handler. */
export function defineMethod<P extends z.ZodType, R extends z.ZodType>(def: MethodDef<P, R>): MethodDef {
  return def as unknown as MethodDef;
}

export const MEMBER_PLUS: readonly CallerRole[] = ['owner', 'member'];
export const EVERY_MEMBER: readonly CallerRole[] = ['owner', 'member', 'viewer'];
export const OWNER_PLUS: readonly CallerRole[] = ['owner'];
