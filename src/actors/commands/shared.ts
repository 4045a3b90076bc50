import {
  MissionError,
  instanceId as makeInstanceId,
  parseInstanceId,
  type AgentView,
  type By,
  type ProjectSettings,
  type TaskView,
} from '../../core/index.js';
import type { AgentContext, TaskContext } from '../../machines/index.js';
import type { ResidentActor } from '../host.js';
import type { Runtime } from '../runtime.js';
import { nextPulseAt, staggerSlot } from '../stagger.js';
import type { CommitUnit } from '../unit.js';

export type Handler<P> = (rt: Runtime, unit: CommitUnit, params: P, by: By) => unknown;

export function taskContext(rt: Runtime, entry: ResidentActor): TaskContext {
  return rt.host.snapshot(entry).context as TaskContext;
}

export function agentContext(rt: Runtime, entry: ResidentActor): AgentContext {
  return rt.host.snapshot(entry).context as AgentContext;
}

export function taskView(rt: Runtime, entry: ResidentActor): TaskView {
  return rt.host.view(entry) as TaskView;
}

export function agentView(rt: Runtime, entry: ResidentActor): AgentView {
  return rt.host.view(entry) as AgentView;
}

export function requireTask(rt: Runtime, taskId: string): ResidentActor {
  const entry = rt.host.require(taskId, 'task');
  if (entry.spec.kind !== 'task') throw new MissionError('NOT_FOUND', `task ${taskId} does not exist`, { task_id: taskId });
  return entry;
}

export function requireProject(rt: Runtime, projectId: string): ResidentActor {
  const entry = rt.host.require(projectId, 'project');
  if (entry.spec.kind !== 'project') throw new MissionError('NOT_FOUND', `project ${projectId} does not exist`, { project_id: projectId });
  return entry;
}

export function requireInstance(rt: Runtime, id: string): ResidentActor {
  parseInstanceId(id);
  const entry = rt.host.require(id, 'agent instance');
  if (entry.spec.kind !== 'agent') throw new MissionError('NOT_FOUND', `agent instance ${id} does not exist`, { instance_id: id });
  return entry;
}

/** A live (not destroyed) instance of a soul in a project, or undefined. */
export function liveInstance(rt: Runtime, soulId: string, projectId: string): ResidentActor | undefined {
  const entry = rt.host.find(makeInstanceId(soulId, projectId));
  if (!entry || entry.spec.kind !== 'agent') return undefined;
  return rt.host.snapshot(entry).value === 'destroyed' ? undefined : entry;
}

/** Souls with a live (not destroyed) instance in the project: who can be addressed or mentioned. */
export function liveSouls(rt: Runtime, projectId: string): string[] {
  const souls: string[] = [];
  for (const row of rt.repos.agents.inProject(projectId)) if (row.state !== 'destroyed') souls.push(row.soul_id);
  return souls;
}

/** The instance a call acts for: the calling agent itself, or the one a driver names. */
export function actingInstanceId(by: By, params: { instance_id?: string | undefined }): string | null {
  if (by.kind === 'agent') return by.instanceId;
  return params.instance_id ?? null;
}

export function deadmanAt(rt: Runtime, settings: ProjectSettings, now: number): number {
  void rt;
  return now + settings.deadman_timeout * 1000;
}

/**
 * Every tool call of an agent is a sign of life (SPEC §4): it pushes the deadman deadline of a
 * working instance. Bookkeeping only: no event row, the projection carries it.
 */
export function signOfLife(rt: Runtime, unit: CommitUnit, by: By): void {
  if (by.kind !== 'agent') return;
  const entry = rt.host.find(by.instanceId);
  if (!entry || entry.spec.kind !== 'agent') return;
  const ctx = agentContext(rt, entry);
  const event = {
    type: 'sign_of_life' as const,
    by,
    at: unit.now,
    deadman_at: ctx.current_task_id ? deadmanAt(rt, rt.settings(entry.projectId), unit.now) : null,
  };
  if (rt.host.can(entry, event)) rt.host.apply(unit, entry, event, null);
}

/**
 * Keeps the assignee's instance in step with its task after a task event: an instance holds the
 * task while it is in progress (task_taken arms its deadman) and lets go of it otherwise.
 * These are consequences, not the command: an instance that cannot take part is skipped.
 */
export function syncHolder(rt: Runtime, unit: CommitUnit, task: ResidentActor, previousAssignee: string | null): void {
  const ctx = taskContext(rt, task);
  const status = rt.host.snapshot(task).value;
  const release = (soulId: string | null): void => {
    if (!soulId) return;
    const agent = liveInstance(rt, soulId, ctx.project_id);
    if (!agent || agentContext(rt, agent).current_task_id !== ctx.id) return;
    const event = { type: 'task_released' as const, by: rt.runtimeBy, task_id: ctx.id };
    if (!rt.host.can(agent, event)) return;
    rt.host.apply(unit, agent, event, 'agent.task_released');
    // Another task still in progress for this soul (a human started a second one) becomes the
    // held one, so the deadman keeps covering it (found by the simulation, docs/simulation.md).
    for (const otherId of rt.repos.tasks.inProgressOf(ctx.project_id, soulId)) {
      const other = otherId === ctx.id ? undefined : rt.host.find(otherId);
      if (!other || rt.host.snapshot(other).value !== 'in_progress' || taskContext(rt, other).assignee_id !== soulId) continue;
      const take = { type: 'task_taken' as const, by: rt.runtimeBy, task_id: otherId, at: unit.now, deadman_at: deadmanAt(rt, rt.settings(ctx.project_id), unit.now) };
      if (rt.host.can(agent, take)) rt.host.apply(unit, agent, take, 'agent.task_taken');
      return;
    }
  };
  if (previousAssignee !== ctx.assignee_id) release(previousAssignee);
  if (status !== 'in_progress') return release(ctx.assignee_id);
  if (!ctx.assignee_id) return;
  const agent = liveInstance(rt, ctx.assignee_id, ctx.project_id);
  if (!agent || agentContext(rt, agent).current_task_id === ctx.id) return;
  const event = { type: 'task_taken' as const, by: rt.runtimeBy, task_id: ctx.id, at: unit.now, deadman_at: deadmanAt(rt, rt.settings(ctx.project_id), unit.now) };
  if (rt.host.can(agent, event)) rt.host.apply(unit, agent, event, 'agent.task_taken');
}

/** Checks the limit on live instances of a project. */
export function checkInstanceLimit(rt: Runtime, projectId: string, adding: number): void {
  const live = rt.repos.agents.countLive(projectId) + adding;
  if (live > rt.limits.max_instances_per_project) {
    throw new MissionError('LIMIT_EXCEEDED', `a project holds at most ${rt.limits.max_instances_per_project} agent instances`, {
      limit: 'max_instances_per_project',
      max: rt.limits.max_instances_per_project,
    });
  }
}

/**
 * Instantiates a soul in a project: fixed pulse slot (stagger), provisioned at once, first pulse
 * on the slot. `occupied` is the project's slot table, updated so several creations in one
 * command stagger against each other.
 */
export function createInstance(rt: Runtime, unit: CommitUnit, projectId: string, soulId: string, settings: ProjectSettings, occupied: Map<number, number>): ResidentActor {
  const soul = rt.repos.souls.get(soulId);
  if (!soul) throw new MissionError('NOT_FOUND', `soul ${soulId} does not exist`, { soul_id: soulId });
  const id = makeInstanceId(soulId, projectId);
  if (rt.repos.agents.get(id) || rt.host.isResident(id)) {
    throw new MissionError('CONFLICT', `agent instance ${id} already exists (instance ids are never reused)`, { instance_id: id });
  }
  const slot = staggerSlot(id, settings.pulse_interval, occupied);
  occupied.set(slot, (occupied.get(slot) ?? 0) + 1);
  const soulDriver = rt.repos.souls.settings(soulId).driver;
  const driver = typeof soulDriver === 'string' ? soulDriver : settings.driver;
  rt.setAgentExtras(id, { name: soul.name, role: soul.role, pulse_slot: slot, driver });
  const entry = rt.host.spawn(unit, 'agent', id, projectId, { id, soul_id: soulId, project_id: projectId, soul_version: soul.version, is_lead: soul.role === 'lead' });
  const provisioned = { type: 'provisioned' as const, by: rt.runtimeBy, next_pulse_at: nextPulseAt(slot, settings.pulse_interval, unit.now) };
  rt.host.apply(unit, entry, provisioned, 'agent.created');
  unit.addEffectKey(`soul:${soulId}`);
  unit.afterCommit.push(async () => {
    await rt.files.instanceCreated(projectId, soulId, soul.soul_md);
    const { driver: d } = rt.driverFor(projectId, soulId);
    await d?.instanceCreated?.({ id, soulId, projectId, soulVersion: soul.version }, soul.soul_md);
  });
  return entry;
}

/** Live instances of `soulId` other than `exceptId` whose pulses go through the driver `driverName`. */
function otherInstancesOfSoulOn(rt: Runtime, soulId: string, exceptId: string, driverName: string): number {
  return rt.repos.agents.liveOfSoul(soulId).filter((row) => row.id !== exceptId && rt.driverFor(row.project_id, soulId).name === driverName).length;
}

/**
 * Destroys an instance (agent.destroy, project.delete): its in-progress tasks go back to the
 * backlog (the runtime's `release`: no attempt counted), its open tasks lose
 * their assignee, its tokens are revoked, its driver session deleted and any run aborted.
 */
export function destroyInstance(rt: Runtime, unit: CommitUnit, agent: ResidentActor, by: By): void {
  const ctx = agentContext(rt, agent);
  const destroy = { type: 'destroy' as const, by };
  rt.host.check(agent, destroy);
  for (const taskId of rt.repos.tasks.openOf(ctx.project_id, ctx.soul_id)) {
    const task = rt.host.find(taskId);
    if (!task) continue;
    const tctx = taskContext(rt, task);
    if (tctx.assignee_id !== ctx.soul_id) continue;
    const release = { type: 'release' as const, by: rt.runtimeBy };
    if (rt.host.can(task, release)) rt.host.apply(unit, task, release, 'task.moved', { reason: 'instance destroyed' });
    const unassign = { type: 'assign' as const, by: rt.runtimeBy, assignee_id: null };
    if (rt.host.can(task, unassign)) rt.host.apply(unit, task, unassign, 'task.assigned', { reason: 'instance destroyed' });
  }
  rt.host.apply(unit, agent, destroy, 'agent.destroyed');
  unit.after.push((repos) => repos.agents.revokeTokens(ctx.id, unit.now));
  const ref = { id: ctx.id, soulId: ctx.soul_id, projectId: ctx.project_id, soulVersion: ctx.soul_version };
  // Ordered with the soul's other instance effects: a create committed after this destroy sees its outcome.
  unit.addEffectKey(`soul:${ctx.soul_id}`);
  unit.afterCommit.push(async () => {
    rt.scheduler.forget(ctx.id);
    const { driver, name } = rt.driverFor(ctx.project_id, ctx.soul_id);
    if (driver) {
      await driver.abort(ref);
      // Read when the effect runs, not at commit: instances created or destroyed meanwhile count.
      await driver.instanceDestroyed?.(ref, { otherInstancesOfSoul: otherInstancesOfSoulOn(rt, ctx.soul_id, ctx.id, name) });
    }
    // SPEC §4: deleting kills any agent process still running for the instance.
    const pgid = rt.repos.agents.pgidOf(ctx.id);
    if (pgid !== null) await rt.terminateProcessGroup(ctx.id, pgid);
    await rt.files.instanceDestroyed(ctx.project_id, ctx.soul_id);
  });
}
