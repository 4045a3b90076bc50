import { createActor, type AnyStateMachine } from 'xstate';
import { MissionError } from '../core/index.js';
import { MACHINE_VERSION as AGENT_VERSION } from './agent.js';
import { MACHINE_VERSION as PROJECT_VERSION } from './project.js';
import { MACHINE_VERSION as TASK_VERSION } from './task.js';

/**
 * Persisted snapshots name the machine version that wrote them; restoring under a newer
 * version first runs them through the steps below, one version at a time (DESIGN "Actors").
 * A step is pure JSON → JSON and must be tested with a snapshot of the old shape.
 */
export type PersistedSnapshotJson = { context?: Record<string, unknown>; [key: string]: unknown };
type Step = (snapshot: PersistedSnapshotJson) => PersistedSnapshotJson;

interface MachineMigrations {
  current: number;
  /** `steps[v]` turns a version-v snapshot into a version v+1 snapshot. */
  steps: Record<number, Step>;
}

export const SNAPSHOT_MIGRATIONS: Record<string, MachineMigrations> = {
  task: {
    current: TASK_VERSION,
    steps: {
      // v0 tasks predate request_help answers: they carried no `help_answer`.
      0: (snapshot) => ({ ...snapshot, context: { help_answer: null, ...(snapshot.context ?? {}) } }),
    },
  },
  agent: { current: AGENT_VERSION, steps: {} },
  project: {
    current: PROJECT_VERSION,
    steps: {
      // v1 projects counted board changes in `kanban_version`; nothing reads it (renders coalesce).
      1: (snapshot) => {
        const { kanban_version: _dropped, ...context } = snapshot.context ?? {};
        return { ...snapshot, context };
      },
    },
  },
};

/** Migrates a persisted snapshot from `fromVersion` to the machine's current version. */
export function migrateSnapshot(
  machineId: string,
  fromVersion: number,
  snapshotJson: PersistedSnapshotJson,
): PersistedSnapshotJson {
  const migrations = SNAPSHOT_MIGRATIONS[machineId];
  if (!migrations)
    throw new MissionError('INVALID_INPUT', `no machine named ${JSON.stringify(machineId)}`, {
      machine_id: machineId,
    });
  if (!Number.isInteger(fromVersion) || fromVersion > migrations.current) {
    throw new MissionError(
      'INVALID_INPUT',
      `snapshot of ${machineId} v${fromVersion} is newer than this server (v${migrations.current})`,
      {
        machine_id: machineId,
        from_version: fromVersion,
        current_version: migrations.current,
      },
    );
  }
  let snapshot = snapshotJson;
  for (let version = fromVersion; version < migrations.current; version++) {
    const step = migrations.steps[version];
    if (!step) {
      throw new MissionError('INVALID_INPUT', `no migration for ${machineId} snapshots from v${version}`, {
        machine_id: machineId,
        from_version: version,
      });
    }
    snapshot = step(snapshot);
  }
  return snapshot;
}

/**
 * Whether a persisted snapshot restores cleanly: XState does not throw on an incompatible
 * snapshot, it yields an actor whose snapshot has `status: 'error'` (DESIGN pitfalls).
 */
export function isRestorable(machine: AnyStateMachine, snapshotJson: unknown): boolean {
  try {
    const actor = createActor(machine, { snapshot: snapshotJson as never });
    const status = actor.getSnapshot().status;
    return status === 'active' || status === 'done';
  } catch {
    return false;
  }
}
