import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock, MissionRuntime, ProjectSettings } from '../core/index.js';
import type { SqliteDatabase } from '../store/index.js';
import type { folderEntry, projectDoc } from './registry/schemas.js';

/**
 * What the gateway needs from the rest of the program. Structural types, so the full `Config`,
 * `Store`, `Workspace`, `Bus` and drivers satisfy them without the gateway importing internals.
 */
export interface GatewayLimits {
  rate_limit_per_minute: number;
  max_ws_clients: number;
  feed_retention_events: number;
  /** Largest single message (chat text, comment) in bytes; bounds the body when max_request_bytes is unset. */
  max_message_bytes: number;
  /** Largest JSON-RPC request body or WS frame, in bytes (SPEC §10 limits). */
  max_request_bytes?: number;
  /** A WS client whose unsent bytes exceed this is closed with 1013 (slow consumer). */
  max_ws_buffered_bytes?: number;
}

export interface GatewayConfig {
  limits: GatewayLimits;
  projects?: { defaults: ProjectSettings };
  /** Sessions last this long (ms); default 7 days. */
  session_ttl_ms?: number;
  /** The first administrator (`MC_ADMIN=<user>:<password>`), created at start if missing. */
  admin?: { username: string; password: string } | null;
  /** Set the cookie's `Secure` flag (behind TLS). */
  secure_cookies?: boolean;
}

export interface StorePort {
  db: SqliteDatabase;
}

/** Who a workspace operation runs as (SPEC §7): agents are confined, humans are not. */
export type WorkspaceActor = { kind: 'agent'; soulId: string } | { kind: 'human' };

/** The workspace engineer's `Workspace`, as far as `mission.fs.*` / `mission.doc.*` use it. */
export interface WorkspacePort {
  fsRead(projectId: string, path: string, opts: { as: WorkspaceActor }): Promise<{ content: string; version: string }>;
  fsWrite(projectId: string, path: string, opts: { as: WorkspaceActor; content: string; expected_version?: string | null }): Promise<{ version: string }>;
  fsList(projectId: string, path: string, opts: { as: WorkspaceActor }): Promise<{ path: string; entries: z.infer<typeof folderEntry>[] }>;
  fsDelete(projectId: string, path: string, opts: { as: WorkspaceActor; expected_version?: string | null }): Promise<{ path: string; deleted: 'file' | 'dir' }>;
  listDocs(projectId: string): Promise<z.infer<typeof projectDoc>[]>;
  readDoc(projectId: string, name: string): Promise<{ path: string; content: string; version: string; size: number }>;
}

/** A machine definition as the inspector needs it. */
export interface MachineEntry {
  id: string;
  version: number;
  toJSON(): unknown;
}

export type MachineCatalog = Partial<Record<'task' | 'agent' | 'project', MachineEntry>>;

export interface HealthReport {
  ok: boolean;
  state: string;
  message?: string;
}

export interface BusPort {
  status(): 'connected' | 'reconnecting' | 'closed';
}

/** A further /readyz component (e.g. "runtime": the actors answer over NATS in gateway role). */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<HealthReport>;
}

export interface DriverPort {
  readonly name: string;
  health(): HealthReport;
}

/** Live configuration (the config module's ConfigWatcher fits): SIGHUP-reloaded limits apply at once. */
export interface ConfigUpdates {
  subscribe(listener: (next: GatewayConfig) => void): () => void;
}

export interface GatewayOptions {
  config: GatewayConfig;
  /** Reloads: rate limit, WS client cap, feed retention and slow-client threshold follow them. */
  configUpdates?: ConfigUpdates;
  store: StorePort;
  runtime: MissionRuntime;
  workspace?: WorkspacePort;
  bus?: BusPort;
  drivers?: Iterable<DriverPort> | Map<string, DriverPort>;
  /** Extra /readyz components, checked on each probe. */
  readiness?: ReadinessCheck[];
  machines?: MachineCatalog;
  logger: Logger;
  clock?: Clock;
  /** The built web app (`web/dist`); served with an SPA fallback when it holds an index.html. */
  webRoot?: string;
  /** Mission methods of plugins, registered beside the built-in ones (checked first). */
  pluginMethods?: readonly { name: string }[];
}
