import { assign, emit, setup } from 'xstate';
import type { By, ProjectSettings } from '../core/index.js';
import { isAgentOf, isHumanWriter, isOperator, isRuntime } from './who.js';

/**
 * The project actor (DESIGN "Actors"): the single writer of project-wide state. It hands out
 * task numbers (persisted), and decides what a board change means: `board_changed` asks for a
 * KANBAN.md render (emitted `render_kanban`), `assign_backlog` raises `assignment_needed` for
 * the lead while the project is active (an archived project assigns nothing). Pure: the runtime
 * listens to emitted events (`actor.on`, src/actors/project-hooks.ts) and does the I/O.
 *
 * `board_changed` and `assign_backlog` are notifications sent after a commit, not persisted
 * transitions: they change neither state nor context, so the committed snapshot stays true.
 */
export const MACHINE_ID = 'project';
/** v2: `kanban_version` left the context (board notifications are context-free). */
export const MACHINE_VERSION = 2;

export interface ProjectInput {
  id: string;
  name: string;
  settings: ProjectSettings;
  /** Last task number already used (0 for a new project). */
  task_counter?: number;
}

export interface ProjectContext {
  id: string;
  name: string;
  settings: ProjectSettings;
  task_counter: number;
}

interface WithBy {
  by: By;
}
export type ProjectEvent =
  | ({ type: 'task_created' } & WithBy)
  | ({ type: 'board_changed' } & WithBy)
  | ({ type: 'settings_changed'; settings: Partial<ProjectSettings> } & WithBy)
  | ({ type: 'archive' } & WithBy)
  | ({ type: 'unarchive' } & WithBy)
  | ({ type: 'delete' } & WithBy)
  /** Tasks that just became unassigned backlog work (created, reopened, released, unassigned). */
  | ({ type: 'assign_backlog'; task_ids: string[] } & WithBy);

export type ProjectEventType = ProjectEvent['type'];

export type ProjectEmitted =
  | { type: 'render_kanban'; project_id: string }
  | { type: 'assignment_needed'; project_id: string; task_ids: string[] };

export const projectMachine = setup({
  types: {} as {
    context: ProjectContext;
    events: ProjectEvent;
    input: ProjectInput;
    emitted: ProjectEmitted;
  },
  guards: {
    /** Anyone who may change the project's work: member+, its agents, the runtime. */
    byContributor: ({ context, event }) =>
      isHumanWriter(event.by) || isAgentOf(event.by, context.id) || isRuntime(event.by),
    byOperatorOrRuntime: ({ event }) => isOperator(event.by) || isRuntime(event.by),
  },
  actions: {
    numberTask: assign({ task_counter: ({ context }) => context.task_counter + 1 }),
    requestKanbanRender: emit(({ context }) => ({ type: 'render_kanban' as const, project_id: context.id })),
    mergeSettings: assign({
      settings: ({ context, event }) =>
        event.type === 'settings_changed' ? { ...context.settings, ...event.settings } : context.settings,
    }),
    requestAssignment: emit(({ context, event }) => ({
      type: 'assignment_needed' as const,
      project_id: context.id,
      task_ids: event.type === 'assign_backlog' ? [...event.task_ids] : [],
    })),
  },
}).createMachine({
  id: MACHINE_ID,
  context: ({ input }) => ({
    id: input.id,
    name: input.name,
    settings: { ...input.settings },
    task_counter: input.task_counter ?? 0,
  }),
  initial: 'active',
  states: {
    active: {
      on: {
        task_created: { guard: 'byContributor', actions: 'numberTask' },
        board_changed: { guard: 'byContributor', actions: 'requestKanbanRender' },
        settings_changed: { guard: 'byOperatorOrRuntime', actions: 'mergeSettings' },
        assign_backlog: { guard: 'byContributor', actions: 'requestAssignment' },
        archive: { target: 'archived', guard: 'byOperatorOrRuntime' },
        delete: { target: 'deleted', guard: 'byOperatorOrRuntime' },
      },
    },
    archived: {
      on: {
        // An archived board still mirrors late changes (e.g. a destroyed agent's released task).
        board_changed: { guard: 'byContributor', actions: 'requestKanbanRender' },
        settings_changed: { guard: 'byOperatorOrRuntime', actions: 'mergeSettings' },
        unarchive: { target: 'active', guard: 'byOperatorOrRuntime' },
        delete: { target: 'deleted', guard: 'byOperatorOrRuntime' },
      },
    },
    deleted: { type: 'final' },
  },
});

export type ProjectMachine = typeof projectMachine;
