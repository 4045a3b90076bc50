import type { SqliteDatabase } from './db.js';

/** The first answer of a side-effecting call: `{ok:true,result}` or `{ok:false,error}`. */
export type StoredAnswer = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; data?: Record<string, unknown> } };

/** First answers by (credential, key) (SPEC §5): a repeated key returns the stored answer. */
export class IdempotencyRepo {
  private readonly getStmt;
  private readonly putStmt;

  constructor(db: SqliteDatabase) {
    this.getStmt = db.prepare<[string, string], { command: string; response: string }>(
      'SELECT command, response FROM idempotency_keys WHERE principal_key = ? AND key = ?',
    );
    this.putStmt = db.prepare<[string, string, string, string, number]>(
      'INSERT INTO idempotency_keys (principal_key, key, command, response, created_at) VALUES (?, ?, ?, ?, ?)',
    );
  }

  get(principalKey: string, key: string): { command: string; answer: StoredAnswer } | undefined {
    const row = this.getStmt.get(principalKey, key);
    return row ? { command: row.command, answer: JSON.parse(row.response) as StoredAnswer } : undefined;
  }

  put(principalKey: string, key: string, command: string, answer: StoredAnswer, now: number): void {
    this.putStmt.run(principalKey, key, command, JSON.stringify(answer), now);
  }
}
