import type { ProjectRole } from '../core/index.js';
import type { SqliteDatabase } from './db.js';
import { StatementCache } from './queries-repo.js';

/** Per-project roles of human users (SPEC §5, §9). */
export class MembershipsRepo {
  private readonly sql: StatementCache;

  constructor(db: SqliteDatabase) {
    this.sql = new StatementCache(db);
  }

  /** Grants or changes a user's role in a project. */
  grant(userId: number, projectId: string, role: ProjectRole, now: number): void {
    this.sql
      .get(
        `INSERT INTO memberships (user_id, project_id, role, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, project_id) DO UPDATE SET role = excluded.role`,
      )
      .run(userId, projectId, role, now);
  }

  revoke(userId: number, projectId: string): void {
    this.sql.get('DELETE FROM memberships WHERE user_id = ? AND project_id = ?').run(userId, projectId);
  }

  roleOf(userId: number, projectId: string): ProjectRole | undefined {
    const r = this.sql.get('SELECT role FROM memberships WHERE user_id = ? AND project_id = ?').get(userId, projectId) as
      | { role: ProjectRole }
      | undefined;
    return r?.role;
  }

  forUser(userId: number): { project_id: string; role: ProjectRole }[] {
    return this.sql.get('SELECT project_id, role FROM memberships WHERE user_id = ? ORDER BY project_id').all(userId) as {
      project_id: string;
      role: ProjectRole;
    }[];
  }

  /** True when the user owns at least one project (owners may manage souls and create projects). */
  ownsAny(userId: number): boolean {
    return this.sql.get("SELECT 1 FROM memberships WHERE user_id = ? AND role = 'owner' LIMIT 1").get(userId) !== undefined;
  }
}
