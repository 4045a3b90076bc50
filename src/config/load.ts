import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { MissionError } from '../core/index.js';
import { configSchema, type Config } from './schema.js';
import { configLeaves, SETTINGS, type Leaf } from './settings.js';

/** Everything start-up reads configuration from. Flags are keyed by setting path (`limits.max_projects`). */
export interface ConfigInputs {
  /** Raw flag values by setting path (strings as typed, booleans for switches). */
  flags?: Record<string, string | boolean>;
  env?: NodeJS.ProcessEnv;
  /** JSON file; default: `MC_CONFIG` from env. */
  configFile?: string | null;
  /** Base for a relative data_dir; default: the working directory. */
  cwd?: string;
}

export interface ConfigIssue {
  key: string;
  value: unknown;
  source: string;
  allowed: string;
}

type Tree = Record<string, unknown>;

const LEAVES: ReadonlyMap<string, Leaf> = new Map(configLeaves().map((l) => [l.path, l]));

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts.at(-1)!] = value;
}

function getPath(tree: unknown, path: (string | number | symbol)[]): unknown {
  let node = tree;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number | symbol, unknown>)[part];
  }
  return node;
}

/** Turns an env or flag string into the setting's type; what cannot be converted stays a string for zod to reject. */
export function coerceSetting(leaf: Leaf, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  const text = raw.trim();
  if (leaf.nullable && (text === '' || text === 'null')) return null;
  switch (leaf.kind) {
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : raw;
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      return raw;
    case 'list':
      if (text.startsWith('[')) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return raw;
        }
      }
      return text === '' ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'admin': {
      const at = text.indexOf(':');
      return at > 0 ? { username: text.slice(0, at), password: text.slice(at + 1) } : raw;
    }
    default:
      return raw;
  }
}

function leafFor(path: (string | number | symbol)[]): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const key = path.slice(0, n).map(String).join('.');
    if (LEAVES.has(key)) return key;
  }
  return undefined;
}

function describeValue(key: string, value: unknown): string {
  if (value === undefined) return '(default)';
  if (key === 'admin' || /token|pass/.test(key)) return '(secret)';
  return JSON.stringify(value);
}

/** Builds the CONFIG_INVALID error: one line per problem naming the key, the value, its source and what is allowed. */
function invalid(issues: ConfigIssue[]): MissionError {
  const lines = issues.map((i) => `  ${i.key} = ${describeValue(i.key, i.value)} (from ${i.source}): ${i.allowed}`);
  return new MissionError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`, { issues });
}

function readConfigFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid([{ key: '--config', value: file, source: 'flag', allowed: `cannot read the file: ${(err as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid([{ key: '--config', value: file, source: 'flag', allowed: `not valid JSON: ${(err as Error).message}` }]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid([{ key: '--config', value: file, source: 'flag', allowed: 'the file must hold one JSON object' }]);
  }
  return parsed as Tree;
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    const bothObjects = [prev, v].every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
    out[k] = bothObjects && k !== 'admin' ? deepMerge(prev as Tree, v as Tree) : v;
  }
  return out;
}

/**
 * Loads the configuration: defaults < JSON file < `MC_*` environment < flags (SPEC §10).
 * Throws CONFIG_INVALID naming every bad key, its value, where it came from and what is allowed.
 */
export function loadConfig(inputs: ConfigInputs = {}): Config {
  const env = inputs.env ?? process.env;
  const cwd = inputs.cwd ?? process.cwd();
  const origins = new Map<string, string>();
  const configFile = inputs.configFile ?? env.MC_CONFIG ?? null;

  let merged: Tree = {};
  if (configFile) {
    const file = resolve(cwd, configFile);
    merged = readConfigFile(file);
    for (const key of LEAVES.keys()) {
      if (getPath(merged, key.split('.')) !== undefined) origins.set(key, `file ${file}`);
    }
  }
  const layer = (values: [string, string | boolean][], source: (key: string) => string): void => {
    const tree: Tree = {};
    for (const [key, raw] of values) {
      const leaf = LEAVES.get(key);
      if (!leaf) {
        throw invalid([{ key, value: raw, source: source(key), allowed: 'unknown setting' }]);
      }
      setPath(tree, key, coerceSetting(leaf, raw));
      origins.set(key, source(key));
    }
    merged = deepMerge(merged, tree);
  };
  const fromEnv: [string, string][] = [];
  for (const [key, info] of Object.entries(SETTINGS)) {
    const raw = env[info.env];
    // An empty variable is unset, except where empty means "none" (nullable settings).
    if (raw !== undefined && (raw !== '' || LEAVES.get(key)?.nullable)) fromEnv.push([key, raw]);
  }
  layer(fromEnv, (key) => `env ${SETTINGS[key]!.env}`);
  layer(Object.entries(inputs.flags ?? {}), (key) => `flag --${SETTINGS[key]?.flag ?? `set ${key}`}`);

  const result = configSchema.safeParse(merged);
  if (!result.success) throw invalid(issuesOf(result.error, merged, origins));
  const config = result.data;
  config.data_dir = resolve(cwd, config.data_dir);
  if (config.backups.dir) config.backups.dir = resolve(cwd, config.backups.dir);
  if (config.role !== 'all' && config.nats.url === null) {
    throw invalid([{ key: 'role', value: config.role, source: origins.get('role') ?? 'default', allowed: `role ${config.role} needs nats.url (MC_NATS_URL); only "all" runs with the in-process bus` }]);
  }
  return config;
}

function issuesOf(error: z.ZodError, input: Tree, origins: Map<string, string>): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const key = [...issue.path.map(String), k].join('.');
        out.push({ key, value: getPath(input, [...issue.path, k]), source: origins.get(key) ?? 'file', allowed: 'unknown setting' });
      }
      continue;
    }
    const key = leafFor(issue.path) ?? issue.path.map(String).join('.');
    const format = SETTINGS[key]?.format;
    out.push({
      key,
      value: getPath(input, issue.path),
      source: origins.get(key) ?? 'default',
      allowed: format ? `${issue.message} (expected ${format})` : issue.message,
    });
  }
  return out;
}
