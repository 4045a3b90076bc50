import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;
export type SyncMode = 'NORMAL' | 'FULL';

export interface OpenDatabaseOptions {
  synchronous?: SyncMode;
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/** Opens a SQLite file with the pragmas of DESIGN "Store": WAL, synchronous, busy timeout, FKs. */
export function openDatabase(file: string, opts: OpenDatabaseOptions = {}): SqliteDatabase {
  const db = new Database(file, { readonly: opts.readonly ?? false });
  if (!opts.readonly) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
  db.pragma('foreign_keys = ON');
  return db;
}
