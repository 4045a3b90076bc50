import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;
export type SyncMode = 'NORMAL' | 'FULL';

export interface OpenDatabaseOptions {
  synchronous?: SyncMode;
  busyTimeoutMs?: number;
  readonly?: boolean;
  /**
   * SQLite's page cache of this connection, MiB (default 4). It fills as pages are read and
   * written and then stays full: it is resident memory the process holds for good, so it is a
   * setting, not left to grow with the database.
   */
  cacheMb?: number;
}

/**
 * 4 MiB, not better-sqlite3's build default of 16: the hot pages (index interiors, the latest
 * events, the projections) fit, and the OS page cache holds the rest of the file. Measured on
 * 2026-12-04 (docs/operations-figures.md): durable commits run as fast with 2, 4 or 16 MiB, while
 * a 16 MiB cache takes up to 16 MiB more RSS, filling at the database's growth rate for as long as
 * the database is smaller than it.
 */
export const DEFAULT_CACHE_MB = 4;

/** The pragmas of an open connection, for a second connection to the same file (the writer thread). */
export function writerOptionsOf(db: SqliteDatabase): { file: string; synchronous: SyncMode; busyTimeoutMs: number; cacheMb: number } {
  const synchronous = Number(db.pragma('synchronous', { simple: true })) >= 2 ? 'FULL' : 'NORMAL';
  const cacheSize = Number(db.pragma('cache_size', { simple: true }));
  // Positive cache_size counts pages, negative KiB.
  const cacheMb = cacheSize < 0 ? -cacheSize / 1024 : (cacheSize * Number(db.pragma('page_size', { simple: true }))) / 2 ** 20;
  return { file: db.name, synchronous, busyTimeoutMs: Number(db.pragma('busy_timeout', { simple: true })), cacheMb };
}

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
