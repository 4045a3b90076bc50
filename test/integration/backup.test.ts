import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, MissionError } from '../../src/core/index.js';
import { BackupScheduler, checkDatabaseFile, defaultMigrationsDir, createBackup, openStore, restoreBackup, type BackupResult, type SqliteDatabase, type Store } from '../../src/store/index.js';
import { ChildOutput, spawnTs, stopChild } from '../support/child.js';
import type { ChildProcess } from 'node:child_process';

let dir: string;
let dataDir: string;
let child: ChildProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-backup-'));
  dataDir = join(dir, 'data');
});
afterEach(async () => {
  if (child) await stopChild(child);
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

/** Every row of every table, in a stable order: what a restore must bring back. */
function dumpRows(db: SqliteDatabase): Record<string, unknown[]> {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables) out[name] = db.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2`).all();
  return out;
}

/** Every file under a folder with its content. */
function dumpFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(join(root, p), 'utf8');
    }
  };
  walk('');
  return out;
}

function seed(store: Store): void {
  const db = store.db;
  db.prepare("INSERT INTO projects (id, name, created_at, updated_at, last_seq, task_counter) VALUES ('apollo', 'Apollo', 1, 2, 2, 2)").run();
  db.prepare("INSERT INTO souls (id, name, created_at, updated_at) VALUES ('shuri', 'Shuri', 1, 1)").run();
  db.prepare("INSERT INTO soul_versions (soul_id, version, soul_md, content_hash, created_at) VALUES ('shuri', 1, '# Shuri', 'h', 1)").run();
  db.prepare("INSERT INTO tasks (id, project_id, n, title, created_at, updated_at) VALUES ('apollo-1', 'apollo', 1, 'Launch', 1, 1), ('apollo-2', 'apollo', 2, 'Land ✓', 1, 1)").run();
  db.prepare("INSERT INTO events (project_id, seq, ts, type, actor_kind, actor_id, payload) VALUES ('apollo', 1, 1, 'task.created', 'task', 'apollo-1', '{}'), ('apollo', 2, 2, 'task.created', 'task', 'apollo-2', '{}')").run();
  mkdirSync(join(dataDir, 'souls', 'shuri'), { recursive: true });
  writeFileSync(join(dataDir, 'souls', 'shuri', 'SOUL.md'), '# Shuri\nBuilds things.\n');
  mkdirSync(join(dataDir, 'projects', 'apollo', 'agents', 'shuri'), { recursive: true });
  writeFileSync(join(dataDir, 'projects', 'apollo', 'KANBAN.md'), '# Board\n');
  writeFileSync(join(dataDir, 'projects', 'apollo', 'agents', 'shuri', 'learned.md'), 'gravity matters\n');
}

async function refusal(p: Promise<unknown>): Promise<MissionError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MissionError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('backup and restore', () => {
  it('restores every row and file, and the result passes check', async () => {
    const store = await openStore({ dataDir });
    seed(store);
    const rows = dumpRows(store.db);
    const souls = dumpFiles(join(dataDir, 'souls'));
    const projects = dumpFiles(join(dataDir, 'projects'));
    const archive = join(dir, 'nightly.tar.gz');
    const { manifest } = await createBackup({ db: store.db, dataDir, file: archive });
    expect(manifest.files.map((f) => f.path).sort()).toEqual([
      'mission-control.db',
      'projects/apollo/KANBAN.md',
      'projects/apollo/agents/shuri/learned.md',
      'souls/shuri/SOUL.md',
    ]);
    // Damage after the backup: rows gone, a file edited, a file added.
    store.db.prepare("DELETE FROM events").run();
    store.db.prepare("UPDATE tasks SET title = 'changed'").run();
    writeFileSync(join(dataDir, 'projects', 'apollo', 'KANBAN.md'), 'scribbled');
    writeFileSync(join(dataDir, 'souls', 'stray.md'), 'not in the backup');
    store.close();

    const result = await restoreBackup({ dataDir, file: archive });
    expect(result.previous).toMatch(/backups\/pre-restore-/);
    expect(dumpFiles(join(dataDir, 'souls'))).toEqual(souls);
    expect(dumpFiles(join(dataDir, 'projects'))).toEqual(projects);
    expect(checkDatabaseFile(join(dataDir, 'mission-control.db')).ok).toBe(true);
    const reopened = await openStore({ dataDir });
    expect(dumpRows(reopened.db)).toEqual(rows);
    reopened.close();
  });

  it('refuses a truncated archive and leaves the data directory untouched', async () => {
    const store = await openStore({ dataDir });
    seed(store);
    const archive = join(dir, 'cut.tar.gz');
    await createBackup({ db: store.db, dataDir, file: archive });
    store.db.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('after', 'After', 3, 3)").run();
    const rows = dumpRows(store.db);
    store.close();
    truncateSync(archive, Math.floor(statSync(archive).size / 2));
    const err = await refusal(restoreBackup({ dataDir, file: archive }));
    expect(err.code).toBe('BACKUP_INVALID');
    const again = await openStore({ dataDir });
    expect(dumpRows(again.db)).toEqual(rows);
    again.close();
  });

  it('refuses an archive whose member does not match its checksum, naming the member', async () => {
    const store = await openStore({ dataDir });
    seed(store);
    const archive = join(dir, 'good.tar.gz');
    await createBackup({ db: store.db, dataDir, file: archive });
    store.close();
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    await tar.x({ file: archive, cwd: unpacked });
    writeFileSync(join(unpacked, 'souls', 'shuri', 'SOUL.md'), '# Shuri\nEvil twin.\n');
    const tampered = join(dir, 'tampered.tar.gz');
    await tar.c({ gzip: true, file: tampered, cwd: unpacked }, readdirSync(unpacked));
    const err = await refusal(restoreBackup({ dataDir, file: tampered }));
    expect(err.code).toBe('BACKUP_INVALID');
    expect(err.message).toContain('souls/shuri/SOUL.md');
    expect(readFileSync(join(dataDir, 'souls', 'shuri', 'SOUL.md'), 'utf8')).toBe('# Shuri\nBuilds things.\n');
  });

  it('refuses an archive without a manifest and a file that is not an archive', async () => {
    const bare = join(dir, 'bare');
    mkdirSync(bare);
    writeFileSync(join(bare, 'mission-control.db'), 'x');
    const noManifest = join(dir, 'no-manifest.tar.gz');
    await tar.c({ gzip: true, file: noManifest, cwd: bare }, ['mission-control.db']);
    expect((await refusal(restoreBackup({ dataDir, file: noManifest }))).message).toContain('manifest.json is missing');
    const junk = join(dir, 'junk.tar.gz');
    writeFileSync(junk, 'this is not gzip');
    expect((await refusal(restoreBackup({ dataDir, file: junk }))).code).toBe('BACKUP_INVALID');
  });

  it('refuses a backup taken by a newer version before changing anything', async () => {
    const migrations = join(dir, 'migrations');
    cpSync(defaultMigrationsDir(), migrations, { recursive: true });
    // One version past the shipped migrations, as a newer build would add it.
    const next = String(readdirSync(migrations).filter((f) => f.endsWith('.up.sql')).length + 1).padStart(4, '0');
    writeFileSync(join(migrations, `${next}_future.up.sql`), 'CREATE TABLE future_things (id INTEGER);');
    writeFileSync(join(migrations, `${next}_future.down.sql`), 'DROP TABLE future_things;');
    const newer = await openStore({ dataDir: join(dir, 'newer'), migrationsDir: migrations });
    const archive = join(dir, 'from-the-future.tar.gz');
    await createBackup({ db: newer.db, dataDir: newer.dataDir, file: archive });
    newer.close();
    const store = await openStore({ dataDir });
    seed(store);
    const rows = dumpRows(store.db);
    store.close();
    expect((await refusal(restoreBackup({ dataDir, file: archive }))).code).toBe('DATABASE_TOO_NEW');
    const again = await openStore({ dataDir });
    expect(dumpRows(again.db)).toEqual(rows);
    again.close();
  });

  it('refuses to restore while a server process holds the data directory', async () => {
    const store = await openStore({ dataDir });
    const archive = join(dir, 'a.tar.gz');
    await createBackup({ db: store.db, dataDir, file: archive });
    store.close();
    child = spawnTs('test/support/fixtures/hold-store.ts', [dataDir]);
    await new ChildOutput(child).waitFor(/^holding /);
    const err = await refusal(restoreBackup({ dataDir, file: archive }));
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.data).toMatchObject({ pid: child.pid });
  });
});

describe('scheduled backups', () => {
  it('writes one archive per interval and keeps only the newest `retain`', async () => {
    const store = await openStore({ dataDir });
    seed(store);
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const backupDir = join(dir, 'scheduled');
    mkdirSync(backupDir);
    writeFileSync(join(backupDir, 'pre-migrate-v1-keepme.db'), 'unrelated');
    const written: BackupResult[] = [];
    let notify: () => void = () => undefined;
    const scheduler = new BackupScheduler({
      db: store.db,
      dataDir,
      dir: backupDir,
      settings: { enabled: true, interval_hours: 6, retain: 2 },
      clock,
      onBackup: (r) => {
        written.push(r);
        notify();
      },
      onError: (err) => {
        throw err;
      },
    });
    scheduler.start();
    clock.advance(6 * 3_600_000 - 1);
    expect(written).toHaveLength(0); // never early
    for (let i = 1; i <= 3; i++) {
      const done = new Promise<void>((r) => (notify = r));
      clock.advance(i === 1 ? 1 : 6 * 3_600_000);
      await done;
    }
    await scheduler.stop();
    expect(written).toHaveLength(3);
    const left = readdirSync(backupDir).sort();
    expect(left).toEqual([
      'mission-control-2026-01-01T12-00-00-000Z.tar.gz',
      'mission-control-2026-01-01T18-00-00-000Z.tar.gz',
      'pre-migrate-v1-keepme.db',
    ]);
    store.close();
  });
});
