import { statusName, type TaskStatusName, type TaskView } from '../core/index.js';
import type { SqliteDatabase } from './db.js';

interface TaskRow {
  id: string;
  project_id: string;
  n: number;
  title: string;
  description: string;
  status: number;
  priority: number;
  assignee_id: string | null;
  depends_on: string;
  version: number;
  blocked_reason: string | null;
  blocked_from: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  require_review: number;
  max_attempts: number;
  help_answer: string | null;
  machine_version: number;
  seq: number;
}

function toView(r: TaskRow): TaskView {
  return {
    id: r.id,
    project_id: r.project_id,
    title: r.title,
    description: r.description,
    status: statusName(r.status),
    status_code: r.status,
    priority: r.priority,
    assignee_id: r.assignee_id,
    depends_on: r.depends_on === '[]' ? [] : (JSON.parse(r.depends_on) as string[]),
    version: r.version,
    blocked_reason: r.blocked_reason,
    blocked_from: r.blocked_from === null ? null : statusName(r.blocked_from),
    attempts: r.attempts,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/**
 * A task's row as a commit sends it (see `SnapshotWrite`), in the INSERT's column order less `n`
 * (`created_by` is left NULL): the read model's columns and the rest of the machine's context,
 * so it is the task's persisted snapshot (the `actor_snapshot_rows` view renders it as XState's
 * persisted form). Status codes resolved, `depends_on` as JSON text, `require_review` as 0/1.
 */
export type TaskRecord = [
  id: string,
  project_id: string,
  title: string,
  description: string,
  status: number,
  priority: number,
  assignee_id: string | null,
  depends_on: string,
  version: number,
  blocked_reason: string | null,
  blocked_from: number | null,
  attempts: number,
  require_review: 0 | 1,
  max_attempts: number,
  help_answer: string | null,
  machine_version: number,
  seq: number,
  created_at: number,
  updated_at: number,
];

/**
 * The `tasks` table: each task's read model and persisted snapshot in one row, written from the
 * task actor in each group commit.
 */
export class TasksRepo {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly getStmt;
  private readonly statusStmt;
  private readonly countStmt;
  private readonly heldStmt;
  private readonly byAssigneeStmt;
  private readonly boardStmt;

  constructor(db: SqliteDatabase) {
    // A task's first row; its seq, status and updated_at bound again for started_at / completed_at.
    this.insertStmt = db.prepare<unknown[]>(
      `INSERT INTO tasks (id, project_id, n, title, description, status, priority, assignee_id, depends_on, version,
         blocked_reason, blocked_from, attempts, require_review, max_attempts, help_answer, machine_version, seq,
         created_at, updated_at, started_at, completed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? = 1 THEN ? END, CASE WHEN ? = 2 THEN ? END)`,
    );
    // Every later write: a plain UPDATE (no INSERT attempt and its constraint checks).
    this.updateStmt = db.prepare<unknown[]>(
      `UPDATE tasks SET title = ?, description = ?, status = ?, priority = ?, assignee_id = ?, depends_on = ?,
         version = ?, blocked_reason = ?, blocked_from = ?, attempts = ?, require_review = ?, max_attempts = ?,
         help_answer = ?, machine_version = ?, seq = ?, updated_at = ?,
         started_at = CASE WHEN ? = 1 AND started_at IS NULL THEN ? ELSE started_at END,
         completed_at = CASE WHEN ? = 2 THEN ? WHEN ? = 0 THEN NULL ELSE completed_at END
       WHERE id = ?`,
    );
    this.getStmt = db.prepare<[string], TaskRow>('SELECT * FROM tasks WHERE id = ?');
    this.boardStmt = db.prepare<[string], TaskRow>('SELECT * FROM tasks WHERE project_id = ? ORDER BY status, priority, n');
    this.statusStmt = db.prepare<[string], { status: number }>('SELECT status FROM tasks WHERE id = ?');
    this.countStmt = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM tasks WHERE project_id = ?');
    this.heldStmt = db.prepare<[string, string], { id: string }>(
      'SELECT id FROM tasks WHERE project_id = ? AND assignee_id = ? AND status = 1 ORDER BY n',
    );
    this.byAssigneeStmt = db.prepare<[string, string], { id: string }>(
      'SELECT id FROM tasks WHERE project_id = ? AND assignee_id = ? AND status IN (0, 1, 3, 5) ORDER BY n',
    );
  }

  /**
   * Writes a task's row. `isNew` (the task was created in this commit): INSERTed, so an id that
   * already has a row fails the commit and is never overwritten. Otherwise updated in place (a
   * row that is missing is inserted).
   */
  upsertRecord(record: TaskRecord, isNew = false): void {
    const [id, projectId, title, description, status, priority, assigneeId, dependsOn, version, blockedReason, blockedFrom, attempts, requireReview, maxAttempts, helpAnswer, machineVersion, seq, createdAt, updatedAt] = record;
    if (!isNew) {
      const updated = this.updateStmt.run(title, description, status, priority, assigneeId, dependsOn, version, blockedReason, blockedFrom, attempts, requireReview, maxAttempts, helpAnswer, machineVersion, seq, updatedAt, status, updatedAt, status, updatedAt, status, id);
      if (updated.changes > 0) return;
    }
    const n = Number(id.slice(id.lastIndexOf('-') + 1));
    this.insertStmt.run(id, projectId, n, title, description, status, priority, assigneeId, dependsOn, version, blockedReason, blockedFrom, attempts, requireReview, maxAttempts, helpAnswer, machineVersion, seq, createdAt, updatedAt, status, updatedAt, status, updatedAt);
  }

  get(id: string): TaskView | undefined {
    const row = this.getStmt.get(id);
    return row ? toView(row) : undefined;
  }

  /** Every task of a project in board order (status, priority, number): KANBAN.md's input. */
  board(projectId: string): TaskView[] {
    return this.boardStmt.all(projectId).map(toView);
  }

  status(id: string): TaskStatusName | undefined {
    const row = this.statusStmt.get(id);
    return row ? statusName(row.status) : undefined;
  }

  count(projectId: string): number {
    return this.countStmt.get(projectId)?.n ?? 0;
  }

  /** In-progress tasks held by a soul in a project (the deadman's and destroy's subject). */
  inProgressOf(projectId: string, soulId: string): string[] {
    return this.heldStmt.all(projectId, soulId).map((r) => r.id);
  }

  /** Open (not done/archived) tasks assigned to a soul in a project. */
  openOf(projectId: string, soulId: string): string[] {
    return this.byAssigneeStmt.all(projectId, soulId).map((r) => r.id);
  }
}
