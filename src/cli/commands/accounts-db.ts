import { existsSync } from 'node:fs';
import type { Config } from '../../config/index.js';
import { Accounts } from '../../gateway/index.js';
import { databaseFile, openDatabase, openStore, type SqliteDatabase } from '../../store/index.js';

/**
 * The database for `user` / `token` commands. A running server holds the data-dir lock, and a
 * token must work on it at once (SPEC §9), so an existing, migrated database is opened directly
 * (SQLite WAL serialises the writes); a fresh data dir is created and migrated under the lock.
 */
export async function openAccountsDb(config: Config): Promise<{ db: SqliteDatabase; close(): void }> {
  const file = databaseFile(config.data_dir);
  if (existsSync(file)) {
    const db = openDatabase(file, { busyTimeoutMs: config.busy_timeout_ms });
    const migrated = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'api_tokens'").get() !== undefined;
    if (migrated) return { db, close: () => db.close() };
    db.close();
  }
  const store = await openStore({ dataDir: config.data_dir, busyTimeoutMs: config.busy_timeout_ms });
  return { db: store.db, close: () => store.close() };
}

/** Runs `fn` with the accounts of the data dir, closing the database after it, whatever happens. */
export async function withAccounts<T>(config: Config, fn: (accounts: Accounts) => T | Promise<T>): Promise<T> {
  const db = await openAccountsDb(config);
  try {
    return await fn(new Accounts(db.db));
  } finally {
    db.close();
  }
}
