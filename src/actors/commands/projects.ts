import { MissionError, slugify, assertSlug, type CommandParams, type ProjectSettings, type ProjectView } from '../../core/index.js';
import type { ProjectContext } from '../../machines/index.js';
import type { ResidentActor } from '../host.js';
import type { Runtime } from '../runtime.js';
import { projectView } from '../specs.js';
import { checkInstanceLimit, createInstance, destroyInstance, requireProject, type Handler } from './shared.js';

/** SPEC §4: an agent shows life only during pulses, so the deadman must outlast two of them. */
export function checkProjectSettings(s: ProjectSettings): void {
  if (s.deadman_timeout < 2 * s.pulse_interval + s.pulse_timeout) {
    throw new MissionError('INVALID_INPUT', 'deadman_timeout must be at least 2 × pulse_interval + pulse_timeout', {
      keys: ['deadman_timeout', 'pulse_interval', 'pulse_timeout'],
      deadman_timeout: s.deadman_timeout,
      minimum: 2 * s.pulse_interval + s.pulse_timeout,
    });
  }
}

export function viewOfProject(rt: Runtime, entry: ResidentActor, pendingSeq = 0): ProjectView {
  const snap = rt.host.snapshot(entry);
  const lastSeq = (rt.repos.projects.lastSeq(entry.id) ?? 0) + pendingSeq;
  return { ...projectView(snap.context as ProjectContext, snap.value === 'archived', lastSeq, entry.meta), settings: rt.settings(entry.id) };
}

/**
 * Task ids are `<project_id>-<n>` (SPEC §2: every task id names its project), so project `apollo`
 * and project `apollo-2` cannot both exist: task 2 of the first would be the second's id, and
 * that task could never be created. Such an id is refused, in either order, deleted projects
 * included (ids are never reused).
 */
function refuseAmbiguousTaskIds(rt: Runtime, id: string): void {
  const numbered = /^(.+)-(\d+)$/.exec(id);
  const parent = numbered && rt.repos.projects.get(numbered[1]!) ? numbered[1]! : undefined;
  const child = rt.repos.projects.idsWithNumberedSuffix(id)[0];
  const other = parent ?? child;
  if (other === undefined) return;
  const owner = parent ?? id;
  throw new MissionError('CONFLICT', `project id ${id} is ambiguous with project ${other}: task ids of ${owner} are ${owner}-<n>; choose another project_id`, {
    project_id: id,
    conflicts_with: other,
  });
}

/** mission.project.init: the project, its actor and an instance of each `base_id` soul. */
export const initProject: Handler<CommandParams<'project.init'>> = (rt, unit, p, by) => {
  const id = assertSlug(p.project_id ?? slugify(p.project_name), 'project_id');
  if (rt.repos.projects.get(id)) {
    throw new MissionError('CONFLICT', `project ${id} already exists (project ids are never reused)`, { project_id: id });
  }
  refuseAmbiguousTaskIds(rt, id);
  if (rt.repos.projects.countLive() + 1 > rt.limits.max_projects) {
    throw new MissionError('LIMIT_EXCEEDED', `at most ${rt.limits.max_projects} projects`, { limit: 'max_projects', max: rt.limits.max_projects });
  }
  const settings: ProjectSettings = { ...rt.defaults, ...p.settings };
  checkProjectSettings(settings);
  const souls = [...new Set(p.base_id === undefined ? [] : typeof p.base_id === 'string' ? [p.base_id] : p.base_id)];
  for (const soulId of souls) {
    if (!rt.repos.souls.get(soulId)) throw new MissionError('NOT_FOUND', `soul ${soulId} does not exist`, { soul_id: soulId });
  }
  if (souls.length > rt.limits.max_instances_per_project) checkInstanceLimit(rt, id, souls.length);
  // The row keeps only what was set explicitly: the rest follows the (reloadable) defaults.
  const overrides = Object.fromEntries(Object.entries(p.settings ?? {}).filter(([, v]) => v !== undefined)) as Partial<ProjectSettings>;
  unit.before.push((repos) => repos.projects.insert({ id, name: p.project_name, settings: overrides, at: unit.now }));
  rt.setOverrides(id, overrides);
  const project = rt.host.spawn(unit, 'project', id, id, { id, name: p.project_name, settings });
  rt.host.record(unit, project, rt.host.snapshot(project), { type: 'create', by }, 'project.created');
  unit.afterCommit.push(() => rt.files.projectCreated(id, p.project_name));
  const occupied = new Map<number, number>();
  for (const soulId of souls) createInstance(rt, unit, id, soulId, settings, occupied);
  return viewOfProject(rt, project, unit.events.length);
};

export const archiveProject: Handler<CommandParams<'project.archive'>> = (rt, unit, p, by) => {
  const project = requireProject(rt, p.project_id);
  rt.host.apply(unit, project, { type: 'archive', by }, 'project.archived');
  return viewOfProject(rt, project, unit.events.length);
};

/** mission.project.delete: destroys every instance the way agent.destroy does, then the project. */
export const deleteProject: Handler<CommandParams<'project.delete'>> = (rt, unit, p, by) => {
  const project = requireProject(rt, p.project_id);
  const del = { type: 'delete' as const, by };
  rt.host.check(project, del);
  for (const row of rt.repos.agents.inProject(p.project_id)) {
    const agent = rt.host.find(row.id);
    if (!agent || rt.host.snapshot(agent).value === 'destroyed') continue;
    destroyInstance(rt, unit, agent, rt.runtimeBy);
  }
  rt.host.apply(unit, project, del, 'project.deleted');
  unit.afterCommit.push(() => rt.files.projectDeleted(p.project_id));
  return viewOfProject(rt, project, unit.events.length);
};
