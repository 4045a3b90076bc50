import { existsSync } from 'node:fs';
import { MissionError } from '../../core/index.js';
import { checkDatabaseFile, databaseFile } from '../../store/index.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromFlags, EXIT, type CliCommand } from '../command.js';

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Check database integrity and foreign keys (exit 1 on any problem)',
  usage: [''],
  details: ['Runs PRAGMA integrity_check and PRAGMA foreign_key_check read-only.', '', 'Options:', CONFIG_HELP].join('\n'),
  options: { ...CONFIG_OPTIONS },
  async run(ctx) {
    const config = configFromFlags(ctx);
    const file = databaseFile(config.data_dir);
    if (!existsSync(file)) throw new MissionError('NOT_FOUND', `no database at ${file}`);
    const result = checkDatabaseFile(file);
    for (const line of result.integrity) ctx.err(`integrity: ${line}`);
    for (const fk of result.foreignKeys) ctx.err(`foreign key: ${fk.table} row ${fk.rowid ?? '?'} points to a missing ${fk.parent} row`);
    ctx.out(result.ok ? `ok: ${file}` : `FAILED: ${result.integrity.length} integrity and ${result.foreignKeys.length} foreign key problem(s)`);
    return result.ok ? EXIT.ok : EXIT.failure;
  },
};
