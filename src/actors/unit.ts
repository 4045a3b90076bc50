import type { CommittedEvent } from '../core/index.js';
import type { RepoWrites, Repositories, StoredAnswer } from '../store/index.js';
import type { ResidentActor } from './host.js';

/**
 * An event of a unit: the committed event it becomes, its `seq` and `idempotency_key` filled in
 * by the commit (0 and null until then). One object from record to feed: the commit does not
 * copy each event to add two fields.
 */
export type PendingEvent = CommittedEvent;

/**
 * Everything one command changes, applied in memory and waiting for the group commit: its
 * events, the actors it touched, extra rows, and the idempotency answer. `before` writes run
 * ahead of the unit's events (rows the events need, e.g. a new project); `after` writes get the
 * seqs assigned to the unit's events.
 */
export class CommitUnit {
  readonly events: PendingEvent[] = [];
  readonly touched = new Map<string, ResidentActor>();
  readonly before: ((writes: RepoWrites) => void)[] = [];
  readonly after: ((writes: RepoWrites, seqs: readonly number[]) => void)[] = [];
  /**
   * `after` writes that read in the transaction or need a written row's id: they run on the
   * runtime's connection, so a batch holding one is written inline, not on the writer thread.
   */
  readonly inTransaction: ((repos: Repositories, seqs: readonly number[]) => void)[] = [];
  /** Runs once the unit is committed (file effects, driver calls); errors are logged, not thrown. */
  readonly afterCommit: (() => void | Promise<void>)[] = [];
  /** See `addEffectKey` (created on first use: most units have none). */
  private keys: Set<string> | null = null;
  /** Set by a command whose answer promises its file is written (CHRONICLE.md): answered after its effects. */
  answerAfterEffects = false;
  /** Filled by the commit: settles once this unit's after-commit effects have run. */
  effectsDone: Promise<void> | null = null;
  idempotency: { principalKey: string; key: string; command: string } | null = null;
  answer: StoredAnswer | null = null;
  result: unknown = undefined;
  /** Filled by the commit: the events with their project seqs. */
  committed: CommittedEvent[] = [];

  constructor(readonly now: number) {}

  /** Whether the unit writes rows of its own beside its events and snapshots. */
  get hasRowWrites(): boolean {
    return this.before.length > 0 || this.after.length > 0 || this.inTransaction.length > 0;
  }

  addEvent(e: PendingEvent): number {
    return this.events.push(e) - 1;
  }

  /**
   * Orders the after-commit effects beyond the unit's projects (which always count): e.g.
   * `soul:<id>` so a SOUL.md write of an update never races an instance's copy of it.
   */
  addEffectKey(key: string): void {
    (this.keys ??= new Set()).add(key);
  }

  get effectKeys(): Iterable<string> {
    return this.keys ?? [];
  }
}
