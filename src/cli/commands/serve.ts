import { ConfigSource, createLogger, redactConfig } from '../../config/index.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configInputs, EXIT, UsageError, type CliCommand, type CliContext } from '../command.js';
import { missingHeapFlags, missingMallocTuning, startServer } from '../../app/index.js';

/** `--nats` is how issue 4's deployment notes spell `--nats-url`; both name the same setting. */
function withNatsAlias(ctx: CliContext): CliContext {
  const alias = ctx.values.nats;
  if (alias === undefined) return ctx;
  const flag = ctx.values['nats-url'];
  if (flag !== undefined && flag !== alias) throw new UsageError('--nats and --nats-url name different servers; give one of them');
  return { ...ctx, values: { ...ctx.values, 'nats-url': alias } };
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Run the Mission Control server (SIGHUP reloads configuration, SIGTERM stops it)',
  usage: ['[--config file] [--host h] [--port p] [--data-dir d] [--log-level l] [--nats-url u | --nats u] [--role r] [--demo] [--set key=value]…'],
  details: [
    'Options:',
    CONFIG_HELP,
    '  --host <host>         listen address (MC_HOST; default 127.0.0.1)',
    '  --port <port>         listen port, 0 for any free one (MC_PORT; default 7400)',
    '  --log-level <level>   fatal|error|warn|info|debug|trace|silent (MC_LOG_LEVEL)',
    '  --nats-url <url>      NATS server; omit for the in-process bus (MC_NATS_URL)',
    '  --nats <url>          the same as --nats-url',
    '  --role <role>         all|gateway|runtime (MC_ROLE; split roles need NATS)',
    '  --demo                seed a demo project with a simulated squad (MC_DEMO=1)',
  ].join('\n'),
  options: {
    ...CONFIG_OPTIONS,
    host: { type: 'string' },
    port: { type: 'string' },
    'log-level': { type: 'string' },
    'nats-url': { type: 'string' },
    nats: { type: 'string' },
    role: { type: 'string' },
    demo: { type: 'boolean' },
  },
  async run(ctx) {
    const source = new ConfigSource(configInputs(withNatsAlias(ctx)));
    const config = source.current;
    const logger = createLogger(config);
    source.subscribe((next) => {
      logger.level = next.log_level;
      logger.debug({ config: redactConfig(next) }, 'configuration in effect');
    });
    const stopWatching = source.watchSignal(logger, 'SIGHUP');
    logger.debug({ config: redactConfig(config) }, 'configuration loaded');
    const untuned = missingMallocTuning(process.env);
    if (untuned.length > 0) {
      logger.warn({ missing: untuned }, 'glibc malloc thresholds not set: freed memory may stay resident and RSS grow; launch as ops/mission-control.service and npm start do (README "Deployment")');
    }
    const heapFlags = missingHeapFlags();
    if (heapFlags.length > 0) {
      logger.warn({ missing: heapFlags }, 'node started without the V8 heap flags: under load garbage collection takes a large share of the actors\' thread; launch as ops/mission-control.service and npm start do (README "Deployment")');
    }
    let server;
    try {
      server = await startServer(config, { logger, config: source });
    } catch (err) {
      stopWatching();
      throw err;
    }
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    logger.info({ signal }, 'shutting down');
    // A second signal means "now": skip the graceful path.
    const forceExit = (): void => {
      logger.warn('second signal: exiting without finishing shutdown');
      process.exit(1);
    };
    process.once('SIGTERM', forceExit);
    process.once('SIGINT', forceExit);
    stopWatching();
    await server.close();
    logger.info('stopped');
    return EXIT.ok;
  },
};
