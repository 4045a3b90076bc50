import { existsSync, mkdirSync } from 'node:fs';
import { MissionError } from '../../core/index.js';
import { backupsDir, databaseFile, DataDirLock, Migrator, openDatabase, type MigrateResult, type SqliteDatabase } from '../../store/index.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromFlags, EXIT, UsageError, type CliCommand, type CliContext } from '../command.js';

function parseTarget(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d+$/.test(text)) throw new UsageError(`--to expects a migration version number, got "${text}"`);
  return Number(text);
}

function report(ctx: CliContext, result: MigrateResult): void {
  if (result.backup) ctx.out(`backup: ${result.backup}`);
  for (const s of result.steps) ctx.out(`${s.direction === 'up' ? 'applied ' : 'reverted'} ${String(s.version).padStart(4, '0')} ${s.name}`);
  ctx.out(result.steps.length === 0 ? `nothing to do: schema version ${result.to}` : `schema version ${result.from} → ${result.to}`);
}

function status(ctx: CliContext, file: string): number {
  // A fresh data dir has no database yet: report against an empty one without creating the file.
  const exists = existsSync(file);
  const db = exists ? openDatabase(file, { readonly: true }) : null;
  const source = db && hasRunnerTable(db) ? db : openDatabase(':memory:');
  try {
    const rows = new Migrator(source).status();
    ctx.out(`database: ${file}${exists ? '' : ' (not created yet)'}`);
    for (const r of rows) {
      const when = r.applied_at ? `  ${new Date(r.applied_at).toISOString()}` : '';
      ctx.out(`${String(r.version).padStart(4, '0')}  ${r.name.padEnd(24)} ${r.state}${when}`);
    }
    return rows.some((r) => r.state === 'edited' || r.state === 'unknown') ? EXIT.failure : EXIT.ok;
  } finally {
    db?.close();
    if (source !== db) source.close();
  }
}

function hasRunnerTable(db: SqliteDatabase): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
}

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Apply, revert or list database migrations (backs up a non-empty database first)',
  usage: ['up [--to N]', 'down [--to N]', 'status'],
  details: [
    '  up       apply pending migrations (up to version N)',
    '  down     revert the last migration, or every one above version N (0 = all)',
    '  status   list each migration and its state: applied, pending, edited, unknown',
    '',
    'Options:',
    '  --to <N>              target version',
    CONFIG_HELP,
    '',
    'up/down refuse while a server holds the data directory (stop it first).',
  ].join('\n'),
  options: { ...CONFIG_OPTIONS, to: { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const action = ctx.positionals[0];
    if (action !== 'up' && action !== 'down' && action !== 'status') throw new UsageError(`unknown action "${action}" (up, down or status)`);
    const config = configFromFlags(ctx);
    const file = databaseFile(config.data_dir);
    if (action === 'status') {
      if (ctx.values.to !== undefined) throw new UsageError('--to applies to up and down only');
      return status(ctx, file);
    }
    const to = parseTarget(ctx.values.to);
    if (action === 'down' && !existsSync(file)) {
      throw new MissionError('NOT_FOUND', `no database at ${file}`);
    }
    mkdirSync(config.data_dir, { recursive: true });
    const lock = DataDirLock.acquire(config.data_dir);
    const db = openDatabase(file, { synchronous: config.sync_mode, busyTimeoutMs: config.busy_timeout_ms });
    try {
      const migrator = new Migrator(db, { backupDir: backupsDir(config.data_dir) });
      report(ctx, action === 'up' ? await migrator.up(to === undefined ? {} : { to }) : await migrator.down(to === undefined ? {} : { to }));
      return EXIT.ok;
    } finally {
      db.close();
      lock.release();
    }
  },
};
