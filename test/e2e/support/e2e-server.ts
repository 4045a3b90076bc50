/**
 * A real Mission Control server for the browser tests, run as its own process:
 * `tsx test/e2e/support/e2e-server.ts <data_dir>` prints one JSON line `{url}` when listening.
 * It composes the real store, runtime and gateway and serves the built web app with SPA fallback.
 * Until the lead's `src/app.ts` lands this is the composition; then it should call that instead.
 */
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Runtime } from '../../../src/actors/index.js';
import type { By, CommandEnvelope, CommandName, CommandParams } from '../../../src/core/index.js';
import { Accounts, createGateway } from '../../../src/gateway/index.js';
import { openStore } from '../../../src/store/index.js';
import { createProjectFiles, Workspace } from '../../../src/workspace/index.js';
import { E2E_USERS, E2E_PROJECT } from './fixtures.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: e2e-server.ts <data_dir>');
const webDist = fileURLToPath(new URL('../../../web/dist/', import.meta.url));
if (!existsSync(`${webDist}index.html`)) throw new Error('web/dist is missing: run `npm run build:web` first');

const logger = pino({ level: 'warn' });
const store = await openStore({ dataDir, migrate: true });
const workspace = new Workspace({ dataDir });
const runtime = new Runtime({ db: store.db, files: createProjectFiles(workspace), scheduling: false });
runtime.start();

const accounts = new Accounts(store.db);
const admin = await accounts.addUser(E2E_USERS.admin.username, E2E_USERS.admin.password, true);
const viewer = await accounts.addUser(E2E_USERS.viewer.username, E2E_USERS.viewer.password, false);
const by: By = { kind: 'human', userId: admin.id, username: admin.username, role: 'admin' };
const run = <N extends CommandName>(name: N, params: CommandParams<N>): Promise<unknown> =>
  runtime.execute({ name, params, by, principal_key: `user:${admin.id}` } as CommandEnvelope<N>);

for (const soul of E2E_PROJECT.souls) await run('soul.create', { soul_id: soul, name: soul[0]!.toUpperCase() + soul.slice(1), soul_md: `# ${soul}\n` });
await run('project.init', { project_name: E2E_PROJECT.name, project_id: E2E_PROJECT.id, base_id: [...E2E_PROJECT.souls] });
accounts.memberships.grant(viewer.id, E2E_PROJECT.id, 'viewer', Date.now());
// An agent credential, so tests can act as the instance `shuri:apollo` (log_event, request_help).
const agentToken = accounts.createToken({ instance: `${E2E_PROJECT.souls[1]}:${E2E_PROJECT.id}` }, { label: 'e2e agent' }).token;

const app = await createGateway({
  config: { limits: { rate_limit_per_minute: 100_000, max_ws_clients: 100, feed_retention_events: 0, max_message_bytes: 1 << 20 } },
  store,
  runtime,
  workspace,
  logger,
});
await app.register(fastifyStatic, { root: webDist, prefix: '/', wildcard: false });
// SPA fallback: any other GET that wants HTML is the app; API misses stay 404 JSON.
app.setNotFoundHandler((req, reply) => {
  if (req.method === 'GET' && !/^\/(rpc|ws|auth|api)(\/|$)/.test(req.url) && (req.headers.accept ?? '').includes('text/html')) {
    return reply.type('text/html').sendFile('index.html');
  }
  return reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } });
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, agent_token: agentToken })}\n`);

const stop = async (): Promise<void> => {
  await app.close();
  await runtime.stop();
  store.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
