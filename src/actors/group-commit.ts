import { MissionError, isMissionError, type CommittedEvent } from '../core/index.js';
import type { Repositories, SnapshotRow } from '../store/index.js';
import type { ActorHost, ResidentActor } from './host.js';
import type { CommitUnit } from './unit.js';

export interface GroupCommitOptions {
  /** How long the first queued unit waits for company before the batch is written. */
  maxDelayMs: number;
  /** A batch this large is written at once. */
  maxBatch: number;
}

/** A batch at least this large is written at the end of the current event-loop turn. */
const EAGER_BATCH = 32;

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { maxDelayMs: 2, maxBatch: 512 };

interface Queued {
  unit: CommitUnit;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Maps a SQLite failure to the error every command of the failed batch receives. */
export function storeError(err: unknown): MissionError {
  if (isMissionError(err)) return err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_FULL') return new MissionError('DISK_FULL', undefined, { cause: message });
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return new MissionError('STORE_BUSY', undefined, { cause: message });
  return new MissionError('STORE_UNAVAILABLE', `The commit failed: ${message}`, { cause: message });
}


/**
 * Group commit (DESIGN "Data flow" step 5): units queued within `maxDelayMs` (or up to
 * `maxBatch`) are written in ONE transaction: event rows with per-project seqs, one snapshot
 * per actor, projection rows, extra rows and idempotency answers. Callers are answered only
 * after that commit; if it fails every unit fails and the touched actors roll back.
 */
export class GroupCommitter {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private readonly lastSeq = new Map<string, number>();
  private readonly listeners = new Set<(events: CommittedEvent[]) => void>();
  private readonly actorListeners = new Set<(entries: ResidentActor[]) => void>();
  private readonly unitListeners = new Set<(units: CommitUnit[]) => void>();
  /** Committed transactions since start (tests and metrics). */
  transactions = 0;
  failedTransactions = 0;

  constructor(
    private readonly repos: Repositories,
    private readonly host: ActorHost,
    private readonly opts: GroupCommitOptions = DEFAULT_GROUP_COMMIT,
    private readonly onListenerError: (err: unknown) => void = (err) => console.error('commit listener failed', err),
  ) {}

  /** A listener's failure must not undo or stall a commit that already happened. */
  private notify(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onListenerError(err);
    }
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Whether a queued (not yet committed) unit touched this actor. */
  isQueued(actorId: string): boolean {
    return this.queue.some((q) => q.unit.touched.has(actorId));
  }

  onCommitted(listener: (events: CommittedEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after each commit with the actors it wrote (the scheduler re-arms deadlines). */
  onActorsCommitted(listener: (entries: ResidentActor[]) => void): () => void {
    this.actorListeners.add(listener);
    return () => this.actorListeners.delete(listener);
  }

  /**
   * Called after each commit with its units in commit order, before the event listeners, so
   * after-commit effects are queued in the order their units were committed.
   */
  onUnitsCommitted(listener: (units: CommitUnit[]) => void): () => void {
    this.unitListeners.add(listener);
    return () => this.unitListeners.delete(listener);
  }

  /** Queues a unit; resolves once it is durable. */
  enqueue(unit: CommitUnit): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ unit, resolve, reject });
      if (this.queue.length >= this.opts.maxBatch) return this.flush();
      if (!this.timer) this.timer = setTimeout(() => this.flush(), this.opts.maxDelayMs);
      // Under load a full batch is already here once the current turn ends: waiting the rest
      // of max_delay_ms would only idle the loop.
      if (!this.immediate && this.queue.length >= EAGER_BATCH) {
        this.immediate = setImmediate(() => {
          this.immediate = null;
          if (this.queue.length >= EAGER_BATCH) this.flush();
        });
      }
    });
  }

  /**
   * A command failed after changing actors in memory: its changes cannot be taken out of actors
   * that queued units share, so every queued unit fails with it (none was acknowledged) and all
   * touched actors go back to their committed snapshots.
   */
  abandon(unit: CommitUnit, error: unknown): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.queue;
    this.queue = [];
    const touched = new Map(unit.touched);
    for (const q of batch) for (const [id, e] of q.unit.touched) touched.set(id, e);
    this.host.rollback(touched.values());
    const err = new MissionError('INTERNAL', 'A concurrent command failed; retry', { cause: String(error) });
    for (const q of batch) q.reject(err);
  }

  /** Writes everything queued now, synchronously (also used before a rollback and at stop). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const touched = new Map<string, ResidentActor>();
    for (const q of batch) for (const [id, e] of q.unit.touched) touched.set(id, e);
    let events: CommittedEvent[];
    try {
      events = this.repos.transaction(() => this.write(batch, touched));
    } catch (err) {
      this.failedTransactions++;
      this.lastSeq.clear();
      for (const q of batch) q.unit.committed = [];
      this.host.rollback(touched.values());
      const error = storeError(err);
      for (const q of batch) q.reject(error);
      return;
    }
    this.transactions++;
    const entries = [...touched.values()];
    // Listeners see the actors before passivation drops done/archived tasks from memory.
    for (const l of this.actorListeners) this.notify(() => l(entries));
    this.host.committed(entries);
    const units = batch.map((q) => q.unit);
    for (const l of this.unitListeners) this.notify(() => l(units));
    for (const q of batch) q.resolve();
    if (events.length > 0) for (const l of this.listeners) this.notify(() => l(events));
  }

  private write(batch: Queued[], touched: Map<string, ResidentActor>): CommittedEvent[] {
    const { repos } = this;
    // Projections are written once per actor at the end of the batch; rows of this batch that
    // point at them (task_events → tasks) are checked at commit.
    repos.db.pragma('defer_foreign_keys = ON');
    const all: CommittedEvent[] = [];
    const lastOfActor = new Map<string, CommittedEvent>();
    const projects = new Set<string>();
    // Event rows are written in multi-row chunks; a unit's `after` writes (which may read them
    // or need their seqs only) run once the rows before them are in.
    let rows: { e: CommittedEvent; json: string }[] = [];
    const writeRows = (): void => {
      if (rows.length > 0) repos.events.appendMany(rows);
      rows = [];
    };
    for (const { unit } of batch) {
      if (unit.before.length > 0) writeRows();
      for (const w of unit.before) w(repos);
      const seqs: number[] = [];
      const committed: CommittedEvent[] = [];
      for (const e of unit.events) {
        const seq = this.nextSeq(e.project_id);
        projects.add(e.project_id);
        const row: CommittedEvent = { ...e, seq, idempotency_key: unit.idempotency?.key ?? null };
        rows.push({ e: row, json: JSON.stringify(e.payload) });
        seqs.push(seq);
        committed.push(row);
        lastOfActor.set(e.actor_id, row);
      }
      if (unit.after.length > 0) {
        writeRows();
        for (const w of unit.after) w(repos, seqs);
      }
      unit.committed = committed;
      all.push(...committed);
    }
    writeRows();
    // Rows whose passive flag stays are rewritten in place; new rows and flips are upserted.
    const rewrites: SnapshotRow[] = [];
    const upserts: SnapshotRow[] = [];
    for (const entry of touched.values()) {
      const last = lastOfActor.get(entry.id);
      const snap = this.host.snapshot(entry);
      const view = last?.payload.view ?? entry.spec.view(snap, entry.meta);
      entry.spec.project(repos, view, snap, entry.meta);
      const row = this.host.persistedRow(entry, last?.seq ?? this.lastSeq.get(entry.projectId) ?? 0, last);
      (row.passive === entry.storedPassive ? rewrites : upserts).push(row);
    }
    repos.snapshots.rewriteMany(rewrites);
    repos.snapshots.upsertMany(upserts);
    for (const p of projects) repos.projects.setLastSeq(p, this.lastSeq.get(p)!);
    for (const { unit } of batch) {
      if (unit.idempotency && unit.answer) {
        repos.idempotency.put(unit.idempotency.principalKey, unit.idempotency.key, unit.idempotency.command, unit.answer, unit.now);
      }
    }
    return all;
  }

  private nextSeq(projectId: string): number {
    let last = this.lastSeq.get(projectId);
    if (last === undefined) {
      last = this.repos.projects.lastSeq(projectId);
      if (last === undefined) throw new MissionError('NOT_FOUND', `project ${projectId} does not exist`);
    }
    this.lastSeq.set(projectId, last + 1);
    return last + 1;
  }
}
