import { createActor, type AnyActor, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { MissionError, WHOLE_VIEW_EVERY, type By, type CommittedEvent, type EventPayload } from '../core/index.js';
import type { ActorKindName, Repositories, SnapshotHead, SnapshotRow, SnapshotWrite } from '../store/index.js';
import { byRef, type ActorKindSpec, type ActorMeta, type ActorView } from './kind.js';
import { RecordedPayload, type ChangeLoggingSpec } from './recorded-payload.js';
import type { CommitUnit } from './unit.js';

/** One root actor held by the host (DESIGN "Actors": never children of one parent). */
export interface ResidentActor {
  readonly id: string;
  readonly projectId: string;
  readonly spec: ActorKindSpec;
  actor: AnyActor;
  meta: ActorMeta;
  /** Created by a unit not yet committed: a failed commit removes it instead of reloading it. */
  uncommitted: boolean;
  /**
   * The `passive` flag of the actor's snapshot row (a task's: its `tasks` row), as committed or
   * as the last batch built writes it (null: no row yet, the next commit inserts one). While it
   * holds, the commit rewrites the row in place without touching the resident index.
   */
  storedPassive: 0 | 1 | null;
  /** For a kind whose log stores the changes of its view: where its log stands (see `ChangeLog`). */
  log: ChangeLog | null;
}

/**
 * Change logging of one resident actor (`view-changes.ts`). Recording an event diffs its snapshot
 * against the one at the actor's previous recorded event; the commit stores that diff only if the
 * event stored before it was that very event (else, and every WHOLE_VIEW_EVERY, the whole view).
 * A reloaded actor starts a new log: its first event is stored whole.
 */
interface ChangeLog {
  /** The snapshot and updated time at the last recorded event, and the events recorded. */
  snapshot: AnyMachineSnapshot;
  updatedAt: number;
  recorded: number;
  /** The number of the last event a built batch stored, and the changes-only events since a whole view. */
  stored: number;
  sinceWhole: number;
}

export interface RestoreReport {
  restored: number;
  /** Rows skipped: not migratable or not restorable (left in the database for an operator). */
  refused: { actor_id: string; reason: string }[];
}

type MachineEvent = EventObject & { by: By };

function hasViewChanges(spec: ActorKindSpec): spec is ChangeLoggingSpec {
  return spec.viewChanges !== undefined;
}

// A machine action that throws would be rethrown from a timer (unhandled) without an observer.
const swallowActorError = { error: () => undefined };

/**
 * `actor.getPersistedSnapshot()`, written once per actor per commit. For a machine snapshot with
 * no child actors and no history it is built directly from the snapshot's fields, in the order
 * XState's own persisted form has them (status, output, error, value, historyValue, context,
 * children), which serialises to the same text: XState's version copies the snapshot with an
 * object rest and walks the context for actor refs (our machines keep none there; a context
 * holding one goes through XState, see `plainContext`), a large share of a commit's CPU.
 */
function persisted(actor: AnyActor, snap: AnyMachineSnapshot): unknown {
  if (!isEmpty(snap.children) || !isEmpty(snap.historyValue) || !plainContext(snap.context)) return actor.getPersistedSnapshot();
  return { status: snap.status, output: snap.output, error: snap.error, value: snap.value, historyValue: {}, context: snap.context, children: {} };
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** No actor ref anywhere in the context (what XState's persistContext would replace). */
function plainContext(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if ('sessionId' in value && 'send' in value) return false;
  for (const key in value) if (!plainContext((value as Record<string, unknown>)[key])) return false;
  return true;
}

/**
 * The actor host: resident root actors keyed by id, restore at start, activation of passive
 * actors on demand, checked event delivery, rollback to the committed snapshot.
 */
export class ActorHost {
  private readonly resident = new Map<string, ResidentActor>();
  /**
   * Restored at start but not created yet (id → kind): the committed row is read and turned into
   * an XState actor on first use (lazy activation). Restore is then a scan of row heads, not
   * 100k `createActor`s, and a dormant actor costs a map entry, not its snapshot.
   */
  private readonly dormant = new Map<string, ActorKindName>();
  private readonly specs = new Map<ActorKindName, ActorKindSpec>();
  /** Passive actors made resident on demand since the last release. */
  private readonly activated = new Set<string>();

  constructor(
    private readonly repos: Repositories,
    specs: ActorKindSpec[],
  ) {
    for (const s of specs) this.specs.set(s.kind, s);
  }

  spec(kind: ActorKindName): ActorKindSpec {
    const s = this.specs.get(kind);
    if (!s) throw new MissionError('INTERNAL', `no machine registered for actor kind ${kind}`);
    return s;
  }

  /** Resident actors, dormant ones included. */
  get size(): number {
    return this.resident.size + this.dormant.size;
  }

  /** Actors created as XState actors now (not dormant). */
  get created(): number {
    return this.resident.size;
  }

  isResident(id: string): boolean {
    return this.resident.has(id) || this.dormant.has(id);
  }

  /** Resident actor ids of one kind, dormant ones included (the scheduler walks agents). */
  residentIds(kind?: ActorKindName): string[] {
    const ids: string[] = [];
    for (const [id, entry] of this.resident) if (!kind || entry.spec.kind === kind) ids.push(id);
    for (const [id, k] of this.dormant) if (!kind || k === kind) ids.push(id);
    return ids;
  }

  /**
   * Restores every non-passive actor from `actor_snapshots` (at start): ready to serve once the
   * rows are read and their machine and version checked; each XState actor is created (and its
   * snapshot migrated and checked) on first use. `activateAll` creates them all at once.
   */
  restore(): RestoreReport {
    const report: RestoreReport = { restored: 0, refused: [] };
    for (const head of this.repos.snapshots.residentHeads()) {
      if (this.resident.has(head.actor_id) || this.dormant.has(head.actor_id)) continue;
      const reason = this.unrestorable(head);
      if (reason !== null) {
        report.refused.push({ actor_id: head.actor_id, reason });
        continue;
      }
      this.dormant.set(head.actor_id, head.kind);
      report.restored++;
    }
    return report;
  }

  /** Creates every dormant actor now; returns those whose snapshot turned out not restorable. */
  activateAll(): RestoreReport['refused'] {
    const refused: RestoreReport['refused'] = [];
    // One scan of the rows rather than a lookup per dormant id.
    for (const row of this.repos.snapshots.resident()) {
      if (!this.dormant.delete(row.actor_id)) continue;
      try {
        this.resident.set(row.actor_id, this.fromRow(row));
      } catch (err) {
        refused.push({ actor_id: row.actor_id, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    for (const id of [...this.dormant.keys()]) {
      try {
        this.wake(id);
      } catch (err) {
        refused.push({ actor_id: id, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    return refused;
  }

  /** A dormant actor becomes a created one; a snapshot that cannot be restored leaves it out. */
  private wake(id: string): ResidentActor | undefined {
    if (!this.dormant.delete(id)) return undefined;
    const row = this.repos.snapshots.get(id);
    if (!row) return undefined;
    try {
      const entry = this.fromRow(row);
      this.resident.set(id, entry);
      return entry;
    } catch (err) {
      throw new MissionError('INTERNAL', `the snapshot of ${id} could not be restored`, { actor_id: id, reason: err instanceof Error ? err.message : String(err) });
    }
  }

  /** The actor with this id: resident, or activated from its committed snapshot; undefined if none. */
  find(id: string): ResidentActor | undefined {
    const hit = this.resident.get(id);
    if (hit) return hit;
    if (this.dormant.has(id)) return this.wake(id);
    const row = this.repos.snapshots.get(id);
    if (!row) return undefined;
    const entry = this.fromRow(row);
    this.resident.set(id, entry);
    if (row.passive === 1) this.activated.add(id);
    return entry;
  }

  /**
   * Passive actors activated for a command that then changed nothing go back to sleep (a
   * refused move on a done task must not leave it resident). `busy` says whether a queued
   * unit still holds the actor (its commit will passivate it).
   */
  releaseActivated(busy: (id: string) => boolean): void {
    for (const id of this.activated) {
      const entry = this.resident.get(id);
      if (entry && !busy(id) && entry.spec.isPassive(this.snapshot(entry))) {
        entry.actor.stop();
        this.resident.delete(id);
      }
    }
    this.activated.clear();
  }

  /** Like `find`, but a missing actor is NOT_FOUND. */
  require(id: string, what: string): ResidentActor {
    const entry = this.find(id);
    if (!entry) throw new MissionError('NOT_FOUND', `${what} ${id} does not exist`, { id });
    return entry;
  }

  /**
   * Creates a new actor from input; it becomes durable with the unit's commit. An id already in
   * use is CONFLICT. `counted`: the caller took the id from a counter that never repeats (a
   * project's task numbers), so the database is not asked; the row's INSERT at commit still
   * refuses a duplicate (the commit fails, nothing is overwritten).
   */
  spawn(unit: CommitUnit, kind: ActorKindName, id: string, projectId: string, input: unknown, opts: { counted?: boolean } = {}): ResidentActor {
    if (this.isResident(id) || (!opts.counted && this.repos.snapshots.exists(id))) {
      throw new MissionError('CONFLICT', `${kind} ${id} already exists`, { id });
    }
    const spec = this.spec(kind);
    const actor = createActor(spec.machine, { input });
    actor.subscribe(swallowActorError);
    actor.start();
    const entry: ResidentActor = { id, projectId, spec, actor, meta: { created_at: unit.now, updated_at: unit.now }, uncommitted: true, storedPassive: null, log: null };
    this.resident.set(id, entry);
    unit.touched.set(id, entry);
    return entry;
  }

  snapshot(entry: ResidentActor): AnyMachineSnapshot {
    return entry.actor.getSnapshot() as AnyMachineSnapshot;
  }

  view(entry: ResidentActor): ActorView | undefined {
    return entry.spec.view(this.snapshot(entry), entry.meta);
  }

  /** Whether the actor accepts the event now (guards included); sends nothing. */
  can<E extends MachineEvent>(entry: ResidentActor, event: E): boolean {
    return this.snapshot(entry).can(event);
  }

  /** Throws ILLEGAL_TRANSITION (state + allowed) unless the actor accepts the event now. */
  check<E extends MachineEvent>(entry: ResidentActor, event: E, allowed?: () => string[]): void {
    if (!this.snapshot(entry).can(event)) throw this.refusal(entry, event, allowed);
  }

  private refusal<E extends MachineEvent>(entry: ResidentActor, event: E, allowed?: () => string[]): MissionError {
    const snap = this.snapshot(entry);
    return new MissionError('ILLEGAL_TRANSITION', `${entry.spec.kind} ${entry.id} refuses '${event.type}' in state ${JSON.stringify(snap.value)}`, {
      actor_id: entry.id,
      event: event.type,
      state: snap.value,
      allowed: allowed ? allowed() : entry.spec.allowed(snap, event.by),
    });
  }

  /**
   * Delivers an event and records the domain event in the unit. A refused event is
   * ILLEGAL_TRANSITION and changes nothing (XState keeps the very snapshot object when no
   * transition is taken, so the refusal is seen after `send` instead of asking `can` first);
   * a command that sends several events checks them all before sending any.
   */
  apply<E extends MachineEvent>(unit: CommitUnit, entry: ResidentActor, event: E, type: string | null, detail?: Record<string, unknown>): AnyMachineSnapshot {
    const before = this.snapshot(entry);
    entry.actor.send(event);
    const snap = this.snapshot(entry);
    if (snap === before) throw this.refusal(entry, event);
    if (snap.status === 'error') throw new MissionError('INTERNAL', `${entry.spec.kind} ${entry.id} failed on '${event.type}'`, { error: String(snap.error) });
    entry.meta.updated_at = unit.now;
    unit.touched.set(entry.id, entry);
    // Bookkeeping events (signs of life, counters) change the snapshot without an event row.
    if (type !== null) this.record(unit, entry, snap, event, type, detail);
    return snap;
  }

  /** Records an event about an actor whose state did not change (a creation, a log line). */
  record(unit: CommitUnit, entry: ResidentActor, snap: AnyMachineSnapshot, event: MachineEvent | { type: string; by: By }, type: string, detail?: Record<string, unknown>): void {
    const { by, ...plain } = event;
    unit.touched.set(entry.id, entry);
    const spec = entry.spec;
    const payload: EventPayload = hasViewChanges(spec)
      ? this.changeLogged(entry, spec, snap, plain, byRef(by))
      : { event: plain, by: byRef(by), state_value: snap.value, view: spec.view(snap, entry.meta) };
    if (detail) payload.detail = detail;
    unit.addEvent({ project_id: entry.projectId, seq: 0, ts: unit.now, type, actor_kind: entry.spec.kind, actor_id: entry.id, payload, idempotency_key: null });
  }

  /** The payload of an event about an actor whose log stores changes: diffed against its previous recorded event. */
  private changeLogged(entry: ResidentActor, spec: ChangeLoggingSpec, snap: AnyMachineSnapshot, event: EventPayload['event'], by: EventPayload['by']): RecordedPayload {
    const log = entry.log;
    const updatedAt = entry.meta.updated_at;
    if (!log) {
      entry.log = { snapshot: snap, updatedAt, recorded: 1, stored: 0, sinceWhole: 0 };
      return new RecordedPayload(event, by, spec, snap, entry.meta, 1, null);
    }
    const changes = spec.viewChanges(log.snapshot, log.updatedAt, snap, updatedAt);
    log.snapshot = snap;
    log.updatedAt = updatedAt;
    return new RecordedPayload(event, by, spec, snap, entry.meta, ++log.recorded, changes);
  }

  /**
   * After a commit: passive actors leave memory, unless `held` says a later, uncommitted batch
   * also wrote them (its commit passivates them); the rest are marked committed.
   */
  committed(entries: Iterable<ResidentActor>, held: (id: string) => boolean = () => false): void {
    for (const entry of entries) {
      entry.uncommitted = false;
      this.activated.delete(entry.id);
      if (held(entry.id)) continue;
      const passive = entry.spec.isPassive(this.snapshot(entry));
      if (passive && this.resident.get(entry.id) === entry) {
        entry.actor.stop();
        this.resident.delete(entry.id);
      }
    }
  }

  /**
   * After a failed commit or an abandoned command: every touched actor goes back to its last
   * committed snapshot (recreated from the database); actors never committed disappear.
   */
  rollback(entries: Iterable<ResidentActor>): void {
    for (const entry of entries) {
      if (this.resident.get(entry.id) !== entry) continue;
      entry.actor.stop();
      this.resident.delete(entry.id);
      if (entry.uncommitted) continue;
      const row = this.repos.snapshots.get(entry.id);
      if (row && row.passive === 0) this.dormant.set(entry.id, row.kind);
    }
  }

  /** Stops every actor (graceful shutdown, after the last commit). */
  stopAll(): void {
    for (const entry of this.resident.values()) entry.actor.stop();
    this.resident.clear();
    this.dormant.clear();
  }

  /**
   * An event's payload as the log stores it (JSON), in log order: called by the commit as it
   * builds a batch. For a kind that logs changes, the changes of the actor's view since its
   * previous stored event, or its whole view (`view-changes.ts` says when).
   */
  storedPayload(entry: ResidentActor | undefined, payload: EventPayload): string {
    const log = entry?.log;
    if (!(payload instanceof RecordedPayload) || !log) return JSON.stringify(payload);
    const follows = log.stored === payload.recorded - 1 && log.sinceWhole + 1 < WHOLE_VIEW_EVERY;
    const changed = follows ? payload.changed() : null;
    log.stored = payload.recorded;
    log.sinceWhole = changed ? log.sinceWhole + 1 : 0;
    return JSON.stringify(changed ?? payload.whole());
  }

  /** What the commit writes for one actor (once per actor per batch): `snap` is its snapshot now. */
  persistedRow(entry: ResidentActor, snap: AnyMachineSnapshot, seq: number, lastEvent: CommittedEvent | undefined, passive: 0 | 1): SnapshotWrite {
    const spec = entry.spec;
    const stateValue = JSON.stringify(lastEvent ? lastEvent.payload.state_value : snap.value);
    return [entry.id, entry.projectId, spec.kind, spec.machineId, spec.machineVersion, JSON.stringify(persisted(entry.actor, snap)), stateValue, passive, seq, entry.meta.updated_at, entry.meta.created_at];
  }

  /** Why a row cannot be restored by this build (checked without creating the actor), or null. */
  private unrestorable(row: SnapshotHead): string | null {
    const spec = this.specs.get(row.kind);
    if (!spec) return `no machine registered for actor kind ${row.kind}`;
    if (row.machine_id !== spec.machineId) return `snapshot of machine '${row.machine_id}', expected '${spec.machineId}'`;
    if (row.machine_version > spec.machineVersion) return `snapshot of machine version ${row.machine_version} is newer than ${spec.machineVersion}`;
    return null;
  }

  private fromRow(row: SnapshotRow): ResidentActor {
    const spec = this.spec(row.kind);
    const reason = this.unrestorable(row);
    if (reason !== null) throw new Error(reason);
    let persisted: unknown = JSON.parse(row.snapshot);
    if (row.machine_version < spec.machineVersion) persisted = spec.migrate(persisted, row.machine_version);
    const actor = createActor(spec.machine, { snapshot: persisted as AnyMachineSnapshot });
    const snap = actor.getSnapshot() as AnyMachineSnapshot;
    if (snap.status === 'error' || !spec.isRestorable(snap)) throw new Error(`snapshot of ${row.actor_id} is not restorable (status ${snap.status})`);
    actor.subscribe(swallowActorError);
    actor.start();
    return {
      id: row.actor_id,
      projectId: row.project_id,
      spec,
      actor,
      meta: { created_at: row.created_at, updated_at: row.updated_at },
      uncommitted: false,
      storedPassive: row.passive === 1 ? 1 : 0,
      log: null,
    };
  }
}
