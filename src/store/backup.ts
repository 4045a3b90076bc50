import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as tar from 'tar';
import { MissionError, type Clock, type TimerHandle } from '../core/index.js';
import { openDatabase, type SqliteDatabase } from './db.js';
import { DataDirLock } from './lock.js';
import { Migrator } from './migrate.js';
import { DATABASE_FILE } from './store.js';

/**
 * Backup archives (SPEC §10): one `.tar.gz` holding an online copy of the database
 * (better-sqlite3 `backup()`), the `souls/` and `projects/` folders and `manifest.json` with the
 * sha256 of every member. Restore verifies all of it before touching the data directory.
 */

export const BACKUP_FORMAT = 'mission-control-backup';
const MANIFEST = 'manifest.json';
/** The data-dir folders that travel with the database. */
export const BACKUP_FOLDERS = ['souls', 'projects'] as const;

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  format_version: 1;
  created_at: string;
  schema_version: number;
  files: { path: string; size: number; sha256: string }[];
}

export interface BackupResult {
  file: string;
  manifest: BackupManifest;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function listFiles(root: string, under = ''): string[] {
  const dir = join(root, under);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = under ? `${under}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

function schemaVersion(db: SqliteDatabase): number {
  const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!has) return 0;
  return (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
}

/** Writes a backup archive of a live data directory; safe while the server runs (online backup). */
export async function createBackup(opts: { db: SqliteDatabase; dataDir: string; file: string }): Promise<BackupResult> {
  const dataDir = resolve(opts.dataDir);
  const target = resolve(opts.file);
  mkdirSync(dirname(target), { recursive: true });
  const stage = mkdtempSync(join(dirname(target), '.backup-'));
  try {
    // All pages in one step: SQLite restarts a stepped backup whenever another connection (the
    // commit writer thread) writes between steps, so a busy server's would never finish.
    await opts.db.backup(join(stage, DATABASE_FILE), { progress: () => 0x7fffffff });
    for (const folder of BACKUP_FOLDERS) {
      const from = join(dataDir, folder);
      if (existsSync(from)) cpSync(from, join(stage, folder), { recursive: true });
    }
    const files = await Promise.all(
      listFiles(stage).map(async (path) => ({ path, size: statSync(join(stage, path)).size, sha256: await sha256File(join(stage, path)) })),
    );
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      format_version: 1,
      created_at: new Date().toISOString(),
      schema_version: schemaVersion(opts.db),
      files,
    };
    writeFileSync(join(stage, MANIFEST), JSON.stringify(manifest, null, 2));
    const partial = `${target}.partial`;
    await tar.c({ gzip: true, file: partial, cwd: stage, portable: true }, [MANIFEST, ...files.map((f) => f.path)]);
    renameSync(partial, target); // a crash mid-write never leaves a plausible-looking archive
    return { file: target, manifest };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function invalid(file: string, why: string, data: Record<string, unknown> = {}): MissionError {
  return new MissionError('BACKUP_INVALID', `backup ${file} is not usable: ${why}`, { file, ...data });
}

function parseManifest(file: string, text: string): BackupManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    throw invalid(file, 'manifest.json is not JSON');
  }
  const manifest = m as Partial<BackupManifest>;
  if (manifest.format !== BACKUP_FORMAT || manifest.format_version !== 1 || !Array.isArray(manifest.files)) {
    throw invalid(file, 'manifest.json is not a Mission Control backup manifest');
  }
  for (const f of manifest.files) {
    if (typeof f?.path !== 'string' || typeof f.sha256 !== 'string' || typeof f.size !== 'number') {
      throw invalid(file, 'manifest.json lists a malformed entry');
    }
  }
  return manifest as BackupManifest;
}

/**
 * Extracts an archive into `into` and checks it completely: readable gzip/tar, a manifest, every
 * listed member present with its size and sha256, nothing unlisted, and a sound database.
 */
export async function verifyBackup(file: string, into: string): Promise<BackupManifest> {
  const archive = resolve(file);
  if (!existsSync(archive)) throw invalid(archive, 'no such file');
  mkdirSync(into, { recursive: true });
  try {
    await tar.x({
      file: archive,
      cwd: into,
      strict: true,
      // Only plain files and folders: a link could point outside the data directory.
      filter: (_path, entry) => ('type' in entry ? entry.type === 'File' || entry.type === 'Directory' : true),
    });
  } catch (err) {
    throw invalid(archive, `cannot read the archive (${(err as Error).message})`);
  }
  const manifestFile = join(into, MANIFEST);
  if (!existsSync(manifestFile)) throw invalid(archive, 'manifest.json is missing');
  const manifest = parseManifest(archive, readFileSync(manifestFile, 'utf8'));
  const listed = new Set(manifest.files.map((f) => f.path));
  if (!listed.has(DATABASE_FILE)) throw invalid(archive, `${DATABASE_FILE} is not in the manifest`);
  for (const f of manifest.files) {
    const path = resolve(into, f.path);
    if (!path.startsWith(resolve(into) + sep)) throw invalid(archive, `manifest path ${f.path} leaves the archive`);
    if (!existsSync(path)) throw invalid(archive, `${f.path} is missing`, { member: f.path });
    if (statSync(path).size !== f.size || (await sha256File(path)) !== f.sha256) {
      throw invalid(archive, `${f.path} does not match its checksum`, { member: f.path });
    }
  }
  const extra = listFiles(into).filter((p) => p !== MANIFEST && !listed.has(p));
  if (extra.length > 0) throw invalid(archive, `unlisted member ${extra[0]}`, { member: extra[0] });
  const problems = checkDatabaseFile(join(into, DATABASE_FILE));
  if (!problems.ok) throw invalid(archive, `the database fails its integrity check: ${problems.integrity.concat(problems.foreignKeys.map((f) => JSON.stringify(f))).join('; ')}`);
  return manifest;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Where the replaced database and folders were moved (kept as a safety net). */
  previous: string | null;
}

/**
 * Replaces a data directory's database and folders with a verified archive. Refuses while a
 * server holds the data directory (DATA_DIR_LOCKED) and before any change when the archive is bad.
 */
export async function restoreBackup(opts: { dataDir: string; file: string }): Promise<RestoreResult> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const lock = DataDirLock.acquire(dataDir);
  const stage = mkdtempSync(join(dataDir, '.restore-'));
  try {
    const manifest = await verifyBackup(opts.file, stage);
    refuseNewerSchema(join(stage, DATABASE_FILE));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const members = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, ...BACKUP_FOLDERS];
    const present = members.filter((m) => existsSync(join(dataDir, m)));
    let previous: string | null = null;
    if (present.length > 0) {
      previous = join(dataDir, 'backups', `pre-restore-${stamp}`);
      mkdirSync(previous, { recursive: true });
      for (const m of present) renameSync(join(dataDir, m), join(previous, m));
    }
    renameSync(join(stage, DATABASE_FILE), join(dataDir, DATABASE_FILE));
    for (const folder of BACKUP_FOLDERS) {
      if (existsSync(join(stage, folder))) renameSync(join(stage, folder), join(dataDir, folder));
    }
    return { manifest, previous };
  } finally {
    rmSync(stage, { recursive: true, force: true });
    lock.release();
  }
}

/** A backup taken by a newer Mission Control would not start here: refuse it before replacing anything. */
function refuseNewerSchema(file: string): void {
  const db = openDatabase(file);
  try {
    new Migrator(db).verify();
  } finally {
    db.close();
  }
}

export interface CheckResult {
  ok: boolean;
  /** Rows of `PRAGMA integrity_check` other than "ok". */
  integrity: string[];
  /** Rows of `PRAGMA foreign_key_check`. */
  foreignKeys: { table: string; rowid: number | null; parent: string; fkid: number }[];
}

export function checkDatabase(db: SqliteDatabase): CheckResult {
  const integrity = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[])
    .map((r) => r.integrity_check)
    .filter((r) => r !== 'ok');
  const foreignKeys = db.prepare('PRAGMA foreign_key_check').all() as CheckResult['foreignKeys'];
  return { ok: integrity.length === 0 && foreignKeys.length === 0, integrity, foreignKeys };
}

/** Checks a database file without changing it; a file SQLite cannot open counts as a failure. */
export function checkDatabaseFile(file: string): CheckResult {
  let db: SqliteDatabase | null = null;
  try {
    db = openDatabase(file, { readonly: true });
    return checkDatabase(db);
  } catch (err) {
    return { ok: false, integrity: [`cannot open ${relative(process.cwd(), file) || file}: ${(err as Error).message}`], foreignKeys: [] };
  } finally {
    db?.close();
  }
}

export interface BackupScheduleSettings {
  enabled: boolean;
  interval_hours: number;
  retain: number;
}

const SCHEDULED_RE = /^mission-control-\d{4}-\d{2}-\d{2}T[\d-]+Z\.tar\.gz$/;

export interface BackupSchedulerOptions {
  db: SqliteDatabase;
  dataDir: string;
  /** Folder of the scheduled archives. */
  dir: string;
  settings: BackupScheduleSettings;
  clock: Clock;
  onBackup?: (result: BackupResult, pruned: string[]) => void;
  onError?: (err: unknown) => void;
}

/**
 * Takes a backup every `interval_hours` into `dir` and keeps the newest `retain` scheduled
 * archives (other files there, such as pre-migration copies, are left alone). Settings can change
 * live (SIGHUP); the next run is re-armed from the last one.
 */
export class BackupScheduler {
  private timer: TimerHandle | null = null;
  private settings: BackupScheduleSettings;
  private lastRunAt: number;
  private running: Promise<void> | null = null;

  constructor(private readonly opts: BackupSchedulerOptions) {
    this.settings = opts.settings;
    this.lastRunAt = opts.clock.now();
  }

  start(): void {
    this.arm();
  }

  update(settings: BackupScheduleSettings): void {
    this.settings = settings;
    if (this.timer) this.arm();
  }

  /** Stops the timer and waits for a backup in progress. */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    await this.running;
  }

  private arm(): void {
    this.timer?.cancel();
    this.timer = null;
    if (!this.settings.enabled) return;
    const at = this.lastRunAt + this.settings.interval_hours * 3_600_000;
    this.timer = this.opts.clock.at(at, () => void this.runOnce());
  }

  /** One scheduled backup plus pruning; errors go to `onError`, never up. */
  async runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.lastRunAt = this.opts.clock.now();
    this.running = (async () => {
      try {
        const stamp = new Date(this.lastRunAt).toISOString().replace(/[:.]/g, '-');
        const result = await createBackup({ db: this.opts.db, dataDir: this.opts.dataDir, file: join(this.opts.dir, `mission-control-${stamp}.tar.gz`) });
        this.opts.onBackup?.(result, this.prune());
      } catch (err) {
        this.opts.onError?.(err);
      } finally {
        this.running = null;
        if (this.timer) this.arm();
      }
    })();
    return this.running;
  }

  private prune(): string[] {
    const scheduled = readdirSync(this.opts.dir).filter((f) => SCHEDULED_RE.test(f)).sort();
    const doomed = scheduled.slice(0, Math.max(0, scheduled.length - this.settings.retain));
    for (const f of doomed) rmSync(join(this.opts.dir, f), { force: true });
    return doomed;
  }
}
