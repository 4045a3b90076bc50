import { MissionError, isMissionError, type CommittedEvent } from '../core/index.js';
import { recordWrites, type CommitWriter, type EventRecord, type RepoWrites, type Repositories, type SnapshotWrite, type WriteCall, type WriteFailure } from '../store/index.js';
import type { ActorHost, ResidentActor } from './host.js';
import type { CommitUnit } from './unit.js';

export interface GroupCommitOptions {
  /** How long the first queued unit waits for company before the batch is written. */
  maxDelayMs: number;
  /** A batch this large is written at once. */
  maxBatch: number;
  /**
   * With a writer thread: a smaller batch is written inline while none is in flight. At light
   * load the hop to the thread costs more latency than the commit it takes off this thread (and
   * on a shared machine a second busy thread competes with the clients for cores); under load the
   * batches are large and the thread commits one while the next is built.
   */
  threadMinBatch: number;
}

/** A batch at least this large is written at the end of the current event-loop turn. */
const EAGER_BATCH = 32;

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { maxDelayMs: 2, maxBatch: 512, threadMinBatch: EAGER_BATCH };

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
 * Written on the runtime's connection: writes that read in the transaction, and `before` rows
 * (a new project or soul) that the rest of the batch reads back (its seq, its settings).
 */
function needsInline(unit: CommitUnit): boolean {
  return unit.inTransaction.length > 0 || unit.before.length > 0;
}

/** Every actor the units touched, once. */
function touchedBy(queued: readonly Queued[]): Map<string, ResidentActor> {
  const touched = new Map<string, ResidentActor>();
  for (const q of queued) for (const [id, e] of q.unit.touched) touched.set(id, e);
  return touched;
}

/** Units written in one transaction, from the queue to their answer. */
interface Batch {
  queued: Queued[];
  /** Every actor the units touched, once. */
  touched: Map<string, ResidentActor>;
  events: CommittedEvent[];
  /** Set once answered (a batch failed by an earlier one ignores its own late answer). */
  settled: boolean;
}

/**
 * Group commit (DESIGN "Data flow" step 5): units queued within `maxDelayMs` (or up to
 * `maxBatch`) are written in ONE transaction: event rows with per-project seqs, one snapshot
 * per actor (for a task, its `tasks` row), projection rows, extra rows and idempotency answers.
 * Callers are answered only after that commit; if it fails every unit fails and the touched
 * actors roll back.
 *
 * With a `CommitWriter` the transaction runs on the writer thread: the batch is built here as
 * recorded writes (seqs; event, snapshot and projection rows as tuples, their JSON already text)
 * and committed there while the next batch is built (batches are answered in order). A batch
 * holding a write that must read in the transaction (`needsInline`) is written inline, after
 * the writer has drained.
 */
export class GroupCommitter {
  private queue: Queued[] = [];
  /** Sent to the writer thread, not answered yet (oldest first). */
  private inFlight: Batch[] = [];
  /** Batches built after a writer failure carry a new generation; the writer refuses the old one's. */
  private generation = 0;
  /** Why the last generation ended (what a batch built on it fails with). */
  private generationFailure: MissionError | null = null;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  /** The last seq given out per project (committed or in flight). */
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
    private readonly writer: CommitWriter | null = null,
  ) {}

  /** A listener's failure must not undo or stall a commit that already happened. */
  private notify(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onListenerError(err);
    }
  }

  /** Units queued or being written, not answered yet. */
  get pending(): number {
    let n = this.queue.length;
    for (const b of this.inFlight) n += b.queued.length;
    return n;
  }

  /** Whether the writer thread takes the commits (false: inline, or the thread died). */
  get threaded(): boolean {
    return this.writer?.alive ?? false;
  }

  /**
   * Settles once commits can go to the writer thread (it has started and opened its connection)
   * or are written inline (no thread, or it failed to start).
   */
  get ready(): Promise<void> {
    return this.writer?.ready ?? Promise.resolve();
  }

  /** Whether a unit not yet committed (queued or being written) touched this actor. */
  isQueued(actorId: string): boolean {
    if (this.queue.some((q) => q.unit.touched.has(actorId))) return true;
    return this.inFlight.some((b) => b.touched.has(actorId));
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
      if (this.queue.length >= this.opts.maxBatch) return this.send();
      if (!this.timer) this.timer = setTimeout(() => this.send(), this.opts.maxDelayMs);
      // Under load a full batch is already here once the current turn ends: waiting the rest
      // of max_delay_ms would only idle the loop.
      if (!this.immediate && this.queue.length >= EAGER_BATCH) {
        this.immediate = setImmediate(() => {
          this.immediate = null;
          if (this.queue.length >= EAGER_BATCH) this.send();
        });
      }
    });
  }

  /**
   * A command failed after changing actors in memory: its changes cannot be taken out of actors
   * that queued units share, so every queued unit fails with it (none was acknowledged) and all
   * touched actors go back to their committed snapshots (once the batches being written are in).
   */
  abandon(unit: CommitUnit, error: unknown): void {
    this.clearTimer();
    this.writer?.drain();
    const batch = this.queue;
    this.queue = [];
    const touched = new Map([...unit.touched, ...touchedBy(batch)]);
    this.host.rollback(touched.values());
    const err = new MissionError('INTERNAL', 'A concurrent command failed; retry', { cause: String(error) });
    for (const q of batch) q.reject(err);
  }

  /**
   * Writes everything queued now and waits until it is committed, synchronously (before a
   * rollback, at stop, in tests): on return every unit enqueued before it is answered.
   */
  flush(): void {
    this.send();
    this.writer?.drain();
  }

  /** Waits for the batches being written, then ends the writer thread (after the last flush). */
  async close(): Promise<void> {
    this.flush();
    await this.writer?.close();
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /**
   * Takes the queue as one batch and writes it: on the writer thread (answered later), or
   * inline. The timer, a full batch and `flush` all come through here.
   */
  send(): void {
    this.clearTimer();
    if (this.queue.length === 0) return;
    const queued = this.queue;
    this.queue = [];
    const batch: Batch = { queued, touched: touchedBy(queued), events: [], settled: false };
    const writer = this.writer?.alive ? this.writer : null;
    const worthSending = queued.length >= this.opts.threadMinBatch || this.inFlight.length > 0;
    if (writer && worthSending && !queued.some((q) => needsInline(q.unit))) this.sendToWriter(writer, batch);
    else this.writeInline(batch);
  }

  private writeInline(batch: Batch): void {
    // The batches being written go first. If one fails, this batch was built on it too.
    const generation = this.generation;
    this.writer?.drain();
    if (this.generation !== generation) return this.fail([batch], this.generationFailure!);
    try {
      batch.events = this.repos.transaction(() => {
        this.repos.db.pragma('defer_foreign_keys = ON');
        return this.write(batch, this.repos, this.repos);
      });
    } catch (err) {
      this.lastSeq.clear();
      return this.fail([batch], storeError(err));
    }
    this.complete(batch);
  }

  private sendToWriter(writer: CommitWriter, batch: Batch): void {
    const calls: WriteCall[] = [];
    const seqsBefore = new Map(this.lastSeq);
    // Nothing was sent: the seqs it took are given back; the batches in flight finish first, so
    // the rollback reloads what they committed.
    const notSent = (err: unknown): void => {
      this.lastSeq.clear();
      for (const [p, seq] of seqsBefore) this.lastSeq.set(p, seq);
      writer.drain();
      this.fail([batch], storeError(err));
    };
    try {
      batch.events = this.write(batch, recordWrites(calls), null);
    } catch (err) {
      return notSent(err);
    }
    this.inFlight.push(batch);
    try {
      writer.submit(this.generation, calls, (failure) => this.answered(batch, failure));
    } catch (err) {
      // A value the thread cannot receive (not structured-clonable).
      this.inFlight.pop();
      notSent(err);
    }
  }

  /** The writer thread's answer to a batch (in send order). */
  private answered(batch: Batch, failure: WriteFailure | null): void {
    if (batch.settled) return;
    if (failure === null) {
      this.inFlight.shift();
      return this.complete(batch);
    }
    // Every batch sent after this one was built on it, and so was every queued unit.
    const error = storeError(Object.assign(new Error(failure.message), { code: failure.code }));
    this.generation++;
    this.generationFailure = error;
    this.lastSeq.clear();
    const failed = this.inFlight;
    this.inFlight = [];
    const queued = this.queue;
    this.queue = [];
    this.clearTimer();
    if (queued.length > 0) failed.push({ queued, touched: touchedBy(queued), events: [], settled: false });
    this.fail(failed, error);
  }

  /** A committed batch: listeners, passivation, answers, in commit order. */
  private complete(batch: Batch): void {
    batch.settled = true;
    this.transactions++;
    const entries = [...batch.touched.values()];
    // Listeners see the actors before passivation drops done/archived tasks from memory.
    for (const l of this.actorListeners) this.notify(() => l(entries));
    // An actor a later batch also wrote is passivated by that batch's commit. (One set of the
    // pending actors per commit: asking `isQueued` per actor walks the whole queue each time.)
    const pending = new Set<string>();
    for (const q of this.queue) for (const id of q.unit.touched.keys()) pending.add(id);
    for (const b of this.inFlight) for (const id of b.touched.keys()) pending.add(id);
    this.host.committed(entries, (id) => pending.has(id));
    const units = batch.queued.map((q) => q.unit);
    for (const l of this.unitListeners) this.notify(() => l(units));
    for (const q of batch.queued) q.resolve();
    if (batch.events.length > 0) for (const l of this.listeners) this.notify(() => l(batch.events));
  }

  /** Failed batches: their units fail and every actor they touched goes back to the database. */
  private fail(batches: Batch[], error: MissionError): void {
    const touched = new Map<string, ResidentActor>();
    for (const b of batches) {
      b.settled = true;
      this.failedTransactions++;
      for (const q of b.queued) q.unit.committed = [];
      for (const [id, e] of b.touched) touched.set(id, e);
    }
    this.host.rollback(touched.values());
    for (const b of batches) for (const q of b.queued) q.reject(error);
  }

  /**
   * Writes one batch through `writes` (the repositories, or a recorder for the writer thread);
   * `inTransaction` writes need the repositories themselves (`repos`, inline only).
   */
  private write(batch: Batch, writes: RepoWrites, repos: Repositories | null): CommittedEvent[] {
    const all: CommittedEvent[] = [];
    const lastOfActor = new Map<string, CommittedEvent>();
    const projects = new Set<string>();
    // Event rows are written in multi-row chunks; a unit's `after` writes (which may read them
    // or need their seqs only) run once the rows before them are in.
    let rows: EventRecord[] = [];
    const writeRows = (): void => {
      if (rows.length > 0) writes.events.appendMany(rows);
      rows = [];
    };
    for (const { unit } of batch.queued) {
      if (unit.before.length > 0) writeRows();
      for (const w of unit.before) w(writes);
      const committed: CommittedEvent[] = [];
      const key = unit.idempotency?.key ?? null;
      for (const e of unit.events) {
        const seq = this.nextSeq(e.project_id);
        projects.add(e.project_id);
        e.seq = seq;
        e.idempotency_key = key;
        rows.push([e.project_id, seq, e.ts, e.type, e.actor_kind, e.actor_id, this.host.storedPayload(unit.touched.get(e.actor_id), e.payload), key]);
        committed.push(e);
        lastOfActor.set(e.actor_id, e);
      }
      if (unit.after.length > 0 || unit.inTransaction.length > 0) {
        writeRows();
        const seqs = committed.map((e) => e.seq);
        for (const w of unit.after) w(writes, seqs);
        if (unit.inTransaction.length > 0) {
          if (!repos) throw new MissionError('INTERNAL', 'a write that reads in the transaction was sent to the writer thread');
          for (const w of unit.inTransaction) w(repos, seqs);
        }
      }
      unit.committed = committed;
      all.push(...committed);
    }
    writeRows();
    // Agent and project snapshot rows whose passive flag stays are rewritten in place; new rows
    // and flips are upserted. A task's row is its snapshot: its projection is all it writes.
    const rewrites: SnapshotWrite[] = [];
    const upserts: SnapshotWrite[] = [];
    for (const entry of batch.touched.values()) {
      const last = lastOfActor.get(entry.id);
      const snap = this.host.snapshot(entry);
      const seq = last?.seq ?? this.lastSeq.get(entry.projectId) ?? 0;
      const passive = entry.spec.isPassive(snap) ? 1 : 0;
      entry.spec.project(writes, snap, entry.meta, seq, last?.payload, entry.storedPassive === null);
      if (!entry.spec.rowIsSnapshot) {
        const row = this.host.persistedRow(entry, snap, seq, last, passive);
        (passive === entry.storedPassive ? rewrites : upserts).push(row);
      }
      // What the next batch compares with (it is built before this one is answered).
      entry.storedPassive = passive;
    }
    if (rewrites.length > 0) writes.snapshots.rewriteMany(rewrites);
    if (upserts.length > 0) writes.snapshots.upsertMany(upserts);
    for (const p of projects) writes.projects.setLastSeq(p, this.lastSeq.get(p)!);
    for (const { unit } of batch.queued) {
      if (unit.idempotency && unit.answer) {
        writes.idempotency.put(unit.idempotency.principalKey, unit.idempotency.key, unit.idempotency.command, unit.answer, unit.now);
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
