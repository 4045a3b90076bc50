import type { SqliteDatabase } from './db.js';

export interface NotificationRow {
  id: number;
  project_id: string;
  recipient: string;
  kind: string;
  message_id: number | null;
  task_id: string | null;
  body: string;
  created_at: number;
  delivered_at: number | null;
}

/** Messages between agents and humans, and the per-instance notifications they produce. */
export class MessagesRepo {
  private readonly insertStmt;
  private readonly notifyStmt;
  private readonly pendingStmt;
  private readonly deliveredStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, string | null, string, string, string | null, string, string, number]>(
      `INSERT INTO messages (project_id, task_id, author_kind, author_id, to_id, text, mentions, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.notifyStmt = db.prepare<[string, string, string, number | null, string | null, string, number]>(
      `INSERT INTO notifications (project_id, recipient, kind, message_id, task_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.pendingStmt = db.prepare<[string], NotificationRow>(
      'SELECT * FROM notifications WHERE recipient = ? AND delivered_at IS NULL ORDER BY id',
    );
    this.deliveredStmt = db.prepare<[number, string, number]>(
      'UPDATE notifications SET delivered_at = ? WHERE recipient = ? AND delivered_at IS NULL AND id <= ?',
    );
  }

  insert(m: { projectId: string; taskId: string | null; authorKind: 'user' | 'agent' | 'system'; authorId: string; to: string | null; text: string; mentions: string[]; at: number }): number {
    return Number(this.insertStmt.run(m.projectId, m.taskId, m.authorKind, m.authorId, m.to, m.text, JSON.stringify(m.mentions), m.at).lastInsertRowid);
  }

  notify(n: { projectId: string; recipient: string; kind: string; messageId: number | null; taskId: string | null; body: string; at: number }): number {
    return Number(this.notifyStmt.run(n.projectId, n.recipient, n.kind, n.messageId, n.taskId, n.body, n.at).lastInsertRowid);
  }

  pending(recipient: string): NotificationRow[] {
    return this.pendingStmt.all(recipient);
  }

  /** Marks notifications up to `upToId` delivered (they went out in a pulse prompt). */
  markDelivered(recipient: string, upToId: number, at: number): void {
    this.deliveredStmt.run(at, recipient, upToId);
  }
}
