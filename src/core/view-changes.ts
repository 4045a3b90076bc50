import type { CommittedEvent, EventPayload, TaskView } from './views.js';

/**
 * A task's event log stores what changed, not the whole read model each time. Every event of a
 * task carries the task's whole view in memory (the live feed, the bus, the runtime's listeners),
 * but the row stored in `events` keeps either
 * - `view`: the whole view: the task's first event, the first after it was loaded into memory
 *   again (a restart, an activation from passive, a rollback), and every `WHOLE_VIEW_EVERY`-th;
 * - `changes`: the fields that differ from the task's view at its previous event in the log
 *   (a move: its status, status code, version, updated time; a thought: nothing).
 * A view is ~300 characters of a ~400-character payload, serialised and written with every
 * event, and a task's description would be copied into every move. Readers of the log get whole
 * views back: `withWholeViews` folds the changes onto the nearest whole view before them, which
 * is at most `WHOLE_VIEW_EVERY` events back.
 */
export const WHOLE_VIEW_EVERY = 32;

/**
 * The stored payloads of one actor's events before the first of `events`, newest first (read
 * lazily: the fold stops at the first whole view).
 */
export type EarlierPayloads = (actorId: string, beforeSeq: number) => Iterable<EventPayload>;

/**
 * Gives every task event read from the log its whole view, in place (`events` in seq order,
 * ascending or descending): `changes` are folded onto the task's view at its previous event,
 * from this list or, for a task's first event in it, from `earlier`. An event whose whole view
 * cannot be found (its task's earlier rows deleted by hand) keeps its `changes` and no `view`.
 */
export function withWholeViews(events: CommittedEvent[], earlier: EarlierPayloads): CommittedEvent[] {
  const ordered = events.length > 1 && events[0]!.seq > events[events.length - 1]!.seq ? [...events].reverse() : events;
  const known = new Map<string, TaskView>();
  for (const e of ordered) {
    if (e.actor_kind !== 'task') continue;
    const p = e.payload;
    if (p.view) {
      known.set(e.actor_id, p.view as TaskView);
      continue;
    }
    if (!p.changes) continue;
    const base = known.get(e.actor_id) ?? viewBefore(earlier(e.actor_id, e.seq));
    if (!base) continue;
    const view = { ...base, ...p.changes };
    delete p.changes;
    p.view = view;
    known.set(e.actor_id, view);
  }
  return events;
}

/** The task's whole view after the newest of `payloads` (newest first), or undefined. */
function viewBefore(payloads: Iterable<EventPayload>): TaskView | undefined {
  const changes: Partial<TaskView>[] = [];
  for (const p of payloads) {
    if (p.view) return changes.reduceRight<TaskView>((view, c) => ({ ...view, ...c }), p.view as TaskView);
    if (p.changes) changes.push(p.changes);
  }
  return undefined;
}
