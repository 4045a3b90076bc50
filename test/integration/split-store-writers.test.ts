import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepositories, databaseFile, openStore, type Store } from '../../src/store/index.js';

/**
 * In split roles the runtime and the gateways write one SQLite file (WAL) from different
 * processes: the runtime's group commits, the gateways' sessions and token `last_used_at`. A
 * deferred transaction that reads before it writes fails at once (SQLITE_BUSY_SNAPSHOT, no busy
 * wait) when another connection committed in between, which would fail a whole group commit.
 * The runtime's transactions must take the write lock when they begin; then a gateway's write
 * waits (busy_timeout) instead.
 */
let dir: string;
let store: Store;
let gateway: Database.Database;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-split-writers-'));
  store = await openStore({ dataDir: dir });
  // The gateway's own connection to the same file, as openStore gives it in gateway role.
  gateway = new Database(databaseFile(dir));
  gateway.pragma('busy_timeout = 0');
});

afterEach(() => {
  gateway.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const insertUser = (db: Database.Database, name: string): void => {
  db.prepare('INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?, ?, 0, 0)').run(name, 'x');
};

describe('the runtime transaction against a gateway process writing the same file', () => {
  it('holds the write lock from its first statement: a gateway write in between waits, and the commit succeeds', () => {
    const repos = createRepositories(store.db);
    let gatewayWrite: unknown = null;
    repos.transaction(() => {
      repos.projects.lastSeq('none'); // a read first, as the group commit's seq lookup does
      try {
        insertUser(gateway, 'during');
      } catch (err) {
        gatewayWrite = err;
      }
      insertUser(store.db, 'runtime');
    });
    // With busy_timeout 0 the gateway is told the database is busy (it would wait otherwise).
    expect(gatewayWrite).toMatchObject({ code: 'SQLITE_BUSY' });
    const names = (store.db.prepare('SELECT username FROM users ORDER BY username').all() as { username: string }[]).map((r) => r.username);
    expect(names).toEqual(['runtime']);
    insertUser(gateway, 'after');
    expect(store.db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 2 });
  });
});
