import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MissionError } from '../core/index.js';
import { packageRoot } from '../config/index.js';
import type { SqliteDatabase } from './db.js';

/** One versioned schema change: `migrations/NNNN_name.up.sql` and its `.down.sql`. */
export interface Migration {
  version: number;
  name: string;
  upFile: string;
  downFile: string;
  up: string;
  down: string;
  /** sha256 of the up file; recorded when applied, compared on every start. */
  checksum: string;
  /** sha256 of the down file; recorded when applied, compared on every start (a rollback runs it). */
  downChecksum: string;
}

export type MigrationState = 'applied' | 'pending' | 'edited' | 'unknown';

export interface MigrationStatusRow {
  version: number;
  name: string;
  state: MigrationState;
  applied_at: number | null;
}

export interface MigrationStep {
  version: number;
  name: string;
  direction: 'up' | 'down';
}

export interface MigrateResult {
  from: number;
  to: number;
  steps: MigrationStep[];
  /** File written before the first step, or null (empty database, nothing to do). */
  backup: string | null;
}

export interface MigratorOptions {
  migrationsDir?: string;
  /** Where the pre-migration backup goes; usually `<data_dir>/backups`. Null disables it. */
  backupDir?: string | null;
  now?: () => number;
}

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$/;

export function defaultMigrationsDir(): string {
  return join(packageRoot(), 'migrations');
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads and pairs the migration files; a version without both halves is a packaging error. */
export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  const halves = new Map<number, { name: string; up?: string; down?: string }>();
  for (const file of readdirSync(dir).sort()) {
    const m = FILE_RE.exec(file);
    if (!m) continue;
    const version = Number(m[1]);
    const entry = halves.get(version) ?? { name: m[2]! };
    if (entry.name !== m[2]) {
      throw new MissionError('INTERNAL', `migration ${m[1]} has two names: ${entry.name} and ${m[2]}`);
    }
    entry[m[3] as 'up' | 'down'] = file;
    halves.set(version, entry);
  }
  return [...halves.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, h]) => {
      if (!h.up || !h.down) {
        throw new MissionError('INTERNAL', `migration ${version} (${h.name}) lacks its ${h.up ? 'down' : 'up'} file`);
      }
      const up = readFileSync(join(dir, h.up), 'utf8');
      const down = readFileSync(join(dir, h.down), 'utf8');
      return {
        version,
        name: h.name,
        upFile: h.up,
        downFile: h.down,
        up,
        down,
        checksum: sha256(up),
        downChecksum: sha256(down),
      };
    });
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  /** Null for a row applied before down files were checksummed, until the next writable run fills it. */
  down_checksum: string | null;
  applied_at: number;
}

/**
 * The migration runner (SPEC §10): ordered files, checksums in `schema_migrations`, up / down /
 * status, each step in its own transaction, a backup before changing a non-empty database.
 */
export class Migrator {
  readonly migrations: Migration[];
  private readonly backupDir: string | null;
  private readonly now: () => number;
  /** False only for a read-only database made before down checksums existed. */
  private readonly hasDownChecksums: boolean;

  constructor(
    private readonly db: SqliteDatabase,
    opts: MigratorOptions = {},
  ) {
    this.migrations = loadMigrations(opts.migrationsDir);
    this.backupDir = opts.backupDir ?? null;
    this.now = opts.now ?? Date.now;
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     INTEGER PRIMARY KEY,
      name        TEXT NOT NULL,
      checksum    TEXT NOT NULL,
      applied_at  INTEGER NOT NULL,
      down_checksum TEXT
    )`);
    this.hasDownChecksums = this.adoptDownChecksums();
  }

  /**
   * Databases migrated before down files were checksummed: the runner owns its table, so it adds
   * the column and records today's down file for each applied row lacking one (the best witness
   * left; from then on an edit is caught). Returns whether the column exists.
   */
  private adoptDownChecksums(): boolean {
    const columns = this.db.prepare('PRAGMA table_info(schema_migrations)').all() as { name: string }[];
    const present = columns.some((c) => c.name === 'down_checksum');
    if (this.db.readonly) return present; // `migrate status` on a live server's file: look, never write
    const lacking = present && this.db.prepare('SELECT 1 FROM schema_migrations WHERE down_checksum IS NULL LIMIT 1').get() !== undefined;
    if (present && !lacking) return true; // the usual start: no write transaction
    this.db.transaction(() => {
      if (!present) this.db.exec('ALTER TABLE schema_migrations ADD COLUMN down_checksum TEXT');
      const fill = this.db.prepare('UPDATE schema_migrations SET down_checksum = ? WHERE version = ? AND down_checksum IS NULL');
      for (const m of this.migrations) fill.run(m.downChecksum, m.version);
    })();
    return true;
  }

  private applied(): AppliedRow[] {
    const down = this.hasDownChecksums ? 'down_checksum' : 'NULL AS down_checksum';
    return this.db
      .prepare(`SELECT version, name, checksum, ${down}, applied_at FROM schema_migrations ORDER BY version`)
      .all() as AppliedRow[];
  }

  /** The file of `m` whose recorded checksum differs from the file on disk, or null. */
  private editedFile(m: Migration, a: AppliedRow): { file: string; recorded: string; actual: string } | null {
    if (m.checksum !== a.checksum) return { file: m.upFile, recorded: a.checksum, actual: m.checksum };
    if (a.down_checksum !== null && m.downChecksum !== a.down_checksum) {
      return { file: m.downFile, recorded: a.down_checksum, actual: m.downChecksum };
    }
    return null;
  }

  /** The highest applied version (0 for a fresh database). */
  currentVersion(): number {
    const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
    return row.v ?? 0;
  }

  latestVersion(): number {
    return this.migrations.at(-1)?.version ?? 0;
  }

  status(): MigrationStatusRow[] {
    const applied = new Map(this.applied().map((r) => [r.version, r]));
    const rows: MigrationStatusRow[] = this.migrations.map((m) => {
      const a = applied.get(m.version);
      const state: MigrationState = !a ? 'pending' : this.editedFile(m, a) ? 'edited' : 'applied';
      return { version: m.version, name: m.name, state, applied_at: a?.applied_at ?? null };
    });
    for (const a of applied.values()) {
      if (!this.migrations.some((m) => m.version === a.version)) {
        rows.push({ version: a.version, name: a.name, state: 'unknown', applied_at: a.applied_at });
      }
    }
    return rows.sort((x, y) => x.version - y.version);
  }

  /** Refuses a database this code cannot safely run: newer versions, or edited applied files (up or down). */
  verify(): void {
    for (const a of this.applied()) {
      const m = this.migrations.find((x) => x.version === a.version);
      if (!m) {
        throw new MissionError(
          'DATABASE_TOO_NEW',
          `the database has migration ${a.version} (${a.name}) which this version of Mission Control lacks (latest ${this.latestVersion()}); upgrade Mission Control or restore a backup`,
          { version: a.version, name: a.name, latest: this.latestVersion() },
        );
      }
      const edited = this.editedFile(m, a);
      if (edited) {
        throw new MissionError(
          'MIGRATION_CHECKSUM_MISMATCH',
          `migration file ${edited.file} was edited after it was applied (recorded sha256 ${edited.recorded.slice(0, 12)}…, now ${edited.actual.slice(0, 12)}…); restore the file and add a new migration instead`,
          { file: edited.file, version: m.version, recorded: edited.recorded, actual: edited.actual },
        );
      }
    }
  }

  pending(): Migration[] {
    const current = this.currentVersion();
    return this.migrations.filter((m) => m.version > current);
  }

  /** Applies pending migrations up to `to` (default: all). */
  async up(opts: { to?: number } = {}): Promise<MigrateResult> {
    this.verify();
    const target = opts.to ?? this.latestVersion();
    this.assertKnownTarget(target);
    const from = this.currentVersion();
    if (target < from) {
      throw new MissionError('INVALID_INPUT', `cannot migrate up to ${target}: the database is already at ${from} (use down)`, { to: target, current: from });
    }
    const todo = this.migrations.filter((m) => m.version > from && m.version <= target);
    const backup = todo.length > 0 ? await this.backupIfNonEmpty(from) : null;
    const steps: MigrationStep[] = [];
    for (const m of todo) {
      this.db.transaction(() => {
        this.db.exec(m.up);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, checksum, down_checksum, applied_at) VALUES (?, ?, ?, ?, ?)')
          .run(m.version, m.name, m.checksum, m.downChecksum, this.now());
      })();
      steps.push({ version: m.version, name: m.name, direction: 'up' });
    }
    return { from, to: this.currentVersion(), steps, backup };
  }

  /** Reverts applied migrations above `to` (default: the last one only). */
  async down(opts: { to?: number } = {}): Promise<MigrateResult> {
    this.verify();
    const from = this.currentVersion();
    const applied = this.applied().map((a) => a.version);
    const target = opts.to ?? applied.at(-2) ?? 0;
    if (target !== 0) this.assertKnownTarget(target);
    if (target > from) {
      throw new MissionError('INVALID_INPUT', `cannot migrate down to ${target}: the database is at ${from}`, { to: target, current: from });
    }
    const todo = this.migrations.filter((m) => m.version > target && applied.includes(m.version)).reverse();
    const backup = todo.length > 0 ? await this.backupIfNonEmpty(from) : null;
    const steps: MigrationStep[] = [];
    for (const m of todo) {
      this.db.transaction(() => {
        this.db.exec(m.down);
        this.db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(m.version);
      })();
      steps.push({ version: m.version, name: m.name, direction: 'down' });
    }
    return { from, to: this.currentVersion(), steps, backup };
  }

  private assertKnownTarget(target: number): void {
    if (!Number.isInteger(target) || target < 0 || (target !== 0 && !this.migrations.some((m) => m.version === target))) {
      throw new MissionError('INVALID_INPUT', `no migration with version ${target}`, {
        to: target,
        allowed: [0, ...this.migrations.map((m) => m.version)],
      });
    }
  }

  /** A non-empty database is one holding any table besides the runner's own. */
  private isEmpty(): boolean {
    const row = this.db
      .prepare(
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'",
      )
      .get() as { n: number };
    return row.n === 0;
  }

  private async backupIfNonEmpty(fromVersion: number): Promise<string | null> {
    if (!this.backupDir || this.isEmpty()) return null;
    mkdirSync(this.backupDir, { recursive: true });
    const stamp = new Date(this.now()).toISOString().replace(/[:.]/g, '-');
    const file = join(this.backupDir, `pre-migrate-v${fromVersion}-${stamp}.db`);
    await this.db.backup(file);
    return file;
  }
}
