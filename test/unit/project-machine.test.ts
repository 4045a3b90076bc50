import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { By, ProjectSettings } from '../../src/core/index.js';
import {
  projectMachine,
  type ProjectEmitted,
  type ProjectEvent,
  type ProjectEventType,
} from '../../src/machines/index.js';

const SETTINGS: ProjectSettings = {
  pulse_interval: 60,
  pulse_timeout: 120,
  deadman_timeout: 300,
  max_attempts: 3,
  require_review: false,
  driver: 'simulated',
};
const OWNER: By = { kind: 'human', userId: 1, username: 'tony', role: 'owner' };
const MEMBER: By = { kind: 'human', userId: 2, username: 'pepper', role: 'member' };
const VIEWER: By = { kind: 'human', userId: 3, username: 'happy', role: 'viewer' };
const AGENT: By = { kind: 'agent', instanceId: 'shuri:vanguard', soulId: 'shuri', isLead: false };
const FOREIGN_AGENT: By = { kind: 'agent', instanceId: 'shuri:other', soulId: 'shuri', isLead: false };
const RUNTIME: By = { kind: 'runtime' };

function project(state: 'active' | 'archived' | 'deleted' = 'active', taskCounter = 0) {
  const actor = createActor(projectMachine, {
    input: { id: 'vanguard', name: 'Vanguard', settings: SETTINGS, task_counter: taskCounter },
  });
  const emitted: ProjectEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  if (state !== 'active') actor.send({ type: state === 'archived' ? 'archive' : 'delete', by: OWNER });
  expect(actor.getSnapshot().value).toBe(state);
  return { actor, emitted };
}

const EVENTS: Record<ProjectEventType, ProjectEvent> = {
  task_created: { type: 'task_created', by: MEMBER },
  board_changed: { type: 'board_changed', by: RUNTIME },
  settings_changed: { type: 'settings_changed', by: OWNER, settings: { pulse_interval: 900 } },
  archive: { type: 'archive', by: OWNER },
  unarchive: { type: 'unarchive', by: OWNER },
  delete: { type: 'delete', by: OWNER },
  assign_backlog: { type: 'assign_backlog', by: RUNTIME, task_ids: ['vanguard-1'] },
};
/** Hand table: the state after each event; missing = refused. */
const NEXT: Record<'active' | 'archived' | 'deleted', Partial<Record<ProjectEventType, string>>> = {
  active: {
    task_created: 'active',
    board_changed: 'active',
    settings_changed: 'active',
    archive: 'archived',
    delete: 'deleted',
    assign_backlog: 'active',
  },
  archived: {
    board_changed: 'archived',
    settings_changed: 'archived',
    unarchive: 'active',
    delete: 'deleted',
  },
  deleted: {},
};

describe('project machine', () => {
  for (const state of ['active', 'archived', 'deleted'] as const) {
    for (const type of Object.keys(EVENTS) as ProjectEventType[]) {
      const expected = NEXT[state][type];
      it(`${expected ? 'accepts' : 'refuses'} ${type} when ${state}`, () => {
        const { actor } = project(state);
        expect(actor.getSnapshot().can(EVENTS[type])).toBe(expected !== undefined);
        if (actor.getSnapshot().status === 'done') return;
        actor.send(EVENTS[type]);
        expect(actor.getSnapshot().value).toBe(expected ?? state);
      });
    }
  }

  it('numbers tasks from the stored counter, one per task_created', () => {
    const { actor } = project('active', 41);
    actor.send({ type: 'task_created', by: AGENT });
    actor.send({ type: 'task_created', by: MEMBER });
    expect(actor.getSnapshot().context.task_counter).toBe(43);
    actor.send({ type: 'task_created', by: VIEWER });
    actor.send({ type: 'task_created', by: FOREIGN_AGENT });
    expect(actor.getSnapshot().context.task_counter).toBe(43);
  });

  it('emits render_kanban on each board change and keeps its persisted snapshot as it was', () => {
    const { actor, emitted } = project();
    const before = JSON.stringify(actor.getPersistedSnapshot());
    actor.send({ type: 'board_changed', by: RUNTIME });
    actor.send({ type: 'board_changed', by: MEMBER });
    expect(emitted).toEqual([
      { type: 'render_kanban', project_id: 'vanguard' },
      { type: 'render_kanban', project_id: 'vanguard' },
    ]);
    expect(JSON.stringify(actor.getPersistedSnapshot())).toBe(before);
  });

  it('emits assignment_needed with the new unassigned tasks and keeps its persisted snapshot as it was', () => {
    const { actor, emitted } = project();
    const before = JSON.stringify(actor.getPersistedSnapshot());
    actor.send({ type: 'assign_backlog', by: RUNTIME, task_ids: ['vanguard-4', 'vanguard-5'] });
    expect(emitted).toEqual([{ type: 'assignment_needed', project_id: 'vanguard', task_ids: ['vanguard-4', 'vanguard-5'] }]);
    expect(JSON.stringify(actor.getPersistedSnapshot())).toBe(before);
  });

  it('asks for no assignment while archived (the board is still mirrored)', () => {
    const { actor, emitted } = project('archived');
    actor.send({ type: 'assign_backlog', by: RUNTIME, task_ids: ['vanguard-4'] });
    actor.send({ type: 'board_changed', by: RUNTIME });
    expect(emitted).toEqual([{ type: 'render_kanban', project_id: 'vanguard' }]);
  });

  it('merges settings changes from an owner or the runtime only', () => {
    const { actor } = project();
    actor.send({ type: 'settings_changed', by: MEMBER, settings: { max_attempts: 9 } });
    actor.send({
      type: 'settings_changed',
      by: OWNER,
      settings: { pulse_interval: 900, require_review: true },
    });
    expect(actor.getSnapshot().context.settings).toEqual({
      ...SETTINGS,
      pulse_interval: 900,
      require_review: true,
    });
  });

  it('lets only an owner/admin or the runtime archive and delete', () => {
    for (const by of [MEMBER, VIEWER, AGENT]) {
      expect(project().actor.getSnapshot().can({ type: 'archive', by })).toBe(false);
      expect(project().actor.getSnapshot().can({ type: 'delete', by })).toBe(false);
    }
    expect(
      project()
        .actor.getSnapshot()
        .can({ type: 'delete', by: { kind: 'human', userId: 9, username: 'root', role: 'admin' } }),
    ).toBe(true);
  });

  it('serialises its definition to JSON listing every state', () => {
    const json = JSON.parse(JSON.stringify(projectMachine.toJSON())) as { states: Record<string, unknown> };
    expect(Object.keys(json.states).sort()).toEqual(['active', 'archived', 'deleted']);
  });
});
