/**
 * The shipped Mission Control server for the browser tests, run as its own process:
 * `tsx test/e2e/support/e2e-server.ts <data_dir> [--demo]` calls `startServer` (the composition
 * root `serve` uses) with a config from `loadConfig` and prints one JSON line on stdout when
 * listening. Logs go to stderr so that line is the only stdout output.
 *
 * Without `--demo` it seeds the fixture of `fixtures.ts` the way an operator would: the admin
 * from the config, souls and the project through JSON-RPC over HTTP; the viewer and an agent
 * token through the accounts database, as the `user`/`token` CLI commands do on a running server.
 * With `--demo` it seeds nothing: the demo squad and its sign-in are the server's own.
 */
import { ConfigSource, createLogger, type ConfigInputs } from '../../../src/config/index.js';
import { startServer } from '../../../src/app/index.js';
import { Accounts } from '../../../src/gateway/index.js';
import { databaseFile, openDatabase } from '../../../src/store/index.js';
import { E2E_PROJECT, E2E_USERS } from './fixtures.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: e2e-server.ts <data_dir> [--demo]');
const demo = process.argv.includes('--demo');

// Pulses of the fixture project are a day apart so the simulated squad stays out of the way of
// tests that drive tasks themselves (the demo sets its own pace in its project settings).
const flags: Record<string, string | boolean> = {
  data_dir: dataDir,
  host: '127.0.0.1',
  port: '0',
  log_level: demo ? 'info' : 'warn',
  'backups.enabled': 'false',
  'limits.rate_limit_per_minute': '100000',
  'limits.max_ws_clients': '100',
  'projects.defaults.pulse_interval': '86400',
  'projects.defaults.pulse_timeout': '600',
  'projects.defaults.deadman_timeout': '604800',
  ...(demo ? { demo: true } : { admin: `${E2E_USERS.admin.username}:${E2E_USERS.admin.password}` }),
};
// Only these settings: the developer's MC_* environment must not leak into the tests.
const inputs: ConfigInputs = { flags, env: {}, configFile: null };
const source = new ConfigSource(inputs);
const logger = createLogger(source.current, { destination: process.stderr });
const server = await startServer(source.current, { logger, config: source });

let agentToken: string | null = null;
if (!demo) {
  const login = await fetch(`${server.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(E2E_USERS.admin),
  });
  if (!login.ok) throw new Error(`fixture sign-in failed: ${login.status}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  let id = 0;
  const rpc = async (method: string, params: Record<string, unknown>): Promise<void> => {
    const res = await fetch(`${server.url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = (await res.json()) as { error?: { message: string } };
    if (body.error) throw new Error(`fixture ${method}: ${body.error.message}`);
  };
  for (const soul of E2E_PROJECT.souls) {
    await rpc('mission.soul.create', { soul_id: soul, name: soul[0]!.toUpperCase() + soul.slice(1), soul_md: `# ${soul}\n` });
  }
  await rpc('mission.project.init', { project_name: E2E_PROJECT.name, project_id: E2E_PROJECT.id, base_id: [...E2E_PROJECT.souls] });

  const db = openDatabase(databaseFile(dataDir), {});
  try {
    const accounts = new Accounts(db);
    const viewer = await accounts.addUser(E2E_USERS.viewer.username, E2E_USERS.viewer.password, false);
    accounts.memberships.grant(viewer.id, E2E_PROJECT.id, 'viewer', Date.now());
    // An agent credential, so tests can act as the instance `shuri:apollo` (log_event, request_help).
    agentToken = accounts.createToken({ instance: `${E2E_PROJECT.souls[1]}:${E2E_PROJECT.id}` }, { label: 'e2e agent' }).token;
  } finally {
    db.close();
  }
}

process.stdout.write(`${JSON.stringify({ url: server.url, agent_token: agentToken, demo: server.demo ?? null })}\n`);

const stop = async (): Promise<void> => {
  await server.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
