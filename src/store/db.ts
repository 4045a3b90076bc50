import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;
export type SyncMode = 'NORMAL' | 'FULL';

export interface OpenDatabaseOptions {
  synchronous?: SyncMode;
  busyTimeoutMs?: number;
  readonly?: boolean;
  /**
   * SQLite's page cache of this connection, MiB (default 16, better-sqlite3's build default). It
   * fills as pages are read and written and then stays full: it is resident memory the process
   * holds for good, so it is a setting, not left to grow with the database.
   */
  cacheMb?: number;
}

export const DEFAULT_CACHE_MB = 16;

/** Opens a SQLite file with the pragmas of DESIGN "Store": WAL, synchronous, busy timeout, FKs, page cache size. */
export function openDatabase(file: string, opts: OpenDatabaseOptions = {}): SqliteDatabase {
  const db = new Database(file, { readonly: opts.readonly ?? false });
  if (!opts.readonly) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
  db.pragma('foreign_keys = ON');
  // A negative cache_size is in KiB.
  db.pragma(`cache_size = ${-Math.max(1, Math.floor((opts.cacheMb ?? DEFAULT_CACHE_MB) * 1024))}`);
  return db;
}
