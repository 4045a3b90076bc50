import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  createMemoryBus,
  createNatsBus,
  createRuntime,
  loadPlugins,
  pluginMethods,
  PulseCredentialIssuer,
  RemoteRuntime,
  rosterOf,
  serveRuntimeOverBus,
  startDrivers,
  startStandups,
  type Bus,
  type Runtime,
} from '../actors/index.js';
import { packageRoot, packageVersion, type Config, type ConfigWatcher, type Logger } from '../config/index.js';
import { MissionError, systemClock, type MissionRuntime } from '../core/index.js';
import { Accounts, createGateway, type ReadinessCheck } from '../gateway/index.js';
import { BackupScheduler, backupsDir, createRepositories, openStore, ProjectsRepo, QueriesRepo, type SqliteDatabase } from '../store/index.js';
import { createProjectFiles, leadBriefFrom, Workspace } from '../workspace/index.js';
import { agentMethodPath } from './agent-path.js';
import { demoAdmin, keepDemoAdmin, seedDemo } from './demo.js';
import { startDemoDirector } from './demo-director.js';
import { GaplessRuntime } from './gapless-runtime.js';
import { httpMethodPath } from './http-agent-path.js';
import { answerRuntimePings, RuntimeProbe } from './runtime-probe.js';

export interface ServerContext {
  logger: Logger;
  /** The live configuration: reloaded on SIGHUP (log level, limits, project defaults, backups). */
  config: ConfigWatcher;
}

export interface RunningServer {
  /** http://host:port actually bound (port 0 resolved). */
  url: string;
  /**
   * The demo's sign-in, when `--demo` seeded or resumed the demo squad; `password` null when the
   * user existed with a password of its own.
   */
  demo?: { projectId: string; username: string; password: string | null };
  /** Stops accepting, finishes the group commit, stops actors, closes the store and the bus. */
  close(): Promise<void>;
}

/**
 * The composition root. `role: all` (default) runs the runtime and the gateway in one process
 * on the embedded bus (or NATS when `nats.url` is set, so more gateways can join); `runtime`
 * owns the data dir and the actors and serves commands over NATS; `gateway` serves HTTP/WS and
 * forwards commands to the runtime over NATS, reading the same SQLite file (WAL readers).
 */
export async function startServer(config: Config, ctx: ServerContext): Promise<RunningServer> {
  const { logger } = ctx;
  const hasRuntime = config.role !== 'gateway';
  const hasGateway = config.role !== 'runtime';
  if (config.role !== 'all' && !config.nats.url) {
    throw new MissionError('CONFIG_INVALID', `role ${config.role} needs a NATS server: set nats.url (MC_NATS_URL or --nats-url)`);
  }

  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error({ err }, 'error while shutting down');
      }
    }
  };

  try {
    const store = await openStore({
      dataDir: config.data_dir,
      synchronous: config.sync_mode,
      busyTimeoutMs: config.busy_timeout_ms,
      cacheMb: config.cache_mb,
      migrate: hasRuntime,
      lock: hasRuntime,
    });
    closers.push(() => store.close());
    if (store.migration && store.migration.steps.length > 0) {
      logger.info({ from: store.migration.from, to: store.migration.to, backup: store.migration.backup }, 'database migrated');
    }

    const { nats } = config;
    const bus: Bus = nats.url
      ? createNatsBus({
          servers: nats.url,
          name: `${nats.name}-${config.role}`,
          reconnectTimeWaitMs: nats.reconnect_time_wait_ms,
          ...(nats.token ? { token: nats.token } : {}),
          ...(nats.user ? { user: nats.user, pass: nats.pass ?? '' } : {}),
          onHandlerError: (err, subject) => logger.warn({ err, subject }, 'bus'),
        })
      : createMemoryBus();
    closers.push(() => bus.close());
    bus.onStatus((status) => logger.info({ bus: bus.kind, status }, 'bus status'));

    const workspace = new Workspace({
      dataDir: store.dataDir,
      lockTimeoutMs: config.lock_timeout_ms,
      lockRetries: config.lock_retries,
      maxFileBytes: config.limits.max_file_bytes,
    });
    const accounts = new Accounts(store.db);
    const demoSignIn = config.demo && hasRuntime ? demoAdmin(store.dataDir, config.admin) : null;
    const admin = demoSignIn ?? config.admin;
    // Whether the password printed for the demo signs in: not a generated one for a user that existed.
    let demoPasswordWorks = true;
    if (admin) {
      // Several processes may start at once on one file (split roles): whoever comes first creates it.
      const outcome = await ensureAdmin(accounts, admin);
      logger.info({ username: admin.username, outcome }, 'first administrator');
      if (demoSignIn?.generated) {
        if (outcome === 'created') keepDemoAdmin(store.dataDir, demoSignIn);
        else demoPasswordWorks = false;
      }
    }
    let publicUrl = config.public_url ?? `http://${config.host}:${config.port}`;
    // Bound once the gateway exists; the simulated squad calls mission methods through it.
    let gatewayApp: FastifyInstance | null = null;

    let runtime: Runtime | null = null;
    let methods: readonly { name: string }[] = [];
    if (hasRuntime) {
      const issuer = new PulseCredentialIssuer({
        url: () => publicUrl,
        mint: (instanceId, pulseId, expiresAt) => accounts.mintPulseToken(instanceId, pulseId, expiresAt),
        revoke: (token) => void accounts.revokeToken(token),
      });
      const callMethod = (name: string, params: Record<string, unknown>, context: { instanceId: string; token?: string }): Promise<unknown> => {
        if (!gatewayApp) throw new MissionError('SHUTTING_DOWN', 'the gateway is not serving');
        return agentMethodPath(gatewayApp)(name, params, context);
      };
      // A runtime without a gateway reaches mission methods (and tells agents MC_URL) through a
      // gateway's public URL; without one, agents would be sent to a process that has no /rpc.
      const remoteCall = !hasGateway && config.public_url ? httpMethodPath(config.public_url) : null;
      if (!hasGateway && !config.public_url) {
        logger.warn('role runtime without public_url: agents cannot be given a gateway URL and the simulated driver is off; set public_url (MC_PUBLIC_URL) to a gateway');
      }
      const rosterRepos = createRepositories(store.db);
      const loaded = await startDrivers(
        { drivers: config.drivers, plugins: config.plugins },
        {
          missionUrl: publicUrl,
          ...(hasGateway ? { callMethod } : remoteCall ? { callMethod: remoteCall } : {}),
          roster: (projectId) => rosterOf(rosterRepos, projectId),
          // Command-driven agents' process groups are recorded, so a restart can end orphans.
          onSpawn: (info) => runtime?.processStarted(info),
          onExit: (info) => runtime?.processExited(info),
        },
      );
      const { drivers } = loaded;
      methods = loaded.methods;
      for (const driver of drivers.values()) issuer.watch(driver);
      // The runtime publishes each commit on the bus (events, snapshots, inbox notifications);
      // on the in-process bus nothing is built for a subject nobody subscribes to.
      runtime = createRuntime({
        db: store.db,
        clock: systemClock,
        drivers,
        bus,
        files: createProjectFiles(workspace, { leadBrief: leadBriefFrom(store.db) }),
        defaults: config.projects.defaults,
        limits: config.limits,
        groupCommit: { maxDelayMs: config.group_commit.max_delay_ms, maxBatch: config.group_commit.max_batch },
        commitThread: config.group_commit.thread,
        logger: logger.child({ component: 'runtime' }),
        pulseCredentials: issuer.pulseCredentials,
      });
      const started = runtime;
      closers.push(async () => {
        await started.stop();
        await Promise.all([...drivers.values()].map((d) => d.close?.()));
      });
      const report = started.start();
      logger.info({ report }, 'actors restored');
      await started.ready();
      // SIGHUP: new projects' defaults and the limits apply from now on (SPEC §10).
      const unsubscribeSettings = ctx.config.subscribe((next) => {
        try {
          started.updateSettings({ defaults: next.projects.defaults, limits: next.limits });
        } catch (err) {
          logger.error({ err }, 'reloaded project defaults or limits refused; the previous ones stay');
        }
      });
      closers.push(unsubscribeSettings);
      closers.push(
        startStandups(started, {
          writeDaily: (p, at, text) => workspace.appendDaily(p, at, { author: 'standup', text }),
          logger,
          // The demo project is created after start: its first standup within a minute, not 15.
          ...(config.demo ? { checkEveryMs: 60_000 } : {}),
        }),
      );
      if (nats.url) {
        const service = serveRuntimeOverBus(started, bus, {
          // The runtime, created with this bus, already publishes each committed batch.
          publishEvents: false,
          onError: (err, where) => logger.warn({ err, ...where }, 'runtime over NATS'),
        });
        const pings = answerRuntimePings(bus, { ok: true, version: packageVersion(), started_at: Date.now() });
        closers.push(() => {
          pings.unsubscribe();
          service.stop();
        });
      }
    }

    let missionRuntime: MissionRuntime;
    const readiness: ReadinessCheck[] = [];
    if (runtime) {
      missionRuntime = runtime;
    } else {
      methods = pluginMethods(await loadPlugins(config.plugins));
      const remote = new RemoteRuntime(bus, {
        timeoutMs: nats.request_timeout_ms,
        onGap: (gap) => logger.debug(gap, 'events missed on NATS: read from the event log'),
      });
      const queries = new QueriesRepo(store.db);
      const projects = new ProjectsRepo(store.db);
      const gapless = new GaplessRuntime(
        remote,
        {
          eventsAfter: (projectId, after, limit) => queries.projectEventsAfter(projectId, after, limit),
          heads: () => new Map(projects.list().map((p) => [p.id, p.last_seq])),
        },
        {
          onFilled: (fill) => logger.info(fill, 'feed events read from the event log (not received on NATS)'),
          onError: (err) => logger.warn({ err }, 'feed catch-up from the event log failed'),
        },
      );
      closers.push(() => {
        gapless.close();
        remote.close();
      });
      missionRuntime = gapless;
      readiness.push(new RuntimeProbe(bus, { timeoutMs: Math.min(nats.request_timeout_ms, 2_000) }));
    }
    const app: FastifyInstance = hasGateway
      ? await createGateway({
          config: { ...config, admin },
          configUpdates: ctx.config,
          store,
          runtime: missionRuntime,
          workspace,
          bus,
          ...(runtime ? { drivers: runtime.drivers } : {}),
          readiness,
          pluginMethods: methods,
          logger,
          webRoot: join(packageRoot(), 'web', 'dist'),
        })
      : (Fastify({ loggerInstance: logger }) as unknown as FastifyInstance);
    if (!hasGateway) runtimeOps(app, { role: config.role, db: store.db, bus, drivers: runtime?.drivers ?? new Map() });
    closers.push(() => app.close());

    if (hasRuntime) {
      const scheduler = new BackupScheduler({
        db: store.db,
        dataDir: store.dataDir,
        dir: config.backups.dir ?? backupsDir(store.dataDir),
        settings: config.backups,
        clock: systemClock,
        onBackup: (r, pruned) => logger.info({ file: r.file, files: r.manifest.files.length, pruned }, 'scheduled backup written'),
        onError: (err) => logger.error({ err }, 'scheduled backup failed'),
      });
      const unsubscribe = ctx.config.subscribe((next) => scheduler.update(next.backups));
      scheduler.start();
      closers.push(async () => {
        unsubscribe();
        await scheduler.stop();
      });
    }

    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    publicUrl = config.public_url ?? url;
    gatewayApp = hasGateway ? app : null;
    logger.info({ url, data_dir: store.dataDir, role: config.role, bus: bus.kind, demo: config.demo }, `listening on ${url}`);

    let demo: RunningServer['demo'];
    if (config.demo && runtime && admin) {
      const { projectId, seeded } = await seedDemo(runtime, runtime.repos);
      closers.push(startDemoDirector({ runtime, repos: runtime.repos, projectId, clock: systemClock, onError: (err) => logger.warn({ err }, 'demo operator') }));
      demo = { projectId, username: admin.username, password: demoPasswordWorks ? admin.password : null };
      const squad = `demo squad ${seeded ? 'seeded' : 'resumed'}`;
      if (demoPasswordWorks) logger.info({ project: projectId, seeded }, `${squad}: sign in at ${url} as ${admin.username} / ${admin.password}`);
      else logger.warn({ project: projectId, seeded }, `${squad}: sign in at ${url} as ${admin.username} with its own password (the user existed before this data directory kept a demo password)`);
    }

    let closing: Promise<void> | null = null;
    return {
      url,
      ...(demo ? { demo } : {}),
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}


/** Creates the configured administrator unless it exists, tolerating a process that raced us to it. */
async function ensureAdmin(accounts: Accounts, admin: { username: string; password: string }): Promise<'created' | 'exists'> {
  try {
    return await accounts.ensureAdmin(admin.username, admin.password);
  } catch (err) {
    if (accounts.users.byUsername(admin.username)) return 'exists';
    throw err;
  }
}

/** `/healthz` and `/readyz` of a runtime-only process (no gateway): store, bus, drivers. */
function runtimeOps(
  app: FastifyInstance,
  deps: { role: string; db: SqliteDatabase; bus: Bus; drivers: Map<string, { health(): { ok: boolean; state: string; message?: string } }> },
): void {
  const queries = new QueriesRepo(deps.db);
  app.get('/healthz', async () => ({ ok: true, role: deps.role, version: packageVersion() }));
  app.get('/readyz', async (_req, reply) => {
    const components: { name: string; ok: boolean; state: string; message?: string }[] = [];
    const check = (name: string, fn: () => { ok: boolean; state: string; message?: string }): void => {
      try {
        components.push({ name, ...fn() });
      } catch (err) {
        components.push({ name, ok: false, state: 'error', message: err instanceof Error ? err.message : String(err) });
      }
    };
    check('store', () => ({ ok: queries.ping(), state: 'ok' }));
    check('bus', () => {
      const state = deps.bus.status();
      return { ok: state === 'connected', state };
    });
    for (const [name, driver] of deps.drivers) {
      check(`driver:${name}`, () => {
        const h = driver.health();
        return { ok: h.ok || h.state === 'degraded', state: h.state, ...(h.message ? { message: h.message } : {}) };
      });
    }
    const failing = components.filter((c) => !c.ok).map((c) => c.name);
    return reply.code(failing.length === 0 ? 200 : 503).send({ ok: failing.length === 0, role: deps.role, failing, components });
  });
}
