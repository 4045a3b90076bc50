import { statusCode, statusName, type TaskStatusName, type TaskView } from '../core/index.js';
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
 * A task's projection row as a commit sends it (see `SnapshotWrite`): the read model's columns,
 * the status codes resolved and `depends_on` as JSON text.
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
  created_at: number,
  updated_at: number,
];

/** The projection row of a task's read model. */
export function taskRecord(view: TaskView): TaskRecord {
  const dependsOn = view.depends_on.length === 0 ? '[]' : JSON.stringify(view.depends_on);
  const blockedFrom = view.blocked_from === null ? null : statusCode(view.blocked_from);
  return [
    view.id,
    view.project_id,
    view.title,
    view.description,
    view.status_code,
    view.priority,
    view.assignee_id,
    dependsOn,
    view.version,
    view.blocked_reason,
    blockedFrom,
    view.attempts,
    view.created_at,
    view.updated_at,
  ];
}

/** The `tasks` projection: written from the task actor's read model in each group commit. */
export class TasksRepo {
  private readonly upsertStmt;
  private readonly updateStmt;
  private readonly getStmt;
  private readonly statusStmt;
  private readonly countStmt;
  private readonly heldStmt;
  private readonly byAssigneeStmt;
  private readonly boardStmt;

  constructor(db: SqliteDatabase) {
    // Plain VALUES (status and updated_at bound twice more for started_at / completed_at): no sub-select per row.
    this.upsertStmt = db.prepare<[string, string, number, string, string, number, number, string | null, string, number, string | null, number | null, number, string | null, number, number, number, number, number, number]>(
      `INSERT INTO tasks (id, project_id, n, title, description, status, priority, assignee_id, depends_on, version,
         blocked_reason, blocked_from, attempts, created_by, created_at, updated_at, started_at, completed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? = 1 THEN ? END, CASE WHEN ? = 2 THEN ? END)
       ON CONFLICT(id) DO UPDATE SET title = excluded.title, description = excluded.description, status = excluded.status,
         priority = excluded.priority, assignee_id = excluded.assignee_id, depends_on = excluded.depends_on,
         version = excluded.version, blocked_reason = excluded.blocked_reason, blocked_from = excluded.blocked_from,
         attempts = excluded.attempts, updated_at = excluded.updated_at,
         started_at = CASE WHEN excluded.status = 1 AND started_at IS NULL THEN excluded.updated_at ELSE started_at END,
         completed_at = CASE WHEN excluded.status = 2 THEN excluded.updated_at WHEN excluded.status = 0 THEN NULL ELSE completed_at END`,
    );
    // The upsert's DO UPDATE branch as a plain UPDATE: an existing task (every write but its
    // first) skips the INSERT attempt and its constraint checks.
    this.updateStmt = db.prepare<[string, string, number, number, string | null, string, number, string | null, number | null, number, number, number, number, number, number, number, string]>(
      `UPDATE tasks SET title = ?, description = ?, status = ?, priority = ?, assignee_id = ?, depends_on = ?,
         version = ?, blocked_reason = ?, blocked_from = ?, attempts = ?, updated_at = ?,
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

  upsert(view: TaskView, createdBy: string | null = null): void {
    this.upsertRecord(taskRecord(view), createdBy);
  }

  upsertRecord(record: TaskRecord, createdBy: string | null = null): void {
    const [id, projectId, title, description, status, priority, assigneeId, dependsOn, version, blockedReason, blockedFrom, attempts, createdAt, updatedAt] = record;
    const updated = this.updateStmt.run(title, description, status, priority, assigneeId, dependsOn, version, blockedReason, blockedFrom, attempts, updatedAt, status, updatedAt, status, updatedAt, status, id);
    if (updated.changes > 0) return;
    const n = Number(id.slice(id.lastIndexOf('-') + 1));
    this.upsertStmt.run(id, projectId, n, title, description, status, priority, assigneeId, dependsOn, version, blockedReason, blockedFrom, attempts, createdBy, createdAt, updatedAt, status, updatedAt, status, updatedAt);
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
