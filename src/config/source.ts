import { isMissionError, MissionError } from '../core/index.js';
import { loadConfig, type ConfigInputs } from './load.js';
import type { Logger } from './logger.js';
import type { Config } from './schema.js';
import { SECRET_PATHS, SETTINGS } from './settings.js';

export interface ConfigChange {
  key: string;
  from: unknown;
  to: unknown;
}

export interface ReloadResult {
  /** false: the new configuration was invalid and nothing changed. */
  ok: boolean;
  /** Changes now in effect. */
  applied: ConfigChange[];
  /** Changes seen but ignored until the next restart. */
  needsRestart: ConfigChange[];
  error?: MissionError;
}

export type ConfigListener = (config: Config, result: ReloadResult) => void;

function valueAt(config: Config, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | null)?.[part], config);
}

function setAt(config: Config, key: string, value: unknown): void {
  const parts = key.split('.');
  const parent = parts.slice(0, -1).reduce<Record<string, unknown>>((node, part) => node[part] as Record<string, unknown>, config as unknown as Record<string, unknown>);
  parent[parts.at(-1)!] = structuredClone(value);
}

function isSecret(key: string): boolean {
  return (SECRET_PATHS as readonly string[]).includes(key);
}

/** Changes as log-safe records (secrets reduced to "changed"). */
function forLog(changes: ConfigChange[]): Record<string, unknown>[] {
  return changes.map((c) => (isSecret(c.key) ? { key: c.key } : { key: c.key, from: c.from, to: c.to }));
}

/**
 * The live configuration of a running server. `reload()` (wired to SIGHUP by `watchSignal`)
 * re-reads the file and environment, applies what is safe to change live (log level, limits,
 * project defaults, backup schedule) and reports what needs a restart; subscribers hear of each
 * applied change.
 */
export class ConfigSource {
  private config: Config;
  private readonly listeners = new Set<ConfigListener>();

  constructor(
    private readonly inputs: ConfigInputs = {},
    initial?: Config,
  ) {
    this.config = initial ?? loadConfig(inputs);
  }

  get current(): Config {
    return this.config;
  }

  subscribe(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  reload(): ReloadResult {
    let next: Config;
    try {
      next = loadConfig(this.inputs);
    } catch (err) {
      if (!isMissionError(err)) throw err;
      return { ok: false, applied: [], needsRestart: [], error: err };
    }
    const applied: ConfigChange[] = [];
    const needsRestart: ConfigChange[] = [];
    const updated = structuredClone(this.config);
    for (const [key, info] of Object.entries(SETTINGS)) {
      const from = valueAt(this.config, key);
      const to = valueAt(next, key);
      if (JSON.stringify(from) === JSON.stringify(to)) continue;
      if (info.reload === 'live') {
        setAt(updated, key, to);
        applied.push({ key, from, to });
      } else {
        needsRestart.push({ key, from, to });
      }
    }
    const result: ReloadResult = { ok: true, applied, needsRestart };
    if (applied.length > 0) {
      this.config = updated;
      for (const listener of this.listeners) listener(updated, result);
    }
    return result;
  }

  /** Reloads on `signal` (SIGHUP), logging the outcome; returns a function that stops listening. */
  watchSignal(logger: Logger, signal: NodeJS.Signals = 'SIGHUP'): () => void {
    const onSignal = (): void => {
      const result = this.reload();
      if (!result.ok) {
        logger.error({ err: result.error?.message }, `configuration reload refused (${signal}); keeping the running configuration`);
        return;
      }
      logger.info({ applied: forLog(result.applied) }, `configuration reloaded (${signal}): ${result.applied.length} change(s) applied`);
      if (result.needsRestart.length > 0) {
        logger.warn(
          { needs_restart: forLog(result.needsRestart) },
          `configuration changes need a restart to take effect: ${result.needsRestart.map((c) => c.key).join(', ')}`,
        );
      }
    };
    process.on(signal, onSignal);
    return () => process.removeListener(signal, onSignal);
  }
}

/** The name docs use for a subscription-only view of the source. */
export type ConfigWatcher = Pick<ConfigSource, 'current' | 'subscribe'>;
