import type { SqliteDatabase } from './db.js';

export type SubscriptionReason = 'commented' | 'assigned' | 'mentioned' | 'created';

export interface SubscriptionRow {
  task_id: string;
  subscriber: string;
  reason: SubscriptionReason;
  created_at: number;
}

/**
 * Task thread subscriptions: commenting, being assigned or mentioned subscribes (an instance id
 * or `user:<id>`). A subscription keeps the reason it was first made for.
 */
export class SubscriptionsRepo {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly deleteStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, string, SubscriptionReason, number]>(
      'INSERT OR IGNORE INTO subscriptions (task_id, subscriber, reason, created_at) VALUES (?, ?, ?, ?)',
    );
    this.listStmt = db.prepare<[string], SubscriptionRow>('SELECT * FROM subscriptions WHERE task_id = ? ORDER BY created_at, subscriber');
    this.deleteStmt = db.prepare<[string, string]>('DELETE FROM subscriptions WHERE task_id = ? AND subscriber = ?');
  }

  /** True when this made a new subscription. */
  subscribe(taskId: string, subscriber: string, reason: SubscriptionReason, at: number): boolean {
    return this.insertStmt.run(taskId, subscriber, reason, at).changes === 1;
  }

  subscribers(taskId: string): SubscriptionRow[] {
    return this.listStmt.all(taskId);
  }

  unsubscribe(taskId: string, subscriber: string): boolean {
    return this.deleteStmt.run(taskId, subscriber).changes === 1;
  }
}
