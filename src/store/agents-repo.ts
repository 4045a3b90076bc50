import type { AgentView } from '../core/index.js';
import type { SqliteDatabase } from './db.js';

export interface AgentRow {
  id: string;
  project_id: string;
  soul_id: string;
  state: AgentView['state'];
  working: number;
  soul_version: number;
  pulse_slot: number;
  last_pulse_at: number | null;
  next_pulse_at: number | null;
  last_seen_at: number | null;
  deadman_at: number | null;
  current_task_id: string | null;
  /** Process group of a command-driven agent program while it runs. */
  pgid: number | null;
  driver: string;
  created_at: number;
  updated_at: number;
  destroyed_at: number | null;
}

/** The `agent_instances` projection: written from the agent actor's read model in each commit. */
export class AgentsRepo {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly byProjectStmt;
  private readonly slotsStmt;
  private readonly countStmt;
  private readonly liveStmt;
  private readonly liveOfSoulStmt;
  private readonly revokeStmt;
  private readonly setPgidStmt;
  private readonly clearPgidStmt;
  private readonly pgidsStmt;

  constructor(db: SqliteDatabase) {
    this.upsertStmt = db.prepare(
      `INSERT INTO agent_instances (id, project_id, soul_id, state, working, soul_version, pulse_slot, last_pulse_at,
         next_pulse_at, last_seen_at, deadman_at, current_task_id, driver, created_at, updated_at, destroyed_at)
       VALUES (@id, @project_id, @soul_id, @state, @working, @soul_version, @pulse_slot, @last_pulse_at, @next_pulse_at,
         @last_seen_at, @deadman_at, @current_task_id, @driver, @at, @at, CASE WHEN @state = 'destroyed' THEN @at END)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, working = excluded.working, soul_version = excluded.soul_version,
         last_pulse_at = excluded.last_pulse_at, next_pulse_at = excluded.next_pulse_at, last_seen_at = excluded.last_seen_at,
         deadman_at = excluded.deadman_at, current_task_id = excluded.current_task_id, driver = excluded.driver,
         updated_at = excluded.updated_at,
         destroyed_at = CASE WHEN excluded.state = 'destroyed' THEN coalesce(destroyed_at, excluded.updated_at) END`,
    );
    this.getStmt = db.prepare<[string], AgentRow>('SELECT * FROM agent_instances WHERE id = ?');
    this.byProjectStmt = db.prepare<[string], AgentRow>('SELECT * FROM agent_instances WHERE project_id = ? ORDER BY soul_id');
    this.slotsStmt = db.prepare<[string], { pulse_slot: number; n: number }>(
      `SELECT pulse_slot, count(*) AS n FROM agent_instances WHERE project_id = ? AND state != 'destroyed' GROUP BY pulse_slot`,
    );
    this.countStmt = db.prepare<[string], { n: number }>(
      `SELECT count(*) AS n FROM agent_instances WHERE project_id = ? AND state != 'destroyed'`,
    );
    this.revokeStmt = db.prepare<[number, string]>(
      `UPDATE api_tokens SET revoked_at = ? WHERE instance_id = ? AND revoked_at IS NULL AND kind IN ('instance', 'pulse')`,
    );
    this.liveStmt = db.prepare<[], AgentRow>(`SELECT * FROM agent_instances WHERE state != 'destroyed'`);
    // Instance ids are `<soul>:<project>`: a range on the primary key finds a soul's instances.
    this.liveOfSoulStmt = db.prepare<[string, string], AgentRow>(`SELECT * FROM agent_instances WHERE id > ? AND id < ? AND state != 'destroyed'`);
    this.setPgidStmt = db.prepare<[number, string | null, string]>('UPDATE agent_instances SET pgid = ?, pgid_identity = ? WHERE id = ?');
    this.clearPgidStmt = db.prepare<[string, number]>('UPDATE agent_instances SET pgid = NULL, pgid_identity = NULL WHERE id = ? AND pgid = ?');
    this.pgidsStmt = db.prepare<[], { id: string; pgid: number; identity: string | null }>(
      'SELECT id, pgid, pgid_identity AS identity FROM agent_instances WHERE pgid IS NOT NULL',
    );
  }

  upsert(view: AgentView, at: number): void {
    this.upsertStmt.run({
      id: view.id,
      project_id: view.project_id,
      soul_id: view.soul_id,
      state: view.state,
      working: view.working ? 1 : 0,
      soul_version: view.soul_version,
      pulse_slot: view.pulse_slot,
      last_pulse_at: view.last_pulse_at,
      next_pulse_at: view.next_pulse_at,
      last_seen_at: view.last_seen_at,
      deadman_at: view.deadman_at,
      current_task_id: view.current_task_id,
      driver: view.driver,
      at,
    });
  }

  get(id: string): AgentRow | undefined {
    return this.getStmt.get(id);
  }

  inProject(projectId: string): AgentRow[] {
    return this.byProjectStmt.all(projectId);
  }

  /** How many live instances of the project sit on each pulse slot (the stagger's input). */
  slotCounts(projectId: string): Map<number, number> {
    return new Map(this.slotsStmt.all(projectId).map((r) => [r.pulse_slot, r.n]));
  }

  countLive(projectId: string): number {
    return this.countStmt.get(projectId)?.n ?? 0;
  }

  /** Revokes the instance's agent and per-pulse tokens (a destroyed instance keeps none). */
  revokeTokens(instanceId: string, at: number): void {
    this.revokeStmt.run(at, instanceId);
  }

  /** Records the process group of the agent program running for an instance (command driver). */
  /** `identity`: the group leader's `processIdentity` (src/core/process.ts), when known. */
  setPgid(instanceId: string, pgid: number, identity: string | null = null): void {
    this.setPgidStmt.run(pgid, identity, instanceId);
  }

  /** Forgets the group once it is gone; a newer group recorded meanwhile stays. */
  clearPgid(instanceId: string, pgid: number): void {
    this.clearPgidStmt.run(instanceId, pgid);
  }

  pgidOf(instanceId: string): number | null {
    return this.getStmt.get(instanceId)?.pgid ?? null;
  }

  /** Every recorded process group (after a crash: programs the dead server left running). */
  withPgid(): { id: string; pgid: number; identity: string | null }[] {
    return this.pgidsStmt.all();
  }

  live(): AgentRow[] {
    return this.liveStmt.all();
  }

  /** The soul's instances that are not destroyed, in every project. */
  liveOfSoul(soulId: string): AgentRow[] {
    return this.liveOfSoulStmt.all(`${soulId}:`, `${soulId};`);
  }
}
