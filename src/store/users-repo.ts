import type { SqliteDatabase } from './db.js';
import { StatementCache } from './queries-repo.js';

/** A human account (SPEC §9). The password hash is never part of what leaves the store. */
export interface UserRow {
  id: number;
  username: string;
  is_admin: boolean;
  created_at: number;
  disabled_at: number | null;
}

interface RawUser {
  id: number;
  username: string;
  password_hash: string;
  is_admin: number;
  created_at: number;
  disabled_at: number | null;
}

function toUser(r: RawUser): UserRow {
  return { id: r.id, username: r.username, is_admin: r.is_admin === 1, created_at: r.created_at, disabled_at: r.disabled_at };
}

export class UsersRepo {
  private readonly sql: StatementCache;

  constructor(db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  create(username: string, passwordHash: string, isAdmin: boolean, now: number): UserRow {
    const info = this.sql
      .get('INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)')
      .run(username, passwordHash, isAdmin ? 1 : 0, now);
    return { id: Number(info.lastInsertRowid), username, is_admin: isAdmin, created_at: now, disabled_at: null };
  }

  byUsername(username: string): (UserRow & { password_hash: string }) | undefined {
    const r = this.sql.get('SELECT * FROM users WHERE username = ?').get(username) as RawUser | undefined;
    return r ? { ...toUser(r), password_hash: r.password_hash } : undefined;
  }

  byId(id: number): UserRow | undefined {
    const r = this.sql.get('SELECT * FROM users WHERE id = ?').get(id) as RawUser | undefined;
    return r ? toUser(r) : undefined;
  }

  setPassword(id: number, passwordHash: string): void {
    this.sql.get('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, id);
  }

  setAdmin(id: number, isAdmin: boolean): void {
    this.sql.get('UPDATE users SET is_admin = ? WHERE id = ?').run(isAdmin ? 1 : 0, id);
  }

  list(): UserRow[] {
    return (this.sql.get('SELECT * FROM users ORDER BY id').all() as RawUser[]).map(toUser);
  }
}
