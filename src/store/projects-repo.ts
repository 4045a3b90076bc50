import type { SqliteDatabase } from './db.js';

export interface ProjectRow {
  id: string;
  name: string;
  settings: string;
  task_counter: number;
  last_seq: number;
  archived_at: number | null;
  deleted_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Project rows; ids are never reused, so a deleted project's row stays (`deleted_at`). */
export class ProjectsRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly lastSeqStmt;
  private readonly setLastSeqStmt;
  private readonly counterStmt;
  private readonly archiveStmt;
  private readonly deleteStmt;
  private readonly countStmt;
  private readonly settingsStmt;
  private readonly prefixedStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, string, string, number, number]>(
      'INSERT INTO projects (id, name, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.getStmt = db.prepare<[string], ProjectRow>('SELECT * FROM projects WHERE id = ?');
    this.listStmt = db.prepare<[], ProjectRow>('SELECT * FROM projects WHERE deleted_at IS NULL ORDER BY id');
    this.lastSeqStmt = db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM projects WHERE id = ?');
    this.setLastSeqStmt = db.prepare<[number, string]>('UPDATE projects SET last_seq = ? WHERE id = ?');
    this.counterStmt = db.prepare<[number, number, string]>(
      'UPDATE projects SET task_counter = max(task_counter, ?), updated_at = ? WHERE id = ?',
    );
    this.archiveStmt = db.prepare<[number | null, number | null, number, string]>(
      'UPDATE projects SET archived_at = CASE WHEN ? IS NULL THEN NULL ELSE coalesce(archived_at, ?) END, updated_at = ? WHERE id = ?',
    );
    this.deleteStmt = db.prepare<[number, number, string]>('UPDATE projects SET deleted_at = coalesce(deleted_at, ?), updated_at = ? WHERE id = ?');
    this.countStmt = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM projects WHERE deleted_at IS NULL');
    this.settingsStmt = db.prepare<[string, number, string]>('UPDATE projects SET settings = ?, updated_at = ? WHERE id = ?');
    this.prefixedStmt = db.prepare<[string], { id: string }>("SELECT id FROM projects WHERE id GLOB ? || '-[0-9]*' ORDER BY id");
  }

  insert(p: { id: string; name: string; settings: object; at: number }): void {
    this.insertStmt.run(p.id, p.name, JSON.stringify(p.settings), p.at, p.at);
  }

  get(id: string): ProjectRow | undefined {
    return this.getStmt.get(id);
  }

  /** Ids of projects named `<id>-<digits>`, deleted ones included (ids are never reused). */
  idsWithNumberedSuffix(id: string): string[] {
    return this.prefixedStmt
      .all(id)
      .map((r) => r.id)
      .filter((other) => /^\d+$/.test(other.slice(id.length + 1)));
  }

  list(): ProjectRow[] {
    return this.listStmt.all();
  }

  lastSeq(id: string): number | undefined {
    return this.lastSeqStmt.get(id)?.last_seq;
  }

  setLastSeq(id: string, seq: number): void {
    this.setLastSeqStmt.run(seq, id);
  }

  /** Records the counter the project actor assigned (never goes back: ids are never reused). */
  setTaskCounter(id: string, n: number, at: number): void {
    this.counterStmt.run(n, at, id);
  }

  setArchived(id: string, at: number | null, now: number): void {
    this.archiveStmt.run(at, at, now, id);
  }

  setDeleted(id: string, at: number): void {
    this.deleteStmt.run(at, at, id);
  }

  /** Projects that count against `max_projects` (deleted ones do not). */
  /** The project's explicit settings (JSON); what is not set follows the runtime's defaults. */
  setSettings(id: string, settings: object, at: number): void {
    this.settingsStmt.run(JSON.stringify(settings), at, id);
  }

  countLive(): number {
    return this.countStmt.get()?.n ?? 0;
  }
}
