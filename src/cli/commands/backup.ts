import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MissionError } from '../../core/index.js';
import { createBackup, databaseFile, openDatabase } from '../../store/index.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromFlags, EXIT, type CliCommand } from '../command.js';

export const backupCommand: CliCommand = {
  name: 'backup',
  summary: 'Write an online backup (database + souls/ + projects/ + checksums) to a .tar.gz',
  usage: ['<file.tar.gz>'],
  details: ['Safe while the server runs.', '', 'Options:', CONFIG_HELP].join('\n'),
  options: { ...CONFIG_OPTIONS },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const config = configFromFlags(ctx);
    const file = databaseFile(config.data_dir);
    if (!existsSync(file)) throw new MissionError('NOT_FOUND', `no database at ${file}`);
    const db = openDatabase(file, { busyTimeoutMs: config.busy_timeout_ms });
    try {
      const result = await createBackup({ db, dataDir: config.data_dir, file: resolve(ctx.cwd, ctx.positionals[0]!) });
      ctx.out(`backup written: ${result.file} (${result.manifest.files.length} files, schema version ${result.manifest.schema_version})`);
      return EXIT.ok;
    } finally {
      db.close();
    }
  },
};
