import type { AgentState, AgentView, CommittedEvent, EarlierPayloads, ProjectView, SoulView, TaskEventView, TaskView } from '../core/index.js';
import { statusCode, statusName, withWholeViews, type TaskStatusName } from '../core/index.js';
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './db.js';
import { earlierPayloads, toEvent, toEvents, type EventRow } from './events-repo.js';

/**
 * Read side of the query methods (SPEC §5): projects, souls, tasks, agents, thought stream and
 * the event log, as the read models of `src/core/views.ts`. Writes go through the runtime.
 */
interface TaskRow {
  id: string;
  project_id: string;
  title: string;
  description: string;
  status: number;
  priority: number;
  assignee_id: string | null;
  depends_on: string;
  version: number;
  blocked_reason: string | null;
  blocked_from: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  n: number;
}

interface AgentRow {
  id: string;
  project_id: string;
  soul_id: string;
  name: string;
  role: string;
  state: AgentState;
  working: number;
  soul_version: number;
  pulse_slot: number;
  last_pulse_at: number | null;
  next_pulse_at: number | null;
  last_seen_at: number | null;
  deadman_at: number | null;
  current_task_id: string | null;
  driver: string;
}

interface ProjectRow {
  id: string;
  name: string;
  settings: string;
  last_seq: number;
  archived_at: number | null;
  created_at: number;
  updated_at: number;
}

function toTask(r: TaskRow): TaskView {
  return {
    id: r.id,
    project_id: r.project_id,
    title: r.title,
    description: r.description,
    status: statusName(r.status),
    status_code: r.status,
    priority: r.priority,
    assignee_id: r.assignee_id,
    depends_on: JSON.parse(r.depends_on) as string[],
    version: r.version,
    blocked_reason: r.blocked_reason,
    blocked_from: r.blocked_from === null ? null : statusName(r.blocked_from),
    attempts: r.attempts,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

function toAgent(r: AgentRow): AgentView {
  return {
    id: r.id,
    soul_id: r.soul_id,
    project_id: r.project_id,
    name: r.name,
    role: r.role,
    state: r.state,
    working: r.working === 1,
    current_task_id: r.current_task_id,
    soul_version: r.soul_version,
    pulse_slot: r.pulse_slot,
    last_pulse_at: r.last_pulse_at,
    next_pulse_at: r.next_pulse_at,
    last_seen_at: r.last_seen_at,
    deadman_at: r.deadman_at,
    driver: r.driver,
  };
}

export interface TaskListFilter {
  project_id: string;
  status?: TaskStatusName[];
  assignee_id?: string;
  limit: number;
  /** The last task `n` of the previous page. */
  after_n?: number;
}

/** Prepared statements by SQL text: better-sqlite3's `prepare` costs more than running a simple query. */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: SqliteDatabase) {}

  get(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }
}

const AGENT_SELECT = `SELECT a.*, s.name AS name, s.role AS role FROM agent_instances a JOIN souls s ON s.id = a.soul_id`;

export class QueriesRepo {
  private readonly sql: StatementCache;
  private readonly earlier: EarlierPayloads;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = new StatementCache(db);
    this.earlier = earlierPayloads(db);
  }

  /** Projects that exist (not deleted); `ids` restricts to a member's projects. */
  listProjects(defaults: ProjectView['settings'], ids?: string[]): ProjectView[] {
    const rows = this.sql.get('SELECT * FROM projects WHERE deleted_at IS NULL ORDER BY id').all() as ProjectRow[];
    const allowed = ids ? new Set(ids) : undefined;
    return rows.filter((r) => !allowed || allowed.has(r.id)).map((r) => this.toProject(r, defaults));
  }

  getProject(id: string, defaults: ProjectView['settings']): ProjectView | undefined {
    const r = this.sql.get('SELECT * FROM projects WHERE id = ? AND deleted_at IS NULL').get(id) as ProjectRow | undefined;
    return r ? this.toProject(r, defaults) : undefined;
  }

  projectExists(id: string): boolean {
    return this.sql.get('SELECT 1 FROM projects WHERE id = ? AND deleted_at IS NULL').get(id) !== undefined;
  }

  private toProject(r: ProjectRow, defaults: ProjectView['settings']): ProjectView {
    const overrides = JSON.parse(r.settings) as Partial<ProjectView['settings']>;
    return {
      id: r.id,
      name: r.name,
      settings: { ...defaults, ...overrides },
      archived: r.archived_at !== null,
      last_seq: r.last_seq,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  }

  /** Project, all its tasks and agents, and the seq they reflect, read in one transaction (full sync). */
  projectSnapshot(
    id: string,
    defaults: ProjectView['settings'],
  ): { project: ProjectView; tasks: TaskView[]; agents: AgentView[]; last_seq: number } | undefined {
    return this.db.transaction(() => {
      const project = this.getProject(id, defaults);
      if (!project) return undefined;
      const tasks = (this.sql.get('SELECT * FROM tasks WHERE project_id = ? ORDER BY n').all(id) as TaskRow[]).map(toTask);
      return { project, tasks, agents: this.listAgents(id), last_seq: project.last_seq };
    })();
  }

  listSouls(): SoulView[] {
    const rows = this.sql
      .get(
        `SELECT s.id, s.name, s.role, s.skills, s.current_version AS version, COALESCE(v.soul_md, '') AS soul_md
         FROM souls s LEFT JOIN soul_versions v ON v.soul_id = s.id AND v.version = s.current_version ORDER BY s.id`,
      )
      .all() as (Omit<SoulView, 'skills'> & { skills: string })[];
    return rows.map((r) => ({ ...r, skills: JSON.parse(r.skills) as string[] }));
  }

  getSoul(id: string): SoulView | undefined {
    return this.listSouls().find((s) => s.id === id);
  }

  soulRole(id: string): string | undefined {
    return (this.sql.get('SELECT role FROM souls WHERE id = ?').get(id) as { role: string } | undefined)?.role;
  }

  getTask(id: string): TaskView | undefined {
    const r = this.sql.get('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
    return r ? toTask(r) : undefined;
  }

  /** A page of tasks in board order of creation (`n`); `next_after` is set when more remain. */
  listTasks(f: TaskListFilter): { tasks: TaskView[]; next_after: number | null } {
    const where = ['project_id = ?', 'n > ?'];
    const args: (string | number)[] = [f.project_id, f.after_n ?? 0];
    if (f.status && f.status.length > 0) {
      where.push(`status IN (${f.status.map(() => '?').join(',')})`);
      args.push(...f.status.map((s) => statusCode(s)));
    }
    if (f.assignee_id !== undefined) {
      where.push('assignee_id = ?');
      args.push(f.assignee_id);
    }
    const rows = this.sql
      .get(`SELECT * FROM tasks WHERE ${where.join(' AND ')} ORDER BY n LIMIT ?`)
      .all(...args, f.limit + 1) as TaskRow[];
    const more = rows.length > f.limit;
    const page = more ? rows.slice(0, f.limit) : rows;
    return { tasks: page.map(toTask), next_after: more ? (page[page.length - 1]?.n ?? null) : null };
  }

  taskEvents(taskId: string, limit: number): TaskEventView[] {
    return (
      this.sql.get('SELECT * FROM task_events WHERE task_id = ? ORDER BY id DESC LIMIT ?').all(taskId, limit) as (TaskEventView & {
        project_id: string;
        seq: number | null;
      })[]
    )
      .reverse()
      .map(({ id, task_id, instance_id, kind, thought, action, created_at }) => ({ id, task_id, instance_id, kind, thought, action, created_at }));
  }

  listAgents(projectId: string): AgentView[] {
    return (this.sql.get(`${AGENT_SELECT} WHERE a.project_id = ? ORDER BY a.soul_id`).all(projectId) as AgentRow[]).map(toAgent);
  }

  getAgent(id: string): AgentView | undefined {
    const r = this.sql.get(`${AGENT_SELECT} WHERE a.id = ?`).get(id) as AgentRow | undefined;
    return r ? toAgent(r) : undefined;
  }

  /** Events of one actor, newest first below `before_seq`, returned oldest first. */
  actorEvents(actorId: string, beforeSeq: number | undefined, limit: number): CommittedEvent[] {
    const rows = this.sql
      .get('SELECT * FROM events WHERE actor_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
      .all(actorId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit) as EventRow[];
    return toEvents(rows.reverse(), this.earlier);
  }

  /** The project's events with `seq > afterSeq`, in order (feed replay). */
  projectEventsAfter(projectId: string, afterSeq: number, limit: number): CommittedEvent[] {
    return toEvents(this.sql.get('SELECT * FROM events WHERE project_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(projectId, afterSeq, limit) as EventRow[], this.earlier);
  }

  /** Oldest and newest seq present in the project's log (null when empty) and `projects.last_seq`. */
  logBounds(projectId: string): { min: number | null; max: number | null; last_seq: number } {
    const b = this.sql.get('SELECT MIN(seq) AS min, MAX(seq) AS max FROM events WHERE project_id = ?').get(projectId) as {
      min: number | null;
      max: number | null;
    };
    const p = this.sql.get('SELECT last_seq FROM projects WHERE id = ?').get(projectId) as { last_seq: number } | undefined;
    return { ...b, last_seq: p?.last_seq ?? b.max ?? 0 };
  }

  /** The persisted state of one actor (inspector): state value, context and the seq that produced it. */
  actorState(actorId: string): { actor_id: string; project_id: string; kind: string; state_value: unknown; context: unknown; seq: number } | undefined {
    const r = this.sql.get('SELECT actor_id, project_id, kind, state_value, snapshot, seq FROM actor_snapshot_rows WHERE actor_id = ?').get(actorId) as
      | { actor_id: string; project_id: string; kind: string; state_value: string; snapshot: string; seq: number }
      | undefined;
    if (!r) return undefined;
    const snapshot = JSON.parse(r.snapshot) as { context?: unknown };
    return { actor_id: r.actor_id, project_id: r.project_id, kind: r.kind, state_value: JSON.parse(r.state_value) as unknown, context: snapshot.context ?? null, seq: r.seq };
  }

  /** Which project an actor id belongs to (task, agent instance or project), if it exists. */
  actorProject(actorId: string): string | undefined {
    const r = this.sql.get('SELECT project_id FROM actor_snapshots WHERE actor_id = ?').get(actorId) as { project_id: string } | undefined;
    if (r) return r.project_id;
    const t = this.sql.get('SELECT project_id FROM tasks WHERE id = ?').get(actorId) as { project_id: string } | undefined;
    if (t) return t.project_id;
    const a = this.sql.get('SELECT project_id FROM agent_instances WHERE id = ?').get(actorId) as { project_id: string } | undefined;
    if (a) return a.project_id;
    return this.projectExists(actorId) ? actorId : undefined;
  }

  countAgentsByState(): { state: string; n: number }[] {
    return this.sql.get('SELECT state, COUNT(*) AS n FROM agent_instances GROUP BY state').all() as { state: string; n: number }[];
  }

  countTasksByStatus(): { status: number; n: number }[] {
    return this.sql.get('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status').all() as { status: number; n: number }[];
  }

  /**
   * Drops events older than the newest `keep` per project (feed retention); returns rows removed.
   * A task whose first kept event stores only changes gets its whole view written into that
   * event first, from the rows about to go: its history stays readable (`withWholeViews`).
   */
  pruneEvents(projectId: string, keep: number): number {
    const prune = this.db.transaction(() => {
      const lastSeq = (this.sql.get('SELECT last_seq FROM projects WHERE id = ?').get(projectId) as { last_seq: number } | undefined)?.last_seq ?? 0;
      const cutoff = lastSeq - keep;
      const firstKept = this.sql
        .get(
          `SELECT e.* FROM events e JOIN (SELECT actor_id, MIN(seq) AS seq FROM events WHERE project_id = ? AND actor_kind = 'task' AND seq > ? GROUP BY actor_id) f
             ON e.project_id = ? AND e.seq = f.seq`,
        )
        .all(projectId, cutoff, projectId) as EventRow[];
      const changesOnly = firstKept.map(toEvent).filter((e) => e.payload.view === undefined);
      for (const event of withWholeViews(changesOnly, this.earlier)) {
        if (event.payload.view) this.sql.get('UPDATE events SET payload = ? WHERE project_id = ? AND seq = ?').run(JSON.stringify(event.payload), projectId, event.seq);
      }
      return this.sql.get('DELETE FROM events WHERE project_id = ? AND seq <= ?').run(projectId, cutoff).changes;
    });
    return prune();
  }

  /** `SELECT 1`: the store answers. */
  ping(): boolean {
    return (this.sql.get('SELECT 1 AS ok').get() as { ok: number }).ok === 1;
  }
}
