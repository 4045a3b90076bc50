import { pino, type Logger } from 'pino';
import type { Config } from './schema.js';
import { SECRET_PATHS } from './settings.js';

export type { Logger } from 'pino';

/**
 * The process logger: JSON lines on stdout, level from the config (changed live on SIGHUP).
 * Secrets that could reach a log line through a config dump are redacted.
 */
export function createLogger(config: Pick<Config, 'log_level'>, opts: { name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options = {
    level: config.log_level,
    base: { pid: process.pid, ...(opts.name ? { name: opts.name } : {}) },
    redact: { paths: SECRET_PATHS.flatMap((p) => [`config.${p}`, p]), censor: '[secret]' },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A copy of the config that is safe to log or print. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  if (copy.nats.token) copy.nats.token = '[secret]';
  if (copy.nats.pass) copy.nats.pass = '[secret]';
  if (copy.drivers.openclaw.token) copy.drivers.openclaw.token = '[secret]';
  if (copy.admin) copy.admin = { username: copy.admin.username, password: '[secret]' };
  return copy;
}
