import type { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * Where each setting (a leaf of `configSchema`) can come from besides the JSON file, and whether
 * SIGHUP may change it in a running server. Env names are `MC_` + the path; project defaults use
 * the shorter `MC_PROJECT_*`. `test/unit/config.test.ts` checks this table covers every leaf.
 */
export type Reload = 'live' | 'restart';

export interface SettingInfo {
  env: string;
  /** Long flag of `serve` (every setting is also reachable as `--set path=value`). */
  flag?: string;
  reload: Reload;
  doc: string;
  /** Extra words for error messages where zod's own are not enough. */
  format?: string;
}

export const SETTINGS: Record<string, SettingInfo> = {
  host: { env: 'MC_HOST', flag: 'host', reload: 'restart', doc: 'Interface the HTTP/WebSocket server listens on' },
  port: { env: 'MC_PORT', flag: 'port', reload: 'restart', doc: 'TCP port (0 picks a free one)' },
  public_url: { env: 'MC_PUBLIC_URL', reload: 'restart', doc: 'URL agents use to reach the server (default http://host:port)' },
  data_dir: { env: 'MC_DATA_DIR', flag: 'data-dir', reload: 'restart', doc: 'Database, souls/, projects/, backups/ (relative to the working directory)' },
  log_level: { env: 'MC_LOG_LEVEL', flag: 'log-level', reload: 'live', doc: 'fatal, error, warn, info, debug, trace or silent' },
  'nats.url': { env: 'MC_NATS_URL', flag: 'nats-url', reload: 'restart', doc: 'NATS server URL; unset = in-process bus' },
  'nats.name': { env: 'MC_NATS_NAME', reload: 'restart', doc: 'Client name shown by the NATS server' },
  'nats.token': { env: 'MC_NATS_TOKEN', reload: 'restart', doc: 'NATS token auth (secret)' },
  'nats.user': { env: 'MC_NATS_USER', reload: 'restart', doc: 'NATS user' },
  'nats.pass': { env: 'MC_NATS_PASS', reload: 'restart', doc: 'NATS password (secret)' },
  'nats.max_reconnect_attempts': { env: 'MC_NATS_MAX_RECONNECT_ATTEMPTS', reload: 'restart', doc: '-1 = forever' },
  'nats.reconnect_time_wait_ms': { env: 'MC_NATS_RECONNECT_TIME_WAIT_MS', reload: 'restart', doc: 'Wait between reconnect attempts' },
  'nats.timeout_ms': { env: 'MC_NATS_TIMEOUT_MS', reload: 'restart', doc: 'Connection timeout' },
  'nats.request_timeout_ms': { env: 'MC_NATS_REQUEST_TIMEOUT_MS', reload: 'restart', doc: 'Command request/reply timeout' },
  role: { env: 'MC_ROLE', flag: 'role', reload: 'restart', doc: 'all (single process), gateway or runtime (needs nats.url)' },
  sync_mode: { env: 'MC_SYNC_MODE', reload: 'restart', doc: 'SQLite synchronous: NORMAL or FULL' },
  busy_timeout_ms: { env: 'MC_BUSY_TIMEOUT_MS', reload: 'restart', doc: 'SQLite busy timeout' },
  cache_mb: { env: 'MC_CACHE_MB', reload: 'restart', doc: 'SQLite page cache, MiB: resident once full' },
  'group_commit.max_delay_ms': { env: 'MC_GROUP_COMMIT_MAX_DELAY_MS', reload: 'restart', doc: 'Longest wait before a commit batch is flushed' },
  'group_commit.max_batch': { env: 'MC_GROUP_COMMIT_MAX_BATCH', reload: 'restart', doc: 'Events per commit batch' },
  'group_commit.thread': { env: 'MC_GROUP_COMMIT_THREAD', reload: 'restart', doc: 'Commit large batches (under load) on a writer thread with its own connection while the actors go on' },
  'limits.max_projects': { env: 'MC_LIMITS_MAX_PROJECTS', reload: 'live', doc: 'Projects per server' },
  'limits.max_instances_per_project': { env: 'MC_LIMITS_MAX_INSTANCES_PER_PROJECT', reload: 'live', doc: 'Agent instances per project' },
  'limits.max_tasks_per_project': { env: 'MC_LIMITS_MAX_TASKS_PER_PROJECT', reload: 'live', doc: 'Tasks per project' },
  'limits.max_souls': { env: 'MC_LIMITS_MAX_SOULS', reload: 'live', doc: 'Souls per server' },
  'limits.max_message_bytes': { env: 'MC_LIMITS_MAX_MESSAGE_BYTES', reload: 'live', doc: 'Largest message, thought or comment' },
  'limits.max_file_bytes': { env: 'MC_LIMITS_MAX_FILE_BYTES', reload: 'live', doc: 'Largest file an agent may write' },
  'limits.max_request_bytes': { env: 'MC_LIMITS_MAX_REQUEST_BYTES', reload: 'live', doc: 'Largest HTTP body or WebSocket frame' },
  'limits.rate_limit_per_minute': { env: 'MC_LIMITS_RATE_LIMIT_PER_MINUTE', reload: 'live', doc: 'Calls per credential per minute' },
  'limits.max_ws_clients': { env: 'MC_LIMITS_MAX_WS_CLIENTS', reload: 'live', doc: 'Concurrent WebSocket clients' },
  'limits.feed_retention_events': { env: 'MC_LIMITS_FEED_RETENTION_EVENTS', reload: 'live', doc: 'Events kept per project for resync' },
  'backups.enabled': { env: 'MC_BACKUPS_ENABLED', reload: 'live', doc: 'Scheduled backups on/off' },
  'backups.interval_hours': { env: 'MC_BACKUPS_INTERVAL_HOURS', reload: 'live', doc: 'Hours between scheduled backups' },
  'backups.retain': { env: 'MC_BACKUPS_RETAIN', reload: 'live', doc: 'Scheduled backups kept' },
  'backups.dir': { env: 'MC_BACKUPS_DIR', reload: 'restart', doc: 'Where scheduled backups go (default <data_dir>/backups)' },
  lock_timeout_ms: { env: 'MC_LOCK_TIMEOUT_MS', reload: 'restart', doc: 'File lock wait before a retry' },
  lock_retries: { env: 'MC_LOCK_RETRIES', reload: 'restart', doc: 'File lock retries before LOCK_TIMEOUT' },
  demo: { env: 'MC_DEMO', flag: 'demo', reload: 'restart', doc: 'Seed a demo project with a simulated squad' },
  admin: { env: 'MC_ADMIN', reload: 'restart', doc: 'First administrator, created if missing (secret)', format: 'user:password (password at least 8 characters)' },
  'drivers.command.program': { env: 'MC_DRIVERS_COMMAND_PROGRAM', reload: 'restart', doc: 'Program the command driver runs per pulse' },
  'drivers.command.args': { env: 'MC_DRIVERS_COMMAND_ARGS', reload: 'restart', doc: 'Its arguments (comma-separated or a JSON array)' },
  'drivers.openclaw.url': { env: 'MC_DRIVERS_OPENCLAW_URL', reload: 'restart', doc: 'OpenClaw gateway WebSocket URL' },
  'drivers.openclaw.token': { env: 'MC_DRIVERS_OPENCLAW_TOKEN', reload: 'restart', doc: 'OpenClaw gateway token (secret)' },
  plugins: { env: 'MC_PLUGINS', reload: 'restart', doc: 'Module paths loaded at start-up (comma-separated or a JSON array)' },
  'projects.defaults.pulse_interval': { env: 'MC_PROJECT_PULSE_INTERVAL', reload: 'live', doc: 'Seconds between pulses' },
  'projects.defaults.pulse_timeout': { env: 'MC_PROJECT_PULSE_TIMEOUT', reload: 'live', doc: 'Seconds before a pulse is aborted' },
  'projects.defaults.deadman_timeout': { env: 'MC_PROJECT_DEADMAN_TIMEOUT', reload: 'live', doc: 'Seconds of silence before the deadman fires (≥ 2 × pulse_interval + pulse_timeout)' },
  'projects.defaults.max_attempts': { env: 'MC_PROJECT_MAX_ATTEMPTS', reload: 'live', doc: 'Deadman expiries before a task is blocked' },
  'projects.defaults.require_review': { env: 'MC_PROJECT_REQUIRE_REVIEW', reload: 'live', doc: 'Submitted tasks go to review' },
  'projects.defaults.driver': { env: 'MC_PROJECT_DRIVER', reload: 'live', doc: 'simulated, command or openclaw' },
};

/** Settings whose value is a secret: never logged. */
export const SECRET_PATHS = ['nats.token', 'nats.pass', 'admin', 'drivers.openclaw.token'] as const;

export type LeafKind = 'number' | 'string' | 'boolean' | 'enum' | 'list' | 'admin';

export interface Leaf {
  path: string;
  kind: LeafKind;
  nullable: boolean;
  defaultValue: unknown;
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  defaultValue?: unknown;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { def: Def }).def;
}

/** Walks the schema to list every setting with its value kind and default. */
export function configLeaves(): Leaf[] {
  const leaves: Leaf[] = [];
  const visit = (schema: z.ZodType, path: string[], nullable: boolean, dflt: unknown): void => {
    const def = defOf(schema);
    const key = path.join('.');
    switch (def.type) {
      case 'default':
      case 'prefault':
        return visit(def.innerType!, path, nullable, def.defaultValue);
      case 'nullable':
      case 'optional':
        return visit(def.innerType!, path, true, dflt);
      case 'object':
        if (key === 'admin') {
          leaves.push({ path: key, kind: 'admin', nullable, defaultValue: dflt });
          return;
        }
        for (const [k, v] of Object.entries((schema as unknown as { shape: Record<string, z.ZodType> }).shape)) {
          visit(v, [...path, k], false, undefined);
        }
        return;
      case 'array':
        leaves.push({ path: key, kind: 'list', nullable, defaultValue: dflt });
        return;
      case 'number':
      case 'string':
      case 'boolean':
      case 'enum':
        leaves.push({ path: key, kind: def.type, nullable, defaultValue: dflt });
        return;
      default:
        throw new Error(`config schema: unsupported ${def.type} at ${key}`);
    }
  };
  visit(configSchema, [], false, undefined);
  return leaves;
}
