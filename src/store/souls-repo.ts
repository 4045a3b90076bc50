import { createHash } from 'node:crypto';
import type { SoulView } from '../core/index.js';
import type { SqliteDatabase } from './db.js';

interface SoulRow {
  id: string;
  name: string;
  role: string;
  skills: string;
  settings: string;
  current_version: number;
  soul_md: string;
}

function toView(row: SoulRow): SoulView {
  return { id: row.id, name: row.name, role: row.role, skills: JSON.parse(row.skills) as string[], version: row.current_version, soul_md: row.soul_md };
}

export function soulContentHash(soulMd: string): string {
  return createHash('sha256').update(soulMd).digest('hex');
}

/** Souls and their versions: an update of SOUL.md is a new version, hashed by content. */
export class SoulsRepo {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly versionStmt;
  private readonly getStmt;
  private readonly getVersionStmt;
  private readonly listStmt;
  private readonly settingsStmt;

  constructor(db: SqliteDatabase) {
    this.insertStmt = db.prepare<[string, string, string, string, number, number]>(
      'INSERT INTO souls (id, name, role, skills, current_version, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)',
    );
    this.updateStmt = db.prepare<[string, string, string, number, number, string]>(
      'UPDATE souls SET name = ?, role = ?, skills = ?, current_version = ?, updated_at = ? WHERE id = ?',
    );
    this.versionStmt = db.prepare<[string, number, string, string, number]>(
      'INSERT INTO soul_versions (soul_id, version, soul_md, content_hash, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const select = `SELECT s.id, s.name, s.role, s.skills, s.settings, s.current_version, v.soul_md
      FROM souls s JOIN soul_versions v ON v.soul_id = s.id AND v.version = s.current_version`;
    this.getStmt = db.prepare<[string], SoulRow>(`${select} WHERE s.id = ?`);
    this.listStmt = db.prepare<[], SoulRow>(`${select} ORDER BY s.id`);
    this.getVersionStmt = db.prepare<[string, number], { soul_md: string; content_hash: string }>(
      'SELECT soul_md, content_hash FROM soul_versions WHERE soul_id = ? AND version = ?',
    );
    this.settingsStmt = db.prepare<[string], { settings: string }>('SELECT settings FROM souls WHERE id = ?');
  }

  create(s: { id: string; name: string; role: string; skills: string[]; soulMd: string; at: number }): void {
    this.insertStmt.run(s.id, s.name, s.role, JSON.stringify(s.skills), s.at, s.at);
    this.versionStmt.run(s.id, 1, s.soulMd, soulContentHash(s.soulMd), s.at);
  }

  /** Writes the new metadata; a changed SOUL.md becomes version `newVersion`. */
  update(s: { id: string; name: string; role: string; skills: string[]; version: number; newSoulMd: string | null; at: number }): void {
    if (s.newSoulMd !== null) this.versionStmt.run(s.id, s.version, s.newSoulMd, soulContentHash(s.newSoulMd), s.at);
    this.updateStmt.run(s.name, s.role, JSON.stringify(s.skills), s.version, s.at, s.id);
  }

  get(id: string): SoulView | undefined {
    const row = this.getStmt.get(id);
    return row ? toView(row) : undefined;
  }

  list(): SoulView[] {
    return this.listStmt.all().map(toView);
  }

  version(id: string, version: number): { soul_md: string; content_hash: string } | undefined {
    return this.getVersionStmt.get(id, version);
  }

  /** Per-soul settings (e.g. `driver`), JSON object. */
  settings(id: string): Record<string, unknown> {
    const row = this.settingsStmt.get(id);
    return row ? (JSON.parse(row.settings) as Record<string, unknown>) : {};
  }
}
