import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { defaultMigrationsDir, Migrator, openDatabase, openStore, sha256, type SqliteDatabase } from '../../src/store/index.js';

let dir: string;
let db: SqliteDatabase | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-migrate-'));
});
afterEach(() => {
  db?.close();
  db = null;
  rmSync(dir, { recursive: true, force: true });
});

function schemaOf(d: SqliteDatabase): { type: string; name: string; sql: string | null }[] {
  return d
    .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
    .all() as { type: string; name: string; sql: string | null }[];
}

/** A private copy of the real migrations that a test may extend or edit. */
function copyMigrations(): string {
  const target = join(dir, 'migrations');
  cpSync(defaultMigrationsDir(), target, { recursive: true });
  return target;
}

function caught(fn: () => unknown): MissionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof MissionError) return err;
    throw err;
  }
  throw new Error('expected a MissionError');
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<MissionError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof MissionError) return err;
    throw err;
  }
  throw new Error('expected a MissionError');
}

/** The shipped migrations' last version, and the file prefix of one a newer build would add. */
const LATEST = readdirSync(defaultMigrationsDir()).filter((f) => f.endsWith('.up.sql')).length;
const NEXT = LATEST + 1;
const NEXT_ID = String(NEXT).padStart(4, '0');

describe('migration runner', () => {
  it('up, down to 0, up again leaves an identical schema', async () => {
    db = openDatabase(join(dir, 'a.db'));
    const m = new Migrator(db);
    await m.up();
    const first = schemaOf(db);
    // The initial schema's tables exist (SPEC data model), not just the runner's table.
    const tables = first.filter((r) => r.type === 'table').map((r) => r.name);
    for (const t of ['projects', 'tasks', 'events', 'agent_instances', 'api_tokens', 'schema_migrations']) {
      expect(tables).toContain(t);
    }
    const down = await m.down({ to: 0 });
    expect(down.to).toBe(0);
    expect(schemaOf(db).map((r) => r.name)).toEqual(['schema_migrations']);
    await m.up();
    expect(schemaOf(db)).toEqual(first);
  });

  it('reports each migration as pending on a fresh database and applied afterwards', async () => {
    db = openDatabase(join(dir, 'a.db'));
    const m = new Migrator(db);
    const files = readdirSync(defaultMigrationsDir()).filter((f) => f.endsWith('.up.sql'));
    expect(m.status().map((r) => r.state)).toEqual(files.map(() => 'pending'));
    await m.up();
    expect(m.status().map((r) => r.state)).toEqual(files.map(() => 'applied'));
    expect(m.status()[0]).toMatchObject({ version: 1, name: 'initial' });
  });

  it('refuses to run when an applied migration file was edited, naming the file', async () => {
    const migrations = copyMigrations();
    db = openDatabase(join(dir, 'a.db'));
    await new Migrator(db, { migrationsDir: migrations }).up();
    appendFileSync(join(migrations, '0001_initial.up.sql'), '\n-- a harmless looking edit\n');
    const m = new Migrator(db, { migrationsDir: migrations });
    const err = caught(() => m.verify());
    expect(err.code).toBe('MIGRATION_CHECKSUM_MISMATCH');
    expect(err.message).toContain('0001_initial.up.sql');
    expect(m.status()[0]?.state).toBe('edited');
    expect((await caughtAsync(() => m.up())).code).toBe('MIGRATION_CHECKSUM_MISMATCH');
  });

  it('refuses migrate down and start-up when an applied down file was edited, naming the file', async () => {
    const migrations = copyMigrations();
    const dataDir = join(dir, 'data');
    (await openStore({ dataDir, migrationsDir: migrations })).close();
    const lastDown = readdirSync(migrations).filter((f) => f.endsWith('.down.sql')).sort().at(-1)!;
    appendFileSync(join(migrations, lastDown), '\nDROP TABLE projects;\n');

    const startUp = await caughtAsync(() => openStore({ dataDir, migrationsDir: migrations }));
    expect(startUp.code).toBe('MIGRATION_CHECKSUM_MISMATCH');
    expect(startUp.message).toContain(lastDown);
    expect(startUp.data).toMatchObject({ file: lastDown, version: LATEST });

    db = openDatabase(join(dataDir, 'mission-control.db'));
    const m = new Migrator(db, { migrationsDir: migrations });
    expect(m.status().at(-1)?.state).toBe('edited');
    const rollback = await caughtAsync(() => m.down());
    expect(rollback.code).toBe('MIGRATION_CHECKSUM_MISMATCH');
    expect(rollback.message).toContain(lastDown);
    // The edited file did not run: the version and the tables it would drop are still there.
    expect(m.currentVersion()).toBe(LATEST);
    expect(schemaOf(db).map((r) => r.name)).toContain('projects');
  });

  it('records down checksums for a database applied before they existed, and catches a later edit', async () => {
    const migrations = copyMigrations();
    const file = join(dir, 'a.db');
    db = openDatabase(file);
    await new Migrator(db, { migrationsDir: migrations }).up();
    // The runner's table as older versions left it: no down checksum column.
    db.exec('ALTER TABLE schema_migrations DROP COLUMN down_checksum');
    db.close();

    // A read-only look (`migrate status` beside a live server) neither writes nor fails.
    db = openDatabase(file, { readonly: true });
    expect(new Migrator(db, { migrationsDir: migrations }).status().map((r) => r.state)).toEqual(Array(LATEST).fill('applied'));
    db.close();

    db = openDatabase(file);
    new Migrator(db, { migrationsDir: migrations }).verify();
    const recorded = db.prepare('SELECT version, down_checksum FROM schema_migrations ORDER BY version').all();
    const downs = readdirSync(migrations).filter((f) => f.endsWith('.down.sql')).sort();
    expect(recorded).toEqual(downs.map((f, i) => ({ version: i + 1, down_checksum: sha256(readFileSync(join(migrations, f))) })));

    appendFileSync(join(migrations, downs[0]!), '\n-- edited after the fact\n');
    const err = caught(() => new Migrator(db!, { migrationsDir: migrations }).verify());
    expect(err.code).toBe('MIGRATION_CHECKSUM_MISMATCH');
    expect(err.message).toContain(downs[0]);
  });

  it('refuses a database migrated by a newer version', async () => {
    const migrations = copyMigrations();
    writeFileSync(join(migrations, `${NEXT_ID}_future.up.sql`), 'CREATE TABLE future_things (id INTEGER PRIMARY KEY);');
    writeFileSync(join(migrations, `${NEXT_ID}_future.down.sql`), 'DROP TABLE future_things;');
    const dataDir = join(dir, 'data');
    const newer = await openStore({ dataDir, migrationsDir: migrations });
    newer.close();
    const err = await caughtAsync(() => openStore({ dataDir }));
    expect(err.code).toBe('DATABASE_TOO_NEW');
    expect(err.message).toContain(String(NEXT));
    expect(err.data).toMatchObject({ version: NEXT, name: 'future' });
    // The refusal released the lock: the newer code can still open it.
    (await openStore({ dataDir, migrationsDir: migrations })).close();
  });

  it('backs up a non-empty database before migrating it', async () => {
    const migrations = copyMigrations();
    const dataDir = join(dir, 'data');
    const first = await openStore({ dataDir, migrationsDir: migrations });
    expect(first.migration?.backup).toBeNull(); // a fresh database has nothing to lose
    first.db.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('alpha', 'Alpha', 1, 1)").run();
    first.close();
    writeFileSync(join(migrations, `${NEXT_ID}_extra.up.sql`), 'ALTER TABLE projects ADD COLUMN colour TEXT;');
    writeFileSync(join(migrations, `${NEXT_ID}_extra.down.sql`), 'ALTER TABLE projects DROP COLUMN colour;');
    const second = await openStore({ dataDir, migrationsDir: migrations });
    const backup = second.migration?.backup;
    expect(backup).toMatch(new RegExp(`backups/pre-migrate-v${LATEST}-.*\\.db$`));
    second.close();
    db = openDatabase(backup!, { readonly: true });
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: LATEST });
    expect(db.prepare('SELECT id FROM projects').all()).toEqual([{ id: 'alpha' }]);
  });

  it('runs each migration in its own transaction: a failing one leaves nothing half-applied', async () => {
    const migrations = copyMigrations();
    writeFileSync(join(migrations, `${NEXT_ID}_broken.up.sql`), 'CREATE TABLE half (id INTEGER);\nINSERT INTO no_such_table VALUES (1);');
    writeFileSync(join(migrations, `${NEXT_ID}_broken.down.sql`), 'DROP TABLE half;');
    db = openDatabase(join(dir, 'a.db'));
    const m = new Migrator(db, { migrationsDir: migrations });
    await expect(m.up()).rejects.toThrow(/no_such_table/);
    expect(m.currentVersion()).toBe(LATEST);
    expect(schemaOf(db).map((r) => r.name)).not.toContain('half');
  });

  it('migrates down one step by default and to a named version with --to', async () => {
    const migrations = copyMigrations();
    writeFileSync(join(migrations, `${NEXT_ID}_extra.up.sql`), 'CREATE TABLE extra (id INTEGER);');
    writeFileSync(join(migrations, `${NEXT_ID}_extra.down.sql`), 'DROP TABLE extra;');
    db = openDatabase(join(dir, 'a.db'));
    const m = new Migrator(db, { migrationsDir: migrations });
    await m.up();
    expect(m.currentVersion()).toBe(NEXT);
    const step = await m.down();
    expect(step.steps).toEqual([{ version: NEXT, name: 'extra', direction: 'down' }]);
    expect(m.currentVersion()).toBe(LATEST);
    await m.up();
    await m.down({ to: 0 });
    expect(m.currentVersion()).toBe(0);
    expect((await caughtAsync(() => m.down({ to: NEXT + 5 }))).code).toBe('INVALID_INPUT');
    await m.up();
    expect((await caughtAsync(() => m.up({ to: 1 }))).message).toContain('use down');
  });

  it('moves task snapshots into their tasks rows (4) and back (down to 3), agents and projects untouched', async () => {
    db = openDatabase(join(dir, 'a.db'));
    const m = new Migrator(db);
    await m.up({ to: 3 });
    // A blocked review-required task as version 3 stored it: the projection row and XState's
    // persisted snapshot beside it (written here by hand, as a v1 task machine persisted it).
    db.exec(`INSERT INTO projects (id, name, created_at, updated_at) VALUES ('p', 'P', 1, 1)`);
    db.exec(`INSERT INTO tasks (id, project_id, n, title, description, status, priority, assignee_id, depends_on, version, blocked_reason, blocked_from, attempts, created_at, updated_at)
             VALUES ('p-2', 'p', 2, 'Fix "it"', 'a\nb', 3, 2, 'shuri', '["p-1"]', 4, 'need a key', 1, 1, 10, 20)`);
    const context = {
      id: 'p-2', project_id: 'p', title: 'Fix "it"', description: 'a\nb', priority: 2, assignee_id: 'shuri', depends_on: ['p-1'],
      require_review: true, max_attempts: 5, attempts: 1, blocked_reason: 'need a key', blocked_from: 'in_progress', help_answer: 'try this', version: 4,
    };
    const task = { status: 'active', value: 'blocked', historyValue: {}, context, children: {} };
    const agent = { status: 'active', value: { working: 'idle' }, historyValue: {}, context: { id: 'shuri:p' }, children: {} };
    const insert = db.prepare('INSERT INTO actor_snapshots VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run('p-2', 'p', 'task', 'task', 1, JSON.stringify(task), '"blocked"', 0, 9, 20, 10);
    insert.run('shuri:p', 'p', 'agent', 'agent', 1, JSON.stringify(agent), '{"working":"idle"}', 0, 8, 20, 10);
    const before = db.prepare('SELECT * FROM actor_snapshots ORDER BY actor_id').all() as { snapshot: string }[];

    await m.up();
    const rows = db.prepare('SELECT * FROM actor_snapshot_rows ORDER BY actor_id').all() as { snapshot: string }[];
    const parsed = (list: { snapshot: string }[]): unknown[] => list.map((r) => ({ ...r, snapshot: JSON.parse(r.snapshot) as unknown }));
    expect(parsed(rows)).toEqual(parsed(before));
    expect(db.prepare('SELECT actor_id FROM actor_snapshots').all()).toEqual([{ actor_id: 'shuri:p' }]);
    expect(db.prepare('SELECT require_review, max_attempts, help_answer, machine_version, seq FROM tasks').get()).toEqual({ require_review: 1, max_attempts: 5, help_answer: 'try this', machine_version: 1, seq: 9 });

    await m.down({ to: 3 });
    expect(parsed(db.prepare('SELECT * FROM actor_snapshots ORDER BY actor_id').all() as { snapshot: string }[])).toEqual(parsed(before));
    expect(Object.keys(db.prepare('SELECT * FROM tasks').get() as object)).not.toContain('help_answer');
  });
});
