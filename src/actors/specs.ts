import type { AnyMachineSnapshot } from 'xstate';
import { type AgentView, type By, type ProjectSettings, type ProjectView, type TaskView } from '../core/index.js';
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
  toAgentView,
  toTaskView,
  type AgentContext,
  type AgentViewExtras,
  type PersistedSnapshotJson,
  type ProjectContext,
  type TaskSnapshot,
} from '../machines/index.js';
import { taskRecord, type RepoWrites } from '../store/index.js';
import { handledEventTypes, type ActorKindSpec, type ActorMeta } from './kind.js';


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
    project: (repos, view) => {
      if (view) repos.tasks.upsertRecord(taskRecord(view as TaskView));
    },
    allowed: (snap, by: By) => allowedTargets(snap as TaskSnapshot, by, { deps_done: depsDone(snap as TaskSnapshot) }),
  };
}

/**
 * Agent actors. The read model needs soul facts and the instance's fixed placement (pulse slot,
 * driver), which are not machine state: `extras` supplies them (kept by the runtime).
 */
export function agentSpec(extras: (context: AgentContext) => AgentViewExtras): ActorKindSpec {
  return {
    kind: 'agent',
    machine: agentMachine,
    machineId: AGENT_MACHINE_ID,
    machineVersion: AGENT_MACHINE_VERSION,
    migrate: migrator(AGENT_MACHINE_ID),
    isRestorable: restorable,
    view: (snap) => toAgentView(snap as never, extras(snap.context as AgentContext)),
    isPassive: (snap) => snap.value === 'destroyed',
    project: (repos, view, _snap, meta: ActorMeta) => {
      if (view) repos.agents.upsert(view as AgentView, meta.updated_at);
    },
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
    project: (repos: RepoWrites, _view, snap, meta) => {
      const c = snap.context as ProjectContext;
      repos.projects.setTaskCounter(c.id, c.task_counter, meta.updated_at);
      if (snap.value === 'deleted') repos.projects.setDeleted(c.id, meta.updated_at);
      else repos.projects.setArchived(c.id, snap.value === 'archived' ? meta.updated_at : null, meta.updated_at);
    },
    allowed: (snap) => handledEventTypes(snap),
  };
}

