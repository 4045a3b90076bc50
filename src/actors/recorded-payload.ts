import type { AnyMachineSnapshot } from 'xstate';
import type { EventPayload } from '../core/index.js';
import type { ActorKindSpec, ActorMeta, ActorView } from './kind.js';

/** The spec of a kind whose log stores the changes of its view. */
export type ChangeLoggingSpec = ActorKindSpec & Required<Pick<ActorKindSpec, 'viewChanges'>>;

/**
 * The payload of an event the host recorded about an actor whose log stores the changes of its
 * view (tasks, `view-changes.ts`). Its `view` is rendered from the actor's snapshot at the event
 * when first read (the live feed, the bus, a listener), so a commit nobody reads live renders
 * none; `changes` (against the actor's previous recorded event) is what the log stores when
 * that event is the one stored before it. Serialised (`JSON.stringify`, the bus) it is the
 * whole payload, view included.
 */
export class RecordedPayload implements EventPayload {
  readonly state_value: unknown;
  detail?: Record<string, unknown>;
  readonly #spec: ChangeLoggingSpec;
  readonly #snapshot: AnyMachineSnapshot;
  /** The actor's times at the event (its meta changes with later events). */
  readonly #createdAt: number;
  readonly #updatedAt: number;
  readonly #recorded: number;
  readonly #sincePrevious: EventPayload['changes'] | null;
  /** Not rendered yet: null. */
  #view: ActorView | undefined | null = null;

  constructor(
    readonly event: EventPayload['event'],
    readonly by: EventPayload['by'],
    spec: ChangeLoggingSpec,
    snapshot: AnyMachineSnapshot,
    meta: ActorMeta,
    recorded: number,
    sincePrevious: EventPayload['changes'] | null,
  ) {
    this.state_value = snapshot.value;
    this.#recorded = recorded;
    this.#sincePrevious = sincePrevious;
    this.#spec = spec;
    this.#snapshot = snapshot;
    this.#createdAt = meta.created_at;
    this.#updatedAt = meta.updated_at;
  }

  /** The event's number among the events recorded about the actor since it was loaded. */
  get recorded(): number {
    return this.#recorded;
  }

  get view(): ActorView | undefined {
    if (this.#view === null) this.#view = this.#spec.view(this.#snapshot, { created_at: this.#createdAt, updated_at: this.#updatedAt });
    return this.#view;
  }

  /** The whole payload as a plain object. */
  whole(): EventPayload {
    const whole: EventPayload = { event: this.event, by: this.by, state_value: this.state_value, view: this.view };
    if (this.detail) whole.detail = this.detail;
    return whole;
  }

  /**
   * The payload with the view's changes since the actor's previous recorded event instead of the
   * view; null for its first event since it was loaded (no previous one).
   */
  changed(): EventPayload | null {
    if (this.#sincePrevious === null) return null;
    const changed: EventPayload = { event: this.event, by: this.by, state_value: this.state_value, changes: this.#sincePrevious };
    if (this.detail) changed.detail = this.detail;
    return changed;
  }

  toJSON(): EventPayload {
    return this.whole();
  }
}
