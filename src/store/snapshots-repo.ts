import type { SqliteDatabase } from './db.js';

export type ActorKindName = 'task' | 'agent' | 'project';

export interface SnapshotRow {
  actor_id: string;
  project_id: string;
  kind: ActorKindName;
  machine_id: string;
  machine_version: number;
  snapshot: string;
  state_value: string;
  passive: number;
  seq: number;
  updated_at: number;
  created_at: number;
}

/**
 * A snapshot row as a commit writes it, in the INSERT's column order, the snapshot and state
 * value as JSON text. Built on the runtime's thread and sent to the writer thread as is: a
 * tuple of primitives costs the least to copy between threads, where an object graph costs as
 * much to clone as to stringify and twice that to rebuild on the other side.
 */
export type SnapshotWrite = [
  actor_id: string,
  project_id: string,
  kind: ActorKindName,
  machine_id: string,
  machine_version: number,
  snapshot: string,
  state_value: string,
  passive: 0 | 1,
  seq: number,
  updated_at: number,
  created_at: number,
];

/** A snapshot row without its JSON: enough to check that this build can restore it. */
export type SnapshotHead = Pick<SnapshotRow, 'actor_id' | 'project_id' | 'kind' | 'machine_id' | 'machine_version'>;

/** Rows per multi-row upsert (11 columns × 16 = 176 parameters); an actor appears once per batch. */
const SNAPSHOT_CHUNK = 16;

/**
 * Persisted actor snapshots `{machine_id, machine_version, snapshot}` (DESIGN "Actors"). Agents'
 * and projects' are `actor_snapshots` rows, written here; a task's is its `tasks` row (written
 * by `TasksRepo`). Reads go through the `actor_snapshot_rows` view, which renders both alike.
 */
export class SnapshotsRepo {
  private readonly upsertStmt;
  private readonly chunkStmt;
  private readonly rewriteStmt;
  private readonly getStmt;
  private readonly existsStmt;
  private readonly residentStmt;
  private readonly headsStmt;

  constructor(db: SqliteDatabase) {
    this.upsertStmt = db.prepare<SnapshotWrite>(
      `INSERT INTO actor_snapshots (actor_id, project_id, kind, machine_id, machine_version, snapshot, state_value, passive, seq, updated_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(actor_id) DO UPDATE SET machine_id = excluded.machine_id, machine_version = excluded.machine_version,
         snapshot = excluded.snapshot, state_value = excluded.state_value, passive = excluded.passive,
         seq = excluded.seq, updated_at = excluded.updated_at`,
    );
    this.chunkStmt = db.prepare<unknown[]>(
      `INSERT INTO actor_snapshots (actor_id, project_id, kind, machine_id, machine_version, snapshot, state_value, passive, seq, updated_at, created_at)
       VALUES ${Array(SNAPSHOT_CHUNK).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT(actor_id) DO UPDATE SET machine_id = excluded.machine_id, machine_version = excluded.machine_version,
         snapshot = excluded.snapshot, state_value = excluded.state_value, passive = excluded.passive,
         seq = excluded.seq, updated_at = excluded.updated_at`,
    );
    // `passive` and `project_id` stay out of the SET: the resident index (passive, project_id)
    // is then left alone, where an upsert rewrites its entry for every actor of every commit.
    this.rewriteStmt = db.prepare<[string, number, string, string, number, number, string]>(
      `UPDATE actor_snapshots SET machine_id = ?, machine_version = ?, snapshot = ?, state_value = ?, seq = ?, updated_at = ?
       WHERE actor_id = ?`,
    );
    this.getStmt = db.prepare<[string], SnapshotRow>('SELECT * FROM actor_snapshot_rows WHERE actor_id = ?');
    this.existsStmt = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM actor_snapshot_rows WHERE actor_id = ?');
    this.residentStmt = db.prepare<[], SnapshotRow>('SELECT * FROM actor_snapshot_rows WHERE passive = 0');
    // From the tables, not the view: the view would render every task's snapshot JSON to drop it.
    this.headsStmt = db.prepare<[], SnapshotHead>(
      `SELECT actor_id, project_id, kind, machine_id, machine_version FROM actor_snapshots WHERE passive = 0
       UNION ALL
       SELECT id, project_id, 'task', 'task', machine_version FROM tasks WHERE status NOT IN (2, 4)`,
    );
  }

  upsert(row: SnapshotWrite): void {
    this.upsertStmt.run(...row);
  }

  /** Upserts a batch (one snapshot per actor, a group commit's), SNAPSHOT_CHUNK rows per statement. */
  upsertMany(rows: readonly SnapshotWrite[]): void {
    let i = 0;
    for (; i + SNAPSHOT_CHUNK <= rows.length; i += SNAPSHOT_CHUNK) {
      this.chunkStmt.run(rows.slice(i, i + SNAPSHOT_CHUNK).flat());
    }
    for (; i < rows.length; i++) this.upsert(rows[i]!);
  }

  /**
   * Writes a batch of snapshots whose stored row is known to have the same `passive` flag: each
   * row is rewritten in place. A row that turns out missing is upserted instead, so the result
   * is always that of `upsertMany`.
   */
  rewriteMany(rows: readonly SnapshotWrite[]): void {
    let missing: SnapshotWrite[] | undefined;
    for (const r of rows) {
      const [actorId, , , machineId, machineVersion, snapshot, stateValue, , seq, updatedAt] = r;
      if (this.rewriteStmt.run(machineId, machineVersion, snapshot, stateValue, seq, updatedAt, actorId).changes === 0) (missing ??= []).push(r);
    }
    if (missing) this.upsertMany(missing);
  }

  exists(actorId: string): boolean {
    return this.existsStmt.get(actorId) !== undefined;
  }

  get(actorId: string): SnapshotRow | undefined {
    return this.getStmt.get(actorId);
  }

  /** Streams the rows of resident (non-passive) actors, for restore at start. */
  resident(): IterableIterator<SnapshotRow> {
    return this.residentStmt.iterate();
  }

  /** What restore needs of each resident actor without its snapshot JSON (read on first use). */
  residentHeads(): IterableIterator<SnapshotHead> {
    return this.headsStmt.iterate();
  }
}
