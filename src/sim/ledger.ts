/**
 * The simulation's own record of what clients were told (SPEC §5 idempotency, §10 "nothing
 * acknowledged is lost"): every side-effecting call carries a unique key; its outcome is what
 * the caller saw. `unknown` = the node died before answering (kill -9): it may or may not have
 * happened, and a retry with the same key must not make it happen twice.
 */
export type Outcome = 'acked' | 'refused' | 'unknown';

export interface LedgerEntry {
  key: string;
  /** Who holds the key: `user:<id>` or `agent:<instance>`. */
  principal: string;
  method: string;
  outcome: Outcome;
  /** The answer the caller got (acked) or the error code (refused). */
  answer: unknown;
  /** Sim time of the answer. */
  at: number;
  /** Filled at the first audit after the answer: the events the log holds for this key. */
  events: number[] | null;
}

export class Ledger {
  readonly entries = new Map<string, LedgerEntry>();

  record(entry: Omit<LedgerEntry, 'events'>): void {
    const earlier = this.entries.get(entry.key);
    // A retry of an `unknown` call settles it; a known outcome never changes.
    if (earlier && earlier.outcome !== 'unknown') return;
    this.entries.set(entry.key, { ...entry, events: earlier?.events ?? null });
  }

  unknown(): LedgerEntry[] {
    return [...this.entries.values()].filter((e) => e.outcome === 'unknown');
  }

  acked(): LedgerEntry[] {
    return [...this.entries.values()].filter((e) => e.outcome === 'acked');
  }
}
