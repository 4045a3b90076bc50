import { resolve } from 'node:path';
import { restoreBackup } from '../../store/index.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromFlags, EXIT, type CliCommand } from '../command.js';

export const restoreCommand: CliCommand = {
  name: 'restore',
  summary: 'Replace the database and project files with a verified backup archive',
  usage: ['<file.tar.gz>'],
  details: [
    'Verifies every checksum and the database integrity before changing anything, and refuses',
    'while a server holds the data directory. The replaced files are kept in',
    '<data_dir>/backups/pre-restore-<time>/.',
    '',
    'Options:',
    CONFIG_HELP,
  ].join('\n'),
  options: { ...CONFIG_OPTIONS },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const config = configFromFlags(ctx);
    const result = await restoreBackup({ dataDir: config.data_dir, file: resolve(ctx.cwd, ctx.positionals[0]!) });
    ctx.out(`restored ${result.manifest.files.length} files (schema version ${result.manifest.schema_version}, taken ${result.manifest.created_at})`);
    if (result.previous) ctx.out(`previous data kept in ${result.previous}`);
    ctx.out('start the server to apply any newer migrations');
    return EXIT.ok;
  },
};
