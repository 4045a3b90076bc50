import type { parseArgs } from 'node:util';
import { loadConfig, SETTINGS, type Config, type ConfigInputs } from '../config/index.js';

export type OptionSpec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CliContext {
  values: OptionValues;
  positionals: string[];
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** One `mission-control <name>` command. Register it in `commands/index.ts`. */
export interface CliCommand {
  name: string;
  summary: string;
  /** Synopsis lines after `mission-control <name>`, e.g. `up [--to N]`. */
  usage: string[];
  /** Extra help text: what the options mean, exit codes. */
  details?: string;
  options: OptionSpec;
  /** Positional arguments: exact count or a range. */
  positionals?: { min: number; max: number };
  run(ctx: CliContext): Promise<number>;
}

/** A mistake in how the command was called: exit code 2 with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Options every command that reads configuration accepts. */
export const CONFIG_OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  set: { type: 'string', multiple: true },
} as const satisfies OptionSpec;

export const CONFIG_HELP = [
  '  --config <file>       JSON configuration file (or MC_CONFIG)',
  '  --data-dir <dir>      data directory (or MC_DATA_DIR; default ./data)',
  '  --set <key>=<value>   any setting by its path, e.g. --set limits.max_projects=20',
].join('\n');

/** What `loadConfig` reads for this invocation (kept by `serve` to reload on SIGHUP). */
export function configInputs(ctx: CliContext): ConfigInputs {
  const flags: Record<string, string | boolean> = {};
  for (const [path, info] of Object.entries(SETTINGS)) {
    const v = info.flag ? ctx.values[info.flag] : undefined;
    if (typeof v === 'string' || typeof v === 'boolean') flags[path] = v;
  }
  const sets = ctx.values.set;
  for (const pair of Array.isArray(sets) ? sets : []) {
    const text = String(pair);
    const eq = text.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects <key>=<value>, got "${text}"`);
    flags[text.slice(0, eq)] = text.slice(eq + 1);
  }
  const file = ctx.values.config;
  return { flags, env: ctx.env, cwd: ctx.cwd, configFile: typeof file === 'string' ? file : null };
}

/** Loads the configuration with this command's flags on top (flags > env > file > defaults). */
export function configFromFlags(ctx: CliContext): Config {
  return loadConfig(configInputs(ctx));
}
