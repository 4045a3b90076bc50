import type { SqliteDatabase } from './db.js';
import { StatementCache } from './queries-repo.js';

export type TokenKind = 'user' | 'session' | 'instance' | 'pulse' | 'driver';

/** One credential row; the token itself is never stored, only its SHA-256 (SPEC §9). */
export interface TokenRow {
  id: number;
  token_hash: string;
  kind: TokenKind;
  user_id: number | null;
  instance_id: string | null;
  driver_name: string | null;
  pulse_id: string | null;
  label: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface NewToken {
  token_hash: string;
  kind: TokenKind;
  user_id?: number | null;
  instance_id?: string | null;
  driver_name?: string | null;
  pulse_id?: string | null;
  label?: string | null;
  expires_at?: number | null;
}

export class TokensRepo {
  private readonly sql: StatementCache;

  constructor(db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  insert(t: NewToken, now: number): number {
    const info = this.sql
      .get(
        `INSERT INTO api_tokens (token_hash, kind, user_id, instance_id, driver_name, pulse_id, label, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(t.token_hash, t.kind, t.user_id ?? null, t.instance_id ?? null, t.driver_name ?? null, t.pulse_id ?? null, t.label ?? null, now, t.expires_at ?? null);
    return Number(info.lastInsertRowid);
  }

  /** The live credential with this hash: not revoked, not expired at `now`. */
  findLive(tokenHash: string, now: number): TokenRow | undefined {
    return this.sql
      .get('SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)')
      .get(tokenHash, now) as TokenRow | undefined;
  }

  touch(id: number, now: number): void {
    this.sql.get('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, id);
  }

  revokeByHash(tokenHash: string, now: number): boolean {
    return this.sql.get('UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(now, tokenHash).changes > 0;
  }

  revokeById(id: number, now: number): boolean {
    return this.sql.get('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes > 0;
  }

  list(): TokenRow[] {
    return this.sql.get("SELECT * FROM api_tokens WHERE kind != 'session' ORDER BY id").all() as TokenRow[];
  }
}
