import Fastify from 'fastify';
import { packageVersion, type Config, type ConfigWatcher, type Logger } from '../config/index.js';
import { systemClock } from '../core/index.js';
import { BackupScheduler, backupsDir, openStore } from '../store/index.js';

export interface ServerContext {
  logger: Logger;
  /** The live configuration: reloaded on SIGHUP (log level, limits, project defaults, backups). */
  config: ConfigWatcher;
}

export interface RunningServer {
  /** http://host:port actually bound (port 0 resolved). */
  url: string;
  /** Stops accepting, finishes work in progress, closes the store and releases the data dir. */
  close(): Promise<void>;
}

/**
 * Starts the Mission Control server for one configuration. The foundation version serves
 * `/healthz` only; the gateway and runtime are wired in here.
 */
export async function startServer(config: Config, ctx: ServerContext): Promise<RunningServer> {
  const { logger } = ctx;
  const store = await openStore({
    dataDir: config.data_dir,
    synchronous: config.sync_mode,
    busyTimeoutMs: config.busy_timeout_ms,
    migrate: true,
  });
  if (store.migration && store.migration.steps.length > 0) {
    logger.info({ from: store.migration.from, to: store.migration.to, backup: store.migration.backup }, 'database migrated');
  }
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
  const app = Fastify({ loggerInstance: logger });
  app.get('/healthz', async () => ({ status: 'ok', version: packageVersion() }));
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    unsubscribe();
    store.close();
    throw err;
  }
  scheduler.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, data_dir: store.dataDir, role: config.role, demo: config.demo }, `listening on ${url}`);
  let closing: Promise<void> | null = null;
  return {
    url,
    close() {
      closing ??= (async () => {
        unsubscribe();
        await app.close();
        await scheduler.stop();
        store.close();
      })();
      return closing;
    },
  };
}
