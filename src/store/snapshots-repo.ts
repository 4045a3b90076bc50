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

/** Persisted actor snapshots `{machine_id, machine_version, snapshot}` (DESIGN "Actors"). */
export class SnapshotsRepo {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly residentStmt;
  private readonly deleteStmt;

  constructor(db: SqliteDatabase) {
    this.upsertStmt = db.prepare<[string, string, string, string, number, string, string, number, number, number, number]>(
      `INSERT INTO actor_snapshots (actor_id, project_id, kind, machine_id, machine_version, snapshot, state_value, passive, seq, updated_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(actor_id) DO UPDATE SET machine_id = excluded.machine_id, machine_version = excluded.machine_version,
         snapshot = excluded.snapshot, state_value = excluded.state_value, passive = excluded.passive,
         seq = excluded.seq, updated_at = excluded.updated_at`,
    );
    this.getStmt = db.prepare<[string], SnapshotRow>('SELECT * FROM actor_snapshots WHERE actor_id = ?');
    this.residentStmt = db.prepare<[], SnapshotRow>('SELECT * FROM actor_snapshots WHERE passive = 0');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM actor_snapshots WHERE actor_id = ?');
  }

  upsert(row: SnapshotRow): void {
    this.upsertStmt.run(
      row.actor_id,
      row.project_id,
      row.kind,
      row.machine_id,
      row.machine_version,
      row.snapshot,
      row.state_value,
      row.passive,
      row.seq,
      row.updated_at,
      row.created_at,
    );
  }

  get(actorId: string): SnapshotRow | undefined {
    return this.getStmt.get(actorId);
  }

  /** Streams the rows of resident (non-passive) actors, for restore at start. */
  resident(): IterableIterator<SnapshotRow> {
    return this.residentStmt.iterate();
  }

  delete(actorId: string): void {
    this.deleteStmt.run(actorId);
  }
}
