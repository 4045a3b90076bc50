import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { ConfigSource, configLeaves, loadConfig, resolveProjectSettings, SETTINGS, type ConfigInputs } from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mc-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function configFile(content: unknown): string {
  const file = join(dir, `config-${fileCounter++}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configError(inputs: ConfigInputs): MissionError {
  try {
    loadConfig({ env: {}, cwd: dir, ...inputs });
  } catch (err) {
    if (err instanceof MissionError) return err;
    throw err;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('configuration defaults (SPEC §4, §10 and the foundation issue)', () => {
  const expected: [string, unknown][] = [
    ['host', '127.0.0.1'],
    ['port', 7400],
    ['log_level', 'info'],
    ['nats.url', null],
    ['role', 'all'],
    ['sync_mode', 'NORMAL'],
    ['cache_mb', 4],
    ['group_commit.max_delay_ms', 2],
    ['group_commit.max_batch', 256],
    ['group_commit.thread', true],
    ['lock_timeout_ms', 30000],
    ['lock_retries', 3],
    ['demo', false],
    ['admin', null],
    ['plugins', []],
    ['projects.defaults.pulse_interval', 60],
    ['projects.defaults.pulse_timeout', 120],
    ['projects.defaults.deadman_timeout', 300],
    ['projects.defaults.max_attempts', 3],
    ['projects.defaults.require_review', false],
    ['projects.defaults.driver', 'simulated'],
  ];
  const config = loadConfig({ env: {}, cwd: dir });
  it.each(expected)('%s defaults to %j', (key, value) => {
    const actual = key.split('.').reduce<unknown>((n, p) => (n as Record<string, unknown>)[p], config);
    expect(actual).toEqual(value);
  });
  it('resolves the default data_dir ./data against the working directory', () => {
    expect(config.data_dir).toBe(join(dir, 'data'));
  });
});

describe('precedence: flags > env > file > defaults', () => {
  const file = configFile({ port: 1000, log_level: 'warn' });
  it('a flag beats env and file', () => {
    expect(loadConfig({ configFile: file, env: { MC_PORT: '2000' }, flags: { port: '3000' } }).port).toBe(3000);
  });
  it('env beats the file', () => {
    expect(loadConfig({ configFile: file, env: { MC_PORT: '2000' } }).port).toBe(2000);
  });
  it('the file beats defaults, and the defaults fill the rest', () => {
    const c = loadConfig({ configFile: file, env: {} });
    expect([c.port, c.log_level, c.host]).toEqual([1000, 'warn', '127.0.0.1']);
  });
  it('MC_CONFIG names the file when --config is absent', () => {
    expect(loadConfig({ env: { MC_CONFIG: file } }).port).toBe(1000);
  });
  it('env sets nested keys, project defaults, booleans, lists and the admin', () => {
    const c = loadConfig({
      env: {
        MC_NATS_URL: 'nats://127.0.0.1:4222',
        MC_DATA_DIR: '/var/lib/mc',
        MC_PROJECT_PULSE_INTERVAL: '900',
        MC_PROJECT_DEADMAN_TIMEOUT: '2000',
        MC_DEMO: '1',
        MC_PLUGINS: 'a.js, b.js',
        MC_ADMIN: 'alice:correct horse',
        MC_LIMITS_MAX_PROJECTS: '5',
      },
    });
    expect(c.nats.url).toBe('nats://127.0.0.1:4222');
    expect(c.data_dir).toBe('/var/lib/mc');
    expect(c.projects.defaults).toMatchObject({ pulse_interval: 900, deadman_timeout: 2000, pulse_timeout: 120 });
    expect(c.demo).toBe(true);
    expect(c.plugins).toEqual(['a.js', 'b.js']);
    expect(c.admin).toEqual({ username: 'alice', password: 'correct horse' });
    expect(c.limits.max_projects).toBe(5);
  });
  it('an empty variable is unset, or null where a setting may be null', () => {
    const c = loadConfig({ env: { MC_DEMO: '', MC_PORT: '', MC_NATS_URL: '' } });
    expect([c.demo, c.port, c.nats.url]).toEqual([false, 7400, null]);
  });
  it('--set style flags reach any setting by path', () => {
    expect(loadConfig({ env: {}, flags: { 'limits.max_ws_clients': '7', demo: true } })).toMatchObject({ limits: { max_ws_clients: 7 }, demo: true });
  });
});

describe('invalid configuration is reported by key, value, source and what is allowed', () => {
  it('env: a non-number port', () => {
    const err = configError({ env: { MC_PORT: 'abc' } });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/port = "abc" \(from env MC_PORT\): .*number/);
  });
  it('env: a page cache under 1 MiB', () => {
    const err = configError({ env: { MC_CACHE_MB: '0' } });
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/cache_mb = 0 \(from env MC_CACHE_MB\)/);
  });
  it('env: a role outside the allowed set lists the allowed values', () => {
    const err = configError({ env: { MC_ROLE: 'boss' } });
    expect(err.message).toMatch(/role = "boss" \(from env MC_ROLE\)/);
    expect(err.message).toContain('"gateway"');
  });
  it('file: a value out of range and an unknown key', () => {
    const file = configFile({ limits: { max_projects: 0 }, prot: 80 });
    const err = configError({ configFile: file });
    expect(err.message).toContain(`limits.max_projects = 0 (from file ${file})`);
    expect(err.message).toMatch(/>=\s?1/);
    expect(err.message).toContain('prot = 80');
    expect(err.message).toContain('unknown setting');
  });
  it('file: not JSON', () => {
    expect(configError({ configFile: configFile('{ port: 1') }).message).toContain('not valid JSON');
  });
  it('flag: a port above 65535', () => {
    const err = configError({ flags: { port: '99999' } });
    expect(err.message).toMatch(/port = 99999 \(from flag --port\): .*65535/);
  });
  it('flag: an unknown --set key', () => {
    expect(configError({ flags: { 'limits.max_planets': '3' } }).message).toContain('limits.max_planets');
  });
  it('the deadman constraint names the three keys', () => {
    const err = configError({ env: { MC_PROJECT_PULSE_INTERVAL: '200' } });
    expect(err.message).toContain('projects.defaults.deadman_timeout');
    expect(err.message).toContain('2 × pulse_interval (200) + pulse_timeout (120) = 520');
  });
  it('an admin without a password, without echoing the secret', () => {
    const err = configError({ env: { MC_ADMIN: 'alice' } });
    expect(err.message).toContain('admin = (secret) (from env MC_ADMIN)');
    expect(err.message).toContain('user:password');
    expect(err.message).not.toContain('alice');
  });
  it('a split role without a NATS server', () => {
    expect(configError({ env: { MC_ROLE: 'gateway' } }).message).toContain('needs nats.url');
  });
});

describe('per-project settings', () => {
  const defaults = loadConfig({ env: {} }).projects.defaults;
  it('applies overrides over the defaults', () => {
    expect(resolveProjectSettings(defaults, { pulse_interval: 900, deadman_timeout: 2000 })).toEqual({
      pulse_interval: 900, pulse_timeout: 120, deadman_timeout: 2000, max_attempts: 3, require_review: false, driver: 'simulated',
    });
  });
  it('refuses an override that breaks deadman >= 2 × interval + timeout, naming the keys', () => {
    try {
      resolveProjectSettings(defaults, { pulse_interval: 900 });
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(MissionError);
      expect((err as MissionError).code).toBe('INVALID_INPUT');
      expect((err as MissionError).message).toMatch(/deadman_timeout \(300\).*pulse_interval \(900\).*pulse_timeout \(120\)/);
    }
  });
  it('accepts the boundary value exactly', () => {
    expect(resolveProjectSettings(defaults, { pulse_interval: 100, pulse_timeout: 100, deadman_timeout: 300 }).deadman_timeout).toBe(300);
  });
  it('refuses unknown keys and wrong types', () => {
    expect(() => resolveProjectSettings(defaults, { pulse: 5 } as never)).toThrow(/pulse/);
    expect(() => resolveProjectSettings(defaults, { max_attempts: 0 })).toThrow(/max_attempts/);
  });
});

describe('settings table', () => {
  it('covers every leaf of the schema with a unique MC_ env name', () => {
    const leaves = configLeaves().map((l) => l.path).sort();
    expect(Object.keys(SETTINGS).sort()).toEqual(leaves);
    const envs = Object.values(SETTINGS).map((s) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const env of envs) expect(env).toMatch(/^MC_[A-Z0-9_]+$/);
  });
});

describe('README configuration table', () => {
  it('documents every setting with its env name', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    for (const [key, info] of Object.entries(SETTINGS)) {
      expect(readme).toMatch(new RegExp(`\\| \`${key.replace(/\./g, '\\.')}\`.*\\| \`${info.env}\` \\|`));
    }
  });
});

describe('ConfigSource reload', () => {
  it('applies a new log level and limits, keeps the port and reports it needs a restart', () => {
    const file = join(dir, 'reload.json');
    writeFileSync(file, JSON.stringify({ port: 7000, log_level: 'info' }));
    const source = new ConfigSource({ configFile: file, env: {} });
    const heard: string[] = [];
    source.subscribe((c) => heard.push(c.log_level));
    writeFileSync(file, JSON.stringify({ port: 7001, log_level: 'debug', limits: { max_projects: 3 } }));
    const result = source.reload();
    expect(result.ok).toBe(true);
    expect(result.applied.map((c) => c.key).sort()).toEqual(['limits.max_projects', 'log_level']);
    expect(result.needsRestart).toEqual([{ key: 'port', from: 7000, to: 7001 }]);
    expect(source.current).toMatchObject({ port: 7000, log_level: 'debug', limits: { max_projects: 3 } });
    expect(heard).toEqual(['debug']);
  });
  it('keeps the running configuration when the new one is invalid', () => {
    const file = join(dir, 'reload-bad.json');
    writeFileSync(file, JSON.stringify({ log_level: 'warn' }));
    const source = new ConfigSource({ configFile: file, env: {} });
    writeFileSync(file, JSON.stringify({ log_level: 'loud' }));
    const result = source.reload();
    expect(result.ok).toBe(false);
    expect(result.error?.message).toContain('log_level = "loud"');
    expect(source.current.log_level).toBe('warn');
  });
});
