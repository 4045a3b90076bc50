import type { TaskEventView } from '../core/index.js';
import type { SqliteDatabase } from './db.js';

/** The thought stream and other per-task entries of the Live Terminal (`task_events`). */
export class TaskEventsRepo {
  private readonly insertStmt;
  private readonly listStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, string, string | null, string, string, string, number | null, number]>(
      `INSERT INTO task_events (project_id, task_id, instance_id, kind, thought, action, seq, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.listStmt = db.prepare<[string, number], TaskEventView>(
      `SELECT id, task_id, instance_id, kind, thought, action, created_at FROM task_events
       WHERE task_id = ? ORDER BY id DESC LIMIT ?`,
    );
  }

  insert(e: { projectId: string; taskId: string; instanceId: string | null; kind: TaskEventView['kind']; thought: string; action: string; seq: number | null; at: number }): number {
    return Number(this.insertStmt.run(e.projectId, e.taskId, e.instanceId, e.kind, e.thought, e.action, e.seq, e.at).lastInsertRowid);
  }

  /** Latest entries of a task, newest first. */
  latest(taskId: string, limit = 5): TaskEventView[] {
    return this.listStmt.all(taskId, limit);
  }
}
