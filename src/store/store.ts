import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MissionError } from '../core/index.js';
import { openDatabase, type SqliteDatabase, type SyncMode } from './db.js';
import { DataDirLock } from './lock.js';
import { Migrator, type MigrateResult } from './migrate.js';

export const DATABASE_FILE = 'mission-control.db';

export interface OpenStoreOptions {
  dataDir: string;
  synchronous?: SyncMode;
  busyTimeoutMs?: number;
  /** SQLite page cache, MiB (`openDatabase`). */
  cacheMb?: number;
  /** Apply pending migrations (after a backup of a non-empty database). Default true. */
  migrate?: boolean;
  /** Take the data-dir lock. Default true; only read-only tools on a live server skip it. */
  lock?: boolean;
  migrationsDir?: string;
}

export interface Store {
  db: SqliteDatabase;
  /** Absolute path of the data directory. */
  dataDir: string;
  /** Absolute path of the SQLite file. */
  file: string;
  /** What the start-up migration did (null when `migrate: false`). */
  migration: MigrateResult | null;
  /** Closes the database and releases the data-dir lock. Safe to call twice. */
  close(): void;
}

export function databaseFile(dataDir: string): string {
  return join(resolve(dataDir), DATABASE_FILE);
}

export function backupsDir(dataDir: string): string {
  return join(resolve(dataDir), 'backups');
}

/**
 * Opens the data directory the way the server does: lock it, open the database, refuse a schema
 * newer than this code or an edited migration, then migrate up (backing up first).
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const lock = opts.lock === false ? null : DataDirLock.acquire(dataDir);
  let db: SqliteDatabase | null = null;
  try {
    const file = databaseFile(dataDir);
    db = openDatabase(file, {
      ...(opts.synchronous ? { synchronous: opts.synchronous } : {}),
      ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}),
      ...(opts.cacheMb !== undefined ? { cacheMb: opts.cacheMb } : {}),
    });
    const migrator = new Migrator(db, {
      ...(opts.migrationsDir ? { migrationsDir: opts.migrationsDir } : {}),
      backupDir: backupsDir(dataDir),
    });
    migrator.verify();
    let migration: MigrateResult | null = null;
    if (opts.migrate !== false) {
      migration = await migrator.up();
    } else if (migrator.pending().length > 0) {
      throw new MissionError(
        'STORE_UNAVAILABLE',
        `the database is at schema version ${migrator.currentVersion()} but this code needs ${migrator.latestVersion()}; run \`mission-control migrate up\``,
        { current: migrator.currentVersion(), latest: migrator.latestVersion() },
      );
    }
    const opened = db;
    let closed = false;
    return {
      db: opened,
      dataDir,
      file,
      migration,
      close() {
        if (closed) return;
        closed = true;
        try {
          opened.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (err) {
    db?.close();
    lock?.release();
    throw err;
  }
}
