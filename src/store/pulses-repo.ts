import type { SqliteDatabase } from './db.js';

export type PulseStatus = 'pending' | 'delivering' | 'ok' | 'failed' | 'timeout' | 'aborted' | 'skipped';

export interface PulseRow {
  id: string;
  project_id: string;
  instance_id: string;
  scheduled_for: number;
  started_at: number | null;
  finished_at: number | null;
  status: PulseStatus;
  attempt: number;
  error: string | null;
}

/** Pulse deliveries (SPEC §4): a row `delivering` at a crash is re-delivered with the same id. */
export class PulsesRepo {
  private readonly insertStmt;
  private readonly finishStmt;
  private readonly retryStmt;
  private readonly deliveringStmt;
  private readonly forInstanceStmt;
  private readonly getStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, string, string, number, number]>(
      `INSERT INTO pulses (id, project_id, instance_id, scheduled_for, started_at, status) VALUES (?, ?, ?, ?, ?, 'delivering')`,
    );
    this.finishStmt = db.prepare<[string, number, string | null, string]>(
      'UPDATE pulses SET status = ?, finished_at = ?, error = ? WHERE id = ?',
    );
    this.retryStmt = db.prepare<[string]>('UPDATE pulses SET attempt = attempt + 1 WHERE id = ?');
    this.deliveringStmt = db.prepare<[], PulseRow>(`SELECT * FROM pulses WHERE status = 'delivering' ORDER BY started_at`);
    this.forInstanceStmt = db.prepare<[string], PulseRow>('SELECT * FROM pulses WHERE instance_id = ? ORDER BY scheduled_for, started_at');
    this.getStmt = db.prepare<[string], PulseRow>('SELECT * FROM pulses WHERE id = ?');
  }

  start(p: { id: string; projectId: string; instanceId: string; scheduledFor: number; at: number }): void {
    this.insertStmt.run(p.id, p.projectId, p.instanceId, p.scheduledFor, p.at);
  }

  finish(id: string, status: Exclude<PulseStatus, 'pending' | 'delivering'>, at: number, error: string | null): void {
    this.finishStmt.run(status, at, error, id);
  }

  /** Counts a re-delivery after a restart (at-least-once). */
  redeliver(id: string): void {
    this.retryStmt.run(id);
  }

  delivering(): PulseRow[] {
    return this.deliveringStmt.all();
  }

  forInstance(instanceId: string): PulseRow[] {
    return this.forInstanceStmt.all(instanceId);
  }

  get(id: string): PulseRow | undefined {
    return this.getStmt.get(id);
  }
}
