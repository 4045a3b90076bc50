import { withWholeViews, type CommittedEvent, type EarlierPayloads, type EventPayload } from '../core/index.js';
import type { SqliteDatabase } from './db.js';

export interface EventRow {
  project_id: string;
  seq: number;
  ts: number;
  type: string;
  actor_kind: CommittedEvent['actor_kind'];
  actor_id: string;
  payload: string;
  idempotency_key: string | null;
}

/** A row as read, its payload parsed (task views as stored: see `toEvents`). */
export function toEvent(row: EventRow): CommittedEvent {
  return { ...row, payload: JSON.parse(row.payload) as EventPayload };
}

/**
 * The stored payloads of an actor's events before a seq, newest first, read as the caller
 * iterates: what `withWholeViews` folds a task's changes onto.
 */
export function earlierPayloads(db: SqliteDatabase): EarlierPayloads {
  const stmt = db.prepare<[string, number], { payload: string }>('SELECT payload FROM events WHERE actor_id = ? AND seq < ? ORDER BY seq DESC');
  return function* (actorId, beforeSeq) {
    for (const row of stmt.iterate(actorId, beforeSeq)) yield JSON.parse(row.payload) as EventPayload;
  };
}

/** Events read from the log, each task event with its whole view. */
export function toEvents(rows: EventRow[], earlier: EarlierPayloads): CommittedEvent[] {
  return withWholeViews(rows.map(toEvent), earlier);
}

/** Event types the server also writes into a Markdown document (the partial index of migration 0003). */
export type DocumentedEventType = 'chronicle.updated' | 'memory.distilled';
/** Repeats the index's WHERE term so SQLite may use the partial index. */
const DOCUMENTED = "type IN ('chronicle.updated', 'memory.distilled')";

/**
 * One event row of a batch, in the INSERT's column order, its payload as JSON text: built on
 * the runtime's thread and sent to the writer thread as is (a tuple of primitives costs the
 * least to copy between threads, see `SnapshotWrite`).
 */
export type EventRecord = [
  project_id: string,
  seq: number,
  ts: number,
  type: string,
  actor_kind: CommittedEvent['actor_kind'],
  actor_id: string,
  payload: string,
  idempotency_key: string | null,
];

/** Rows per multi-row INSERT of a batch (8 columns × 32 = 256 parameters). */
const EVENT_CHUNK = 32;

/** The per-project event log (DESIGN "Store"): the feed's source and the inspector's history. */
export class EventsRepo {
  private readonly insertStmt;
  private readonly chunkStmt;
  private readonly sinceStmt;
  private readonly actorStmt;
  private readonly countStmt;
  private readonly documentedStmt;
  private readonly lastDocumentedStmt;
  private readonly earlier: EarlierPayloads;

  constructor(db: SqliteDatabase) {
    this.earlier = earlierPayloads(db);
    this.insertStmt = db.prepare<EventRecord>(
      `INSERT INTO events (project_id, seq, ts, type, actor_kind, actor_id, payload, idempotency_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.chunkStmt = db.prepare<unknown[]>(
      `INSERT INTO events (project_id, seq, ts, type, actor_kind, actor_id, payload, idempotency_key) VALUES ${Array(EVENT_CHUNK).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
    this.sinceStmt = db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE project_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.actorStmt = db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE actor_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
    );
    this.countStmt = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM events WHERE project_id = ?');
    this.documentedStmt = db.prepare<[string, string, string, number], EventRow>(
      `SELECT * FROM events WHERE project_id = ? AND actor_id = ? AND type = ? AND seq > ? AND ${DOCUMENTED} ORDER BY seq`,
    );
    this.lastDocumentedStmt = db.prepare<[string, string, string], { seq: number | null }>(
      `SELECT max(seq) AS seq FROM events WHERE project_id = ? AND actor_id = ? AND type = ? AND ${DOCUMENTED}`,
    );
  }

  /**
   * Appends a batch of events (a group commit's): multi-row INSERTs of EVENT_CHUNK rows, one
   * statement step per chunk instead of per row; the rest one by one.
   */
  appendMany(events: readonly EventRecord[]): void {
    let i = 0;
    for (; i + EVENT_CHUNK <= events.length; i += EVENT_CHUNK) {
      this.chunkStmt.run(events.slice(i, i + EVENT_CHUNK).flat());
    }
    for (; i < events.length; i++) this.insertStmt.run(...events[i]!);
  }

  since(projectId: string, sinceSeq: number, limit = 10_000): CommittedEvent[] {
    return toEvents(this.sinceStmt.all(projectId, sinceSeq, limit), this.earlier);
  }

  /** An actor's events, newest first, with seq < beforeSeq (the inspector pages backwards). */
  forActor(actorId: string, beforeSeq = Number.MAX_SAFE_INTEGER, limit = 200): CommittedEvent[] {
    return toEvents(this.actorStmt.all(actorId, beforeSeq, limit), this.earlier);
  }

  /** An actor's events of a documented type with seq > afterSeq, oldest first (what a document may lack). */
  documented(projectId: string, actorId: string, type: DocumentedEventType, afterSeq = 0): CommittedEvent[] {
    return toEvents(this.documentedStmt.all(projectId, actorId, type, afterSeq), this.earlier);
  }

  /** The newest seq of an actor's documented events of that type; null when it has none. */
  lastDocumented(projectId: string, actorId: string, type: DocumentedEventType): number | null {
    return this.lastDocumentedStmt.get(projectId, actorId, type)?.seq ?? null;
  }

  count(projectId: string): number {
    return this.countStmt.get(projectId)?.n ?? 0;
  }
}
