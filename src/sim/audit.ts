import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentView, CommittedEvent, TaskStatusName, TaskView } from '../core/index.js';
import { checkDatabase } from '../store/index.js';
import { parseKanban, COLUMN_STATUS } from './kanban-parse.js';
import type { Ledger } from './ledger.js';
import type { FeedMirror } from './lossy-bus.js';
import type { SimNode } from './node.js';

export interface Violation {
  invariant: string;
  detail: string;
}

/** The project settings the simulation chose (its own copy, not read back from the product). */
export interface ProjectPlan {
  id: string;
  deadman_timeout: number;
  max_attempts: number;
  require_review: boolean;
}

/**
 * SPEC §3 as a table written here, independently of src/machines: the status a transition leads
 * to from each status. `submit` depends on require_review; `unblock` returns to where the task was
 * blocked from; `deadman_expire` goes to blocked at the last attempt.
 */
const TRANSITIONS: Readonly<Record<string, Partial<Record<TaskStatusName, TaskStatusName>>>> = {
  start: { backlog: 'in_progress' },
  approve: { review: 'done' },
  reject: { review: 'in_progress' },
  block: { backlog: 'blocked', in_progress: 'blocked', review: 'blocked' },
  archive: { backlog: 'archived', done: 'archived' },
  reopen: { done: 'backlog', archived: 'backlog' },
  // SPEC §4: a destroyed instance's in-progress work goes back to the backlog.
  release: { in_progress: 'backlog' },
};

interface ReplayedTask {
  status: TaskStatusName;
  blockedFrom: TaskStatusName | null;
  attempts: number;
  /** Sim time the task last entered in_progress. */
  startedAt: number;
}

/**
 * Checks the invariants after every step. The event log is read incrementally (each event is
 * checked once, in seq order); the rest is compared in full each time.
 */
export class Auditor {
  private readonly lastSeq = new Map<string, number>();
  private readonly log = new Map<string, { type: string; actor_id: string }[]>();
  private readonly tasks = new Map<string, ReplayedTask>();
  private readonly keyEvents = new Map<string, { seqs: number[]; ts: number; project: string }>();
  private readonly deadlines = new Set<string>();

  constructor(
    private readonly projects: ReadonlyMap<string, ProjectPlan>,
    private readonly ledger: Ledger,
    private readonly mirror: FeedMirror,
  ) {}

  /** Every event the audit has read for a project, by seq (index seq - 1). */
  events(projectId: string): readonly { type: string; actor_id: string }[] {
    return this.log.get(projectId) ?? [];
  }

  check(node: SimNode, afterRestart: boolean): Violation[] {
    const out: Violation[] = [];
    const fail = (invariant: string, detail: string): void => void out.push({ invariant, detail });
    if (afterRestart) this.checkNothingLost(node, fail);
    for (const p of this.projects.values()) this.readLog(node, p, fail);
    this.checkLedger(node, fail);
    for (const p of this.projects.values()) {
      const board = node.repos.tasks.board(p.id);
      this.checkTasks(node, p, board, fail);
      this.checkHolders(node, p, board, fail);
      this.checkKanban(node, p, board, fail);
      this.checkFeed(p, fail);
    }
    const db = checkDatabase(node.store.db);
    if (!db.ok) fail('integrity', [...db.integrity, ...db.foreignKeys.map((f) => JSON.stringify(f))].join('; '));
    return out;
  }

  /** After a crash: what was committed before is still there (the log only grows). */
  private checkNothingLost(node: SimNode, fail: (i: string, d: string) => void): void {
    for (const [projectId, seen] of this.lastSeq) {
      const last = node.repos.projects.lastSeq(projectId) ?? 0;
      if (last < seen) fail('ack-lost', `project ${projectId}: last_seq ${last} after restart, ${seen} was committed before`);
    }
    for (const entry of this.ledger.acked()) {
      if (!node.repos.idempotency.get(entry.principal, entry.key)) {
        fail('ack-lost', `${entry.method} (key ${entry.key}) was acknowledged but its answer is gone after restart`);
      }
    }
  }

  private readLog(node: SimNode, p: ProjectPlan, fail: (i: string, d: string) => void): void {
    let last = this.lastSeq.get(p.id) ?? 0;
    const log = this.log.get(p.id) ?? [];
    this.log.set(p.id, log);
    for (;;) {
      const batch = node.repos.events.since(p.id, last, 2_000);
      if (batch.length === 0) break;
      for (const e of batch) {
        if (e.seq !== last + 1) fail('seq-gap', `project ${p.id}: seq ${e.seq} follows ${last}`);
        last = e.seq;
        log[e.seq - 1] = { type: e.type, actor_id: e.actor_id };
        this.readEvent(p, e, fail);
      }
    }
    const recorded = node.repos.projects.lastSeq(p.id) ?? 0;
    if (recorded !== last) fail('seq-gap', `project ${p.id}: projects.last_seq ${recorded} but the log ends at ${last}`);
    this.lastSeq.set(p.id, last);
  }

  private readEvent(p: ProjectPlan, e: CommittedEvent, fail: (i: string, d: string) => void): void {
    if (e.idempotency_key) this.readKeyed(e, fail);
    if (e.actor_kind === 'task') this.replayTask(p, e, fail);
    const d = e.payload.detail ?? {};
    if (e.type === 'agent.expired' || e.type === 'task.deadman_expired') {
      const lastSeen = typeof d.last_seen_at === 'number' ? d.last_seen_at : null;
      const deadmanAt = typeof d.deadman_at === 'number' ? d.deadman_at : null;
      if (deadmanAt !== null && e.ts < deadmanAt) fail('deadline-early', `${e.type} of ${e.actor_id} at ${e.ts} before its deadline ${deadmanAt}`);
      if (lastSeen !== null && e.ts < lastSeen + p.deadman_timeout * 1000) {
        fail('deadline-early', `${e.type} of ${e.actor_id} at ${e.ts}: last sign of life ${lastSeen} + deadman_timeout ${p.deadman_timeout}s not reached`);
      }
      const once = `${e.type}|${e.actor_id}|${String(deadmanAt)}|${String(lastSeen)}`;
      if (this.deadlines.has(once)) fail('deadline-twice', `${e.type} of ${e.actor_id} fired twice for deadline ${deadmanAt}`);
      this.deadlines.add(once);
    }
    if (e.type === 'agent.pulse_started' && d.manual === false && typeof d.scheduled_for === 'number') {
      if (e.ts < d.scheduled_for) fail('deadline-early', `pulse of ${e.actor_id} at ${e.ts} before its slot ${d.scheduled_for}`);
      const once = `pulse|${e.actor_id}|${d.scheduled_for}`;
      if (this.deadlines.has(once)) fail('deadline-twice', `pulse of ${e.actor_id} for slot ${d.scheduled_for} started twice`);
      this.deadlines.add(once);
    }
  }

  /** One key = one command = one commit: its events are consecutive and share one timestamp. */
  private readKeyed(e: CommittedEvent, fail: (i: string, d: string) => void): void {
    const key = e.idempotency_key!;
    const seen = this.keyEvents.get(key);
    const entry = this.ledger.entries.get(key);
    if (!seen) {
      this.keyEvents.set(key, { seqs: [e.seq], ts: e.ts, project: e.project_id });
      if (entry?.events) fail('event-duplicated', `key ${key} (${entry.method}) produced event ${e.seq} after its answer was audited`);
      return;
    }
    const prev = seen.seqs[seen.seqs.length - 1]!;
    if (seen.project !== e.project_id || e.seq !== prev + 1 || e.ts !== seen.ts) {
      fail('event-duplicated', `key ${key} (${entry?.method ?? '?'}) has events in two commits: seq ${prev} and ${e.seq}`);
    }
    seen.seqs.push(e.seq);
  }

  /** Acknowledged answers are durable and their events are in the log. */
  private checkLedger(node: SimNode, fail: (i: string, d: string) => void): void {
    for (const entry of this.ledger.entries.values()) {
      if (entry.outcome !== 'acked' || entry.events !== null) continue;
      const stored = node.repos.idempotency.get(entry.principal, entry.key);
      if (!stored) {
        fail('ack-lost', `${entry.method} (key ${entry.key}) was acknowledged but no answer is stored`);
        continue;
      }
      if (!stored.answer.ok) fail('ack-lost', `${entry.method} (key ${entry.key}) was acknowledged but the stored answer is an error`);
      if (JSON.stringify(stored.answer.ok ? stored.answer.result : null) !== JSON.stringify(entry.answer ?? null)) {
        fail('ack-lost', `${entry.method} (key ${entry.key}): the stored answer differs from the acknowledged one`);
      }
      entry.events = this.keyEvents.get(entry.key)?.seqs ?? [];
      const created = entry.method === 'mission.task.create' ? (entry.answer as TaskView | null)?.id : undefined;
      if (created && !node.repos.tasks.get(created)) fail('ack-lost', `task ${created} was acknowledged as created but does not exist`);
    }
  }

  /** Replays a task event through the SPEC table and compares with the event's own view. */
  private replayTask(p: ProjectPlan, e: CommittedEvent, fail: (i: string, d: string) => void): void {
    const view = e.payload.view as TaskView | undefined;
    const transition = e.payload.event.type;
    let t = this.tasks.get(e.actor_id);
    if (e.type === 'task.created') {
      if (t) fail('task-status-unexplained', `task ${e.actor_id} created twice (seq ${e.seq})`);
      t = { status: 'backlog', blockedFrom: null, attempts: 0, startedAt: 0 };
      this.tasks.set(e.actor_id, t);
    }
    if (!t) {
      fail('task-status-unexplained', `event ${e.type} (seq ${e.seq}) for task ${e.actor_id} before its creation`);
      return;
    }
    if (e.type !== 'task.created' && e.type !== 'thought.logged' && e.type !== 'task.commented') {
      const from = t.status;
      let to: TaskStatusName | undefined;
      if (transition === 'submit') to = from === 'in_progress' ? (p.require_review ? 'review' : 'done') : undefined;
      else if (transition === 'unblock') to = from === 'blocked' ? (t.blockedFrom ?? undefined) : undefined;
      else if (transition === 'deadman_expire') {
        if (from === 'in_progress') {
          t.attempts++;
          to = t.attempts >= p.max_attempts ? 'blocked' : 'backlog';
          // The deadman expires the task to the backlog and blocks it there at the last attempt.
          if (to === 'blocked') t.blockedFrom = 'backlog';
        }
      } else if (transition in TRANSITIONS) to = TRANSITIONS[transition]![from];
      else to = from;
      if (to === undefined) {
        fail('task-status-unexplained', `task ${e.actor_id}: '${transition}' from ${from} is not a SPEC §3 transition (seq ${e.seq})`);
        to = view?.status ?? from;
      }
      if (transition === 'block') t.blockedFrom = from;
      if (to === 'in_progress' && from !== 'in_progress') t.startedAt = e.ts;
      t.status = to;
    }
    if (view && view.status !== t.status) {
      fail('task-status-unexplained', `task ${e.actor_id}: event ${e.type}/${transition} (seq ${e.seq}) says ${view.status}, the replay says ${t.status}`);
      t.status = view.status;
    }
    if (view && view.attempts !== t.attempts) {
      fail('task-status-unexplained', `task ${e.actor_id}: ${view.attempts} attempts after seq ${e.seq}, the replay counts ${t.attempts}`);
      t.attempts = view.attempts;
    }
  }

  /** Each task in exactly one status, the same in the row, the persisted snapshot, the live actor and the replay. */
  private checkTasks(node: SimNode, p: ProjectPlan, board: TaskView[], fail: (i: string, d: string) => void): void {
    const ids = new Set(board.map((t) => t.id));
    for (const id of this.tasks.keys()) if (id.startsWith(`${p.id}-`) && !ids.has(id)) fail('task-status-unexplained', `task ${id} is in the log but has no row`);
    for (const row of board) {
      const replay = this.tasks.get(row.id);
      if (!replay) {
        fail('task-status-unexplained', `task ${row.id} has a row but no task.created event`);
        continue;
      }
      if (row.status !== replay.status) fail('task-status-unexplained', `task ${row.id}: row says ${row.status}, the log replays to ${replay.status}`);
      const snap = node.repos.snapshots.get(row.id);
      const persisted = snap ? (JSON.parse(snap.state_value) as unknown) : undefined;
      if (persisted !== row.status) fail('task-status-unexplained', `task ${row.id}: row says ${row.status}, persisted snapshot ${JSON.stringify(persisted)}`);
      if (node.runtime.host.isResident(row.id)) {
        const entry = node.runtime.host.find(row.id)!;
        const live = node.runtime.host.snapshot(entry).value as unknown;
        if (live !== row.status) fail('task-status-unexplained', `task ${row.id}: row says ${row.status}, the live actor is in ${JSON.stringify(live)}`);
      }
    }
  }

  /**
   * SPEC §4 deadman: a task in progress for an agent has a holder that showed life within
   * deadman_timeout, or the deadman has taken it back by now (checked after the due timers ran).
   */
  private checkHolders(node: SimNode, p: ProjectPlan, board: TaskView[], fail: (i: string, d: string) => void): void {
    const now = node.clock.now();
    for (const task of board) {
      if (task.status !== 'in_progress' || task.assignee_id === null) continue;
      const agent = node.repos.agents.get(`${task.assignee_id}:${p.id}`);
      if (!agent) continue; // a soul without an instance here: a human's task, no deadman applies
      // Paused by an operator or blocked on a human's answer (SPEC §4: no pulses, so no life to
      // show): the instance's work waits for that human; the deadman applies once it is active again.
      if (agent.state === 'paused' || agent.state === 'blocked') continue;
      if (agent.state === 'destroyed') {
        fail('holder-missing', `task ${task.id} is in progress for destroyed instance ${agent.id}`);
        continue;
      }
      const startedAt = this.tasks.get(task.id)?.startedAt ?? 0;
      const lastLife = Math.max(agent.last_seen_at ?? 0, startedAt);
      if (now > lastLife + p.deadman_timeout * 1000) {
        fail('holder-missing', `task ${task.id} in progress for ${agent.id}, silent since ${lastLife}, now ${now} is past the deadman bound (${p.deadman_timeout}s); agent holds ${agent.current_task_id ?? 'nothing'} in state ${agent.state}`);
      }
    }
  }

  /** KANBAN.md, parsed back, says what the tasks table says. */
  private checkKanban(node: SimNode, p: ProjectPlan, board: TaskView[], fail: (i: string, d: string) => void): void {
    let md: string;
    try {
      md = readFileSync(join(node.store.dataDir, 'projects', p.id, 'KANBAN.md'), 'utf8');
    } catch {
      if (board.length > 0) fail('kanban-mismatch', `project ${p.id} has ${board.length} tasks and no KANBAN.md`);
      return;
    }
    let parsed;
    try {
      parsed = parseKanban(md);
    } catch (err) {
      fail('kanban-mismatch', `KANBAN.md of ${p.id} does not parse: ${(err as Error).message}`);
      return;
    }
    if (parsed.projectId !== p.id) fail('kanban-mismatch', `KANBAN.md of ${p.id} names project ${parsed.projectId}`);
    const cards = new Map(parsed.cards.map((c) => [c.id, c]));
    if (cards.size !== parsed.cards.length) fail('kanban-mismatch', `KANBAN.md of ${p.id} lists a task twice`);
    for (const [column, count] of parsed.counts) {
      const status = COLUMN_STATUS[column];
      const inDb = board.filter((t) => t.status === status).length;
      if (count !== inDb) fail('kanban-mismatch', `KANBAN.md of ${p.id}: column ${column} announces ${count}, the database has ${inDb}`);
    }
    for (const t of board) {
      const c = cards.get(t.id);
      if (!c) {
        fail('kanban-mismatch', `KANBAN.md of ${p.id} lacks task ${t.id} (${t.status})`);
        continue;
      }
      const want = { column: t.status, title: t.title, assignee: t.assignee_id, priority: t.priority, attempts: t.attempts, blocked: t.blocked_reason || null };
      const got = { column: COLUMN_STATUS[c.column], title: c.title, assignee: c.assignee, priority: c.priority, attempts: c.attempts, blocked: c.blocked };
      if (JSON.stringify(want) !== JSON.stringify(got)) fail('kanban-mismatch', `KANBAN.md of ${p.id}, task ${t.id}: file ${JSON.stringify(got)}, database ${JSON.stringify(want)}`);
    }
    for (const id of cards.keys()) if (!board.some((t) => t.id === id)) fail('kanban-mismatch', `KANBAN.md of ${p.id} lists ${id}, which the database does not have`);
  }

  /** The remote feed consumer holds a gap-free, duplicate-free prefix of the log. */
  private checkFeed(p: ProjectPlan, fail: (i: string, d: string) => void): void {
    const mirrored = this.mirror.applied.get(p.id) ?? [];
    const log = this.log.get(p.id) ?? [];
    mirrored.forEach((m, i) => {
      const want = log[i];
      if (m.seq !== i + 1 || !want || want.type !== m.type || want.actor_id !== m.actor_id) {
        fail('feed-mismatch', `feed of ${p.id} at position ${i + 1}: got seq ${m.seq} ${m.type} ${m.actor_id}, log has ${want ? `${want.type} ${want.actor_id}` : 'nothing'}`);
      }
    });
  }

  /** Agents as the audit last saw them (for the trace). */
  static agentStates(node: SimNode, projectId: string): Pick<AgentView, 'id' | 'state'>[] {
    return node.repos.agents.inProject(projectId).map((a) => ({ id: a.id, state: a.state as AgentView['state'] }));
  }
}
