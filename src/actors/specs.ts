import type { AnyMachineSnapshot } from 'xstate';
import { statusCode, type AgentView, type By, type ProjectSettings, type ProjectView } from '../core/index.js';
import {
  AGENT_MACHINE_ID,
  AGENT_MACHINE_VERSION,
  PROJECT_MACHINE_ID,
  PROJECT_MACHINE_VERSION,
  TASK_MACHINE_ID,
  TASK_MACHINE_VERSION,
  agentMachine,
  allowedTargets,
  migrateSnapshot,
  projectMachine,
  taskMachine,
  taskStatusOf,
  toAgentView,
  toTaskView,
  taskViewChanges,
  type AgentContext,
  type AgentViewExtras,
  type PersistedSnapshotJson,
  type ProjectContext,
  type TaskSnapshot,
} from '../machines/index.js';
import type { RepoWrites, TaskRecord } from '../store/index.js';
import { handledEventTypes, type ActorKindSpec, type ActorMeta } from './kind.js';

/**
 * A task's row (read model and persisted snapshot in one) from its snapshot. Every key of the
 * machine's context has its column: the `actor_snapshot_rows` view rebuilds the context from
 * them (a context key without a column would be lost at the next restore; a test checks).
 */
export function taskRecord(snapshot: TaskSnapshot, meta: ActorMeta, seq: number): TaskRecord {
  const c = snapshot.context;
  return [
    c.id,
    c.project_id,
    c.title,
    c.description,
    statusCode(taskStatusOf(snapshot)),
    c.priority,
    c.assignee_id,
    c.depends_on.length === 0 ? '[]' : JSON.stringify(c.depends_on),
    c.version,
    c.blocked_reason,
    c.blocked_from === null ? null : statusCode(c.blocked_from),
    c.attempts,
    c.require_review ? 1 : 0,
    c.max_attempts,
    c.help_answer,
    TASK_MACHINE_VERSION,
    seq,
    meta.created_at,
    meta.updated_at,
  ];
}

function migrator(machineId: string) {
  return (persisted: unknown, fromVersion: number): unknown => migrateSnapshot(machineId, fromVersion, persisted as PersistedSnapshotJson);
}

const restorable = (snap: AnyMachineSnapshot): boolean => snap.status === 'active' || snap.status === 'done';

/** Task actors; done and archived tasks are passive (not resident until needed). */
export function taskSpec(depsDone: (snapshot: TaskSnapshot) => boolean): ActorKindSpec {
  return {
    kind: 'task',
    machine: taskMachine,
    machineId: TASK_MACHINE_ID,
    machineVersion: TASK_MACHINE_VERSION,
    migrate: migrator(TASK_MACHINE_ID),
    isRestorable: restorable,
    view: (snap, meta) => toTaskView(snap as TaskSnapshot, meta),
    isPassive: (snap) => snap.value === 'done' || snap.value === 'archived',
    // A new task's row is inserted: an id that already has one fails the commit, never overwrites it.
    project: (repos, snap, meta, seq, _last, isNew) => repos.tasks.upsertRecord(taskRecord(snap as TaskSnapshot, meta, seq), isNew),
    rowIsSnapshot: true,
    viewChanges: (prev, prevUpdatedAt, next, nextUpdatedAt) => taskViewChanges(prev as TaskSnapshot, prevUpdatedAt, next as TaskSnapshot, nextUpdatedAt),
    allowed: (snap, by: By) => allowedTargets(snap as TaskSnapshot, by, { deps_done: depsDone(snap as TaskSnapshot) }),
  };
}

/**
 * Agent actors. The read model needs soul facts and the instance's fixed placement (pulse slot,
 * driver), which are not machine state: `extras` supplies them (kept by the runtime).
 */
export function agentSpec(extras: (context: AgentContext) => AgentViewExtras): ActorKindSpec {
  const view = (snap: AnyMachineSnapshot): AgentView => toAgentView(snap as never, extras(snap.context as AgentContext));
  return {
    kind: 'agent',
    machine: agentMachine,
    machineId: AGENT_MACHINE_ID,
    machineVersion: AGENT_MACHINE_VERSION,
    migrate: migrator(AGENT_MACHINE_ID),
    isRestorable: restorable,
    view,
    isPassive: (snap) => snap.value === 'destroyed',
    project: (repos, snap, meta, _seq, last) => repos.agents.upsert((last?.view as AgentView | undefined) ?? view(snap), meta.updated_at),
    rowIsSnapshot: false,
    allowed: (snap) => handledEventTypes(snap),
  };
}

export function projectView(context: ProjectContext, archived: boolean, lastSeq: number, meta: ActorMeta): ProjectView {
  return {
    id: context.id,
    name: context.name,
    settings: context.settings as ProjectSettings,
    archived,
    last_seq: lastSeq,
    created_at: meta.created_at,
    updated_at: meta.updated_at,
  };
}

/** Project actors: they number tasks; their projection is `projects.task_counter` / archived. */
export function projectSpec(lastSeq: (projectId: string) => number, settings: (projectId: string) => ProjectSettings): ActorKindSpec {
  return {
    kind: 'project',
    machine: projectMachine,
    machineId: PROJECT_MACHINE_ID,
    machineVersion: PROJECT_MACHINE_VERSION,
    migrate: migrator(PROJECT_MACHINE_ID),
    isRestorable: restorable,
    view: (snap, meta) => {
      const c = snap.context as ProjectContext;
      return { ...projectView(c, snap.value === 'archived', lastSeq(c.id), meta), settings: settings(c.id) };
    },
    isPassive: (snap) => snap.value === 'deleted',
    project: (repos: RepoWrites, snap, meta) => {
      const c = snap.context as ProjectContext;
      repos.projects.setTaskCounter(c.id, c.task_counter, meta.updated_at);
      if (snap.value === 'deleted') repos.projects.setDeleted(c.id, meta.updated_at);
      else repos.projects.setArchived(c.id, snap.value === 'archived' ? meta.updated_at : null, meta.updated_at);
    },
    rowIsSnapshot: false,
    allowed: (snap) => handledEventTypes(snap),
  };
}

