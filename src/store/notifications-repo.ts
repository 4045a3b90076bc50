import type { SqliteDatabase } from './db.js';

/** A pending or delivered notice for one agent instance (SPEC §4: it rides on the next pulse). */
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

export interface NewNotification {
  projectId: string;
  recipient: string;
  kind: string;
  messageId: number | null;
  taskId: string | null;
  body: string;
  at: number;
}

/** `notifications`: insert, pending for an instance (oldest first), mark delivered. */
export class NotificationsRepo {
  private readonly insertStmt;
  private readonly pendingStmt;
  private readonly countStmt;
  private readonly deliveredUpToStmt;
  private readonly deliveredIdStmt;
  private readonly afterStmt;
  private readonly lastIdStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, string, string, number | null, string | null, string, number]>(
      `INSERT INTO notifications (project_id, recipient, kind, message_id, task_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.pendingStmt = db.prepare<[string, number], NotificationRow>(
      'SELECT * FROM notifications WHERE recipient = ? AND delivered_at IS NULL ORDER BY id LIMIT ?',
    );
    this.countStmt = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM notifications WHERE recipient = ? AND delivered_at IS NULL');
    this.deliveredUpToStmt = db.prepare<[number, string, number]>(
      'UPDATE notifications SET delivered_at = ? WHERE recipient = ? AND delivered_at IS NULL AND id <= ?',
    );
    this.deliveredIdStmt = db.prepare<[number, number, string]>(
      'UPDATE notifications SET delivered_at = ? WHERE id = ? AND recipient = ? AND delivered_at IS NULL',
    );
    this.afterStmt = db.prepare<[number], NotificationRow>('SELECT * FROM notifications WHERE id > ? ORDER BY id');
    this.lastIdStmt = db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM notifications');
  }

  insert(n: NewNotification): number {
    return Number(this.insertStmt.run(n.projectId, n.recipient, n.kind, n.messageId, n.taskId, n.body, n.at).lastInsertRowid);
  }

  /** Undelivered notifications of `recipient`, oldest first. */
  pending(recipient: string, limit = 1000): NotificationRow[] {
    return this.pendingStmt.all(recipient, limit);
  }

  /** Every notification written after `id`, oldest first (what a commit just added). */
  after(id: number): NotificationRow[] {
    return this.afterStmt.all(id);
  }

  /** The newest notification's id, 0 when there is none. */
  lastId(): number {
    return this.lastIdStmt.get()?.id ?? 0;
  }

  countPending(recipient: string): number {
    return this.countStmt.get(recipient)?.n ?? 0;
  }

  /** Marks everything up to `upToId` delivered (they went out in one pulse prompt). */
  markDeliveredUpTo(recipient: string, upToId: number, at: number): number {
    return this.deliveredUpToStmt.run(at, recipient, upToId).changes;
  }

  /** Marks exactly these ids delivered; ids of other recipients are left alone. */
  markDelivered(recipient: string, ids: readonly number[], at: number): number {
    let changed = 0;
    this.db.transaction(() => {
      for (const id of ids) changed += this.deliveredIdStmt.run(at, id, recipient).changes;
    })();
    return changed;
  }
}
