import type { SqliteDatabase } from './db.js';
import { NotificationsRepo, type NotificationRow } from './notifications-repo.js';

export type { NotificationRow } from './notifications-repo.js';

export interface MessageRow {
  id: number;
  project_id: string;
  task_id: string | null;
  author_kind: 'user' | 'agent' | 'system';
  author_id: string;
  to_id: string | null;
  text: string;
  mentions: string[];
  created_at: number;
}

type StoredMessage = Omit<MessageRow, 'mentions'> & { mentions: string };

function fromStored(row: StoredMessage): MessageRow {
  return { ...row, mentions: JSON.parse(row.mentions) as string[] };
}

/** Messages between agents and humans, and the per-instance notifications they produce. */
export class MessagesRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly threadStmt;
  /** Notification rows live in NotificationsRepo; these methods are kept for the runtime. */
  private readonly notifications: NotificationsRepo;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, string | null, string, string, string | null, string, string, number]>(
      `INSERT INTO messages (project_id, task_id, author_kind, author_id, to_id, text, mentions, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.getStmt = db.prepare<[number], StoredMessage>('SELECT * FROM messages WHERE id = ?');
    this.threadStmt = db.prepare<[string, number], StoredMessage>('SELECT * FROM (SELECT * FROM messages WHERE task_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id');
    this.notifications = new NotificationsRepo(db);
  }

  insert(m: { projectId: string; taskId: string | null; authorKind: 'user' | 'agent' | 'system'; authorId: string; to: string | null; text: string; mentions: string[]; at: number }): number {
    return Number(this.insertStmt.run(m.projectId, m.taskId, m.authorKind, m.authorId, m.to, m.text, JSON.stringify(m.mentions), m.at).lastInsertRowid);
  }

  get(id: number): MessageRow | undefined {
    const row = this.getStmt.get(id);
    return row ? fromStored(row) : undefined;
  }

  /** The latest `limit` messages of a task thread, oldest first. */
  thread(taskId: string, limit = 200): MessageRow[] {
    return this.threadStmt.all(taskId, limit).map(fromStored);
  }

  notify(n: { projectId: string; recipient: string; kind: string; messageId: number | null; taskId: string | null; body: string; at: number }): number {
    return this.notifications.insert(n);
  }

  /** Notifications written after `id`, oldest first (the runtime publishes them on the inbox). */
  notificationsAfter(id: number): NotificationRow[] {
    return this.notifications.after(id);
  }

  lastNotificationId(): number {
    return this.notifications.lastId();
  }

  pending(recipient: string): NotificationRow[] {
    return this.notifications.pending(recipient);
  }

  /** Marks notifications up to `upToId` delivered (they went out in a pulse prompt). */
  markDelivered(recipient: string, upToId: number, at: number): void {
    this.notifications.markDeliveredUpTo(recipient, upToId, at);
  }
}
