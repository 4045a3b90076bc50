import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  createMemoryBus,
  createNatsBus,
  createRuntime,
  PulseCredentialIssuer,
  RemoteRuntime,
  serveRuntimeOverBus,
  startDrivers,
  type Bus,
  type Runtime,
} from '../actors/index.js';
import { packageRoot, packageVersion, type Config, type ConfigWatcher, type Logger } from '../config/index.js';
import { MissionError, systemClock, type MissionRuntime } from '../core/index.js';
import { Accounts, createGateway } from '../gateway/index.js';
import { BackupScheduler, backupsDir, createRepositories, openStore, type SqliteDatabase } from '../store/index.js';
import { createProjectFiles, Workspace } from '../workspace/index.js';
import { agentMethodPath } from './agent-path.js';
import { demoAdmin, seedDemo } from './demo.js';

export interface ServerContext {
  logger: Logger;
  /** The live configuration: reloaded on SIGHUP (log level, limits, project defaults, backups). */
  config: ConfigWatcher;
}

export interface RunningServer {
  /** http://host:port actually bound (port 0 resolved). */
  url: string;
  /** The demo's sign-in, when `--demo` seeded or resumed the demo squad. */
  demo?: { projectId: string; username: string; password: string };
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
      migrate: hasRuntime,
      lock: hasRuntime,
    });
    closers.push(() => store.close());
    if (store.migration && store.migration.steps.length > 0) {
      logger.info({ from: store.migration.from, to: store.migration.to, backup: store.migration.backup }, 'database migrated');
    }

    const bus: Bus = config.nats.url
      ? createNatsBus({ servers: config.nats.url, name: `${config.nats.name}-${config.role}`, reconnectTimeWaitMs: config.nats.reconnect_time_wait_ms })
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
    const admin = config.demo && hasRuntime ? demoAdmin(store.dataDir, config.admin) : config.admin;
    let publicUrl = config.public_url ?? `http://${config.host}:${config.port}`;
    // Bound once the gateway exists; the simulated squad calls mission methods through it.
    let gatewayApp: FastifyInstance | null = null;

    let runtime: Runtime | null = null;
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
      const { drivers } = await startDrivers(
        { drivers: config.drivers, plugins: config.plugins },
        {
          missionUrl: publicUrl,
          ...(hasGateway ? { callMethod } : {}),
          roster: (projectId) => squadOf(store.db, projectId),
        },
      );
      for (const driver of drivers.values()) issuer.watch(driver);
      runtime = createRuntime({
        db: store.db,
        clock: systemClock,
        drivers,
        files: createProjectFiles(workspace),
        bus,
        defaults: config.projects.defaults,
        limits: config.limits,
        groupCommit: { maxDelayMs: config.group_commit.max_delay_ms, maxBatch: config.group_commit.max_batch },
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
      if (config.nats.url) {
        const service = serveRuntimeOverBus(started, bus, {
          publishEvents: false,
          onError: (err, where) => logger.warn({ err, ...where }, 'runtime over NATS'),
        });
        closers.push(() => service.stop());
      }
    }

    const missionRuntime: MissionRuntime =
      runtime ?? new RemoteRuntime(bus, { onGap: (gap) => logger.warn(gap, 'feed gap on NATS: clients resync from the event log') });
    const app: FastifyInstance = hasGateway
      ? await createGateway({
          config: { ...config, admin },
          configUpdates: ctx.config,
          store,
          runtime: missionRuntime,
          workspace,
          bus,
          ...(runtime ? { drivers: runtime.drivers } : {}),
          logger,
          webRoot: join(packageRoot(), 'web', 'dist'),
        })
      : (Fastify({ loggerInstance: logger }) as unknown as FastifyInstance);
    if (!hasGateway) app.get('/healthz', async () => ({ status: 'ok', role: config.role, version: packageVersion() }));
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
      demo = { projectId, username: admin.username, password: admin.password };
      logger.info({ project: projectId, seeded }, `demo squad ${seeded ? 'seeded' : 'resumed'}: sign in at ${url} as ${admin.username} / ${admin.password}`);
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

/** The live instances of a project with their souls' roles and skills (the simulated squad's roster). */
function squadOf(db: SqliteDatabase, projectId: string): { soul_id: string; name: string; role: string; skills: string[] }[] {
  const repos = createRepositories(db);
  return repos.agents
    .inProject(projectId)
    .filter((a) => a.state !== 'destroyed')
    .flatMap((a) => {
      const soul = repos.souls.get(a.soul_id);
      return soul ? [{ soul_id: soul.id, name: soul.name, role: soul.role, skills: soul.skills }] : [];
    });
}
