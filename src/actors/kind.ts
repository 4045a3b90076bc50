import type { AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import type { AgentView, By, EventPayload, ProjectView, TaskView } from '../core/index.js';
import type { ActorKindName, RepoWrites } from '../store/index.js';

/** Times the host keeps beside machine state (machines have no clock). */
export interface ActorMeta {
  created_at: number;
  updated_at: number;
}

export type ActorView = TaskView | AgentView | ProjectView;

/**
 * What the host needs to know about one kind of actor: its machine and version, how to migrate
 * and check a persisted snapshot, its read model, whether it stays resident, and how its
 * projection row is written. The host itself is generic over this.
 */
export interface ActorKindSpec {
  kind: ActorKindName;
  machine: AnyStateMachine;
  machineId: string;
  machineVersion: number;
  /** Brings persisted snapshot JSON of `fromVersion` to `machineVersion`; throws if it cannot. */
  migrate(persisted: unknown, fromVersion: number): unknown;
  /** Checked before `start()`: an incompatible snapshot yields `status: 'error'`, it does not throw. */
  isRestorable(snapshot: AnyMachineSnapshot): boolean;
  view(snapshot: AnyMachineSnapshot, meta: ActorMeta): ActorView | undefined;
  /** Passive actors (done/archived tasks) leave memory after commit and are activated on demand. */
  isPassive(snapshot: AnyMachineSnapshot): boolean;
  /**
   * Writes the actor's projection row inside the commit transaction. `seq` is the event seq
   * that produced the snapshot; `last` is the payload of the batch's last event about the actor
   * (undefined if none; its `view` is rendered when read); `isNew`: the actor has no row yet
   * (created since the last batch was built).
   */
  project(writes: RepoWrites, snapshot: AnyMachineSnapshot, meta: ActorMeta, seq: number, last: EventPayload | undefined, isNew: boolean): void;
  /**
   * The projection row holds the whole persisted snapshot (tasks): the commit writes no
   * `actor_snapshots` row, and the `actor_snapshot_rows` view renders the row as a snapshot.
   */
  rowIsSnapshot: boolean;
  /**
   * Set for a kind whose log stores the changes of its view between events rather than the whole
   * view each time (tasks, `view-changes.ts`): the fields of `view(next)` whose values differ from
   * `view(prev)`'s (same creation time, the updated times given), without rendering either view.
   */
  viewChanges?(prev: AnyMachineSnapshot, prevUpdatedAt: number, next: AnyMachineSnapshot, nextUpdatedAt: number): Partial<TaskView>;
  /** What the actor would accept from `by` (the `allowed` of ILLEGAL_TRANSITION). */
  allowed(snapshot: AnyMachineSnapshot, by: By): string[];
}

/** The payload's `by`: kind plus a stable id, never a full principal. */
export function byRef(by: By): EventPayload['by'] {
  if (by.kind === 'human') return { kind: 'human', id: by.username };
  if (by.kind === 'agent') return { kind: 'agent', id: by.instanceId };
  return { kind: 'runtime' };
}

/** Event types an actor's current state nodes handle (generic fallback for `allowed`). */
export function handledEventTypes(snapshot: AnyMachineSnapshot): string[] {
  const types = new Set<string>();
  for (const node of snapshot._nodes) for (const t of node.ownEvents) types.add(t);
  return [...types];
}
