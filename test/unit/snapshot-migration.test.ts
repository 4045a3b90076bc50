import { describe, expect, it } from 'vitest';
import { createActor, type Snapshot } from 'xstate';
import type { By } from '../../src/core/index.js';
import {
  agentMachine,
  isRestorable,
  migrateSnapshot,
  projectMachine,
  taskMachine,
  TASK_MACHINE_VERSION,
  type PersistedSnapshotJson,
} from '../../src/machines/index.js';

const HUMAN: By = { kind: 'human', userId: 1, username: 'tony', role: 'owner' };

function persistedTaskInReview(): PersistedSnapshotJson {
  const actor = createActor(taskMachine, {
    input: {
      id: 'vanguard-3',
      project_id: 'vanguard',
      title: 'Ship it',
      description: '',
      priority: 1,
      assignee_id: 'shuri',
      depends_on: [],
      require_review: true,
      max_attempts: 3,
    },
  }).start();
  actor.send({ type: 'start', by: HUMAN, deps_done: true });
  actor.send({ type: 'submit', by: HUMAN });
  return JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) as PersistedSnapshotJson;
}

describe('snapshot migration', () => {
  it('migrates a v0 task snapshot (no help_answer) to the current version, which then restores and runs', () => {
    const current = persistedTaskInReview();
    const v0Context = { ...current.context };
    delete v0Context.help_answer;
    const v0: PersistedSnapshotJson = { ...current, context: v0Context };

    const migrated = migrateSnapshot('task', 0, v0);
    expect(migrated.context?.help_answer).toBeNull();
    expect(migrated).toEqual(current);
    expect(isRestorable(taskMachine, migrated)).toBe(true);

    // XState's types require `input` even when restoring; a snapshot makes input unused.
    const restored = createActor(taskMachine, {
      snapshot: migrated as unknown as Snapshot<unknown>,
      input: undefined as never,
    }).start();
    expect(restored.getSnapshot().value).toBe('review');
    restored.send({ type: 'approve', by: HUMAN });
    expect(restored.getSnapshot().value).toBe('done');
  });

  it('keeps a help_answer a v0 snapshot already carried', () => {
    const v0 = { ...persistedTaskInReview() };
    v0.context = { ...v0.context, help_answer: 'use the staging keys' };
    expect(migrateSnapshot('task', 0, v0).context?.help_answer).toBe('use the staging keys');
  });

  it('migrates a v1 project snapshot (kanban_version in context) to one that restores and numbers on', () => {
    const current = JSON.parse(
      JSON.stringify(
        createActor(projectMachine, {
          input: { id: 'vanguard', name: 'Vanguard', settings: { pulse_interval: 60, pulse_timeout: 120, deadman_timeout: 300, max_attempts: 3, require_review: false, driver: 'simulated' }, task_counter: 7 },
        })
          .start()
          .getPersistedSnapshot(),
      ),
    ) as PersistedSnapshotJson;
    const v1: PersistedSnapshotJson = { ...current, context: { ...current.context, kanban_version: 12 } };

    const migrated = migrateSnapshot('project', 1, v1);
    expect(migrated).toEqual(current);
    const restored = createActor(projectMachine, { snapshot: migrated as unknown as Snapshot<unknown>, input: undefined as never }).start();
    restored.send({ type: 'task_created', by: HUMAN });
    expect(restored.getSnapshot().context.task_counter).toBe(8);
  });

  it('returns a current-version snapshot unchanged', () => {
    const current = persistedTaskInReview();
    expect(migrateSnapshot('task', TASK_MACHINE_VERSION, current)).toEqual(current);
  });

  it('refuses a snapshot newer than this server, an unknown machine and a version with no step', () => {
    const current = persistedTaskInReview();
    expect(() => migrateSnapshot('task', TASK_MACHINE_VERSION + 1, current)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => migrateSnapshot('robot', 1, current)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => migrateSnapshot('agent', 0, current)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('tells restorable snapshots from incompatible ones (XState does not throw on those)', () => {
    const good = persistedTaskInReview();
    expect(isRestorable(taskMachine, good)).toBe(true);
    expect(isRestorable(taskMachine, { ...good, value: 'limbo' })).toBe(false);
    expect(isRestorable(taskMachine, { ...good, status: 'error' })).toBe(false);
    expect(isRestorable(taskMachine, null)).toBe(false);
    expect(isRestorable(agentMachine, good)).toBe(false);

    const agent = createActor(agentMachine, {
      input: {
        id: 'shuri:vanguard',
        soul_id: 'shuri',
        project_id: 'vanguard',
        soul_version: 1,
        is_lead: false,
      },
    }).start();
    agent.send({ type: 'provisioned', by: { kind: 'runtime' } });
    expect(isRestorable(agentMachine, JSON.parse(JSON.stringify(agent.getPersistedSnapshot())))).toBe(true);

    const project = createActor(projectMachine, {
      input: {
        id: 'vanguard',
        name: 'Vanguard',
        settings: {
          pulse_interval: 60,
          pulse_timeout: 120,
          deadman_timeout: 300,
          max_attempts: 3,
          require_review: false,
          driver: 'simulated',
        },
      },
    }).start();
    expect(isRestorable(projectMachine, JSON.parse(JSON.stringify(project.getPersistedSnapshot())))).toBe(
      true,
    );
  });
});
