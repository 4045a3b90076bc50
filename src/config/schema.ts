import { z } from 'zod';

/**
 * The one schema of every Mission Control setting (SPEC §10 "Configuration"). Defaults live here
 * and nowhere else; `settings.ts` maps each leaf to its environment variable and flag, and the
 * README's configuration table is checked against it.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const seconds = (max: number) => z.number().int().min(1).max(max);
const positive = z.number().int().min(1);

/** Pulse and review settings every project starts with; a project's `settings` override them. */
export const projectSettingsSchema = z
  .object({
    pulse_interval: seconds(86_400).default(60),
    pulse_timeout: seconds(86_400).default(120),
    deadman_timeout: seconds(7 * 86_400).default(300),
    max_attempts: z.number().int().min(1).max(100).default(3),
    require_review: z.boolean().default(false),
    driver: z.string().min(1).max(64).default('simulated'),
  })
  .strict()
  .superRefine((s, ctx) => {
    // SPEC §4: an agent shows life only during its pulses, so a shorter deadman fires on healthy agents.
    const floor = 2 * s.pulse_interval + s.pulse_timeout;
    if (s.deadman_timeout < floor) {
      ctx.addIssue({
        code: 'custom',
        path: ['deadman_timeout'],
        input: s.deadman_timeout,
        message: `deadman_timeout (${s.deadman_timeout}) must be at least 2 × pulse_interval (${s.pulse_interval}) + pulse_timeout (${s.pulse_timeout}) = ${floor}`,
      });
    }
  });

export type ProjectSettings = z.output<typeof projectSettingsSchema>;

export const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(7400),
    /** Base URL agents use to reach this server (command driver's MC_URL); null: http://host:port. */
    public_url: z.url().nullable().default(null),
    data_dir: z.string().min(1).default('./data'),
    log_level: z.enum(LOG_LEVELS).default('info'),
    nats: z
      .object({
        /** null: the in-process bus (single process). */
        url: z.string().regex(/^(nats|tls|wss?):\/\/\S+$/, 'must be a nats:// (or tls://, ws://, wss://) URL').nullable().default(null),
        name: z.string().min(1).default('mission-control'),
        token: z.string().min(1).nullable().default(null),
        user: z.string().min(1).nullable().default(null),
        pass: z.string().min(1).nullable().default(null),
        /** -1: reconnect forever (DESIGN "Bus and subjects"). */
        max_reconnect_attempts: z.number().int().min(-1).default(-1),
        reconnect_time_wait_ms: z.number().int().min(0).default(2000),
        timeout_ms: positive.default(5000),
        request_timeout_ms: positive.default(5000),
      })
      .strict()
      .prefault({}),
    role: z.enum(['all', 'gateway', 'runtime']).default('all'),
    sync_mode: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
    busy_timeout_ms: z.number().int().min(0).max(600_000).default(5000),
    cache_mb: z.number().min(1).max(4096).default(4),
    group_commit: z
      .object({
        max_delay_ms: z.number().int().min(0).max(1000).default(2),
        max_batch: z.number().int().min(1).max(100_000).default(256),
        thread: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        max_projects: positive.default(100),
        max_instances_per_project: positive.default(50),
        max_tasks_per_project: positive.default(10_000),
        max_souls: positive.default(500),
        max_message_bytes: positive.default(64 * 1024),
        max_file_bytes: positive.default(1024 * 1024),
        max_request_bytes: positive.default(2 * 1024 * 1024),
        rate_limit_per_minute: positive.default(600),
        max_ws_clients: positive.default(1000),
        feed_retention_events: positive.default(100_000),
      })
      .strict()
      .prefault({}),
    backups: z
      .object({
        enabled: z.boolean().default(true),
        interval_hours: z.number().min(0.01).max(24 * 365).default(24),
        retain: positive.default(7),
        /** null: `<data_dir>/backups`. */
        dir: z.string().min(1).nullable().default(null),
      })
      .strict()
      .prefault({}),
    lock_timeout_ms: z.number().int().min(1).max(600_000).default(30_000),
    lock_retries: z.number().int().min(0).max(100).default(3),
    demo: z.boolean().default(false),
    /** The first administrator, created at start-up if missing (`MC_ADMIN=user:password`). */
    admin: z
      .object({
        username: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'must be 1-64 letters, digits or _ . @ -'),
        password: z.string().min(8, 'must be at least 8 characters'),
      })
      .strict()
      .nullable()
      .default(null),
    drivers: z
      .object({
        command: z
          .object({
            /** Program run once per pulse with the prompt on stdin; null: driver unavailable. */
            program: z.string().min(1).nullable().default(null),
            args: z.array(z.string()).default([]),
          })
          .strict()
          .prefault({}),
        openclaw: z
          .object({
            url: z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL').nullable().default(null),
            token: z.string().min(1).nullable().default(null),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** Module paths loaded at start-up (resolved from the working directory). */
    plugins: z.array(z.string().min(1)).default([]),
    projects: z
      .object({ defaults: projectSettingsSchema.prefault({}) })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
/** What a file, the environment or flags may supply: any subset, before defaults. */
export type ConfigInput = z.input<typeof configSchema>;
export type LogLevel = Config['log_level'];
