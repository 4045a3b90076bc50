import { MissionError, parseInstanceId, type CommandParams } from '../../core/index.js';
import { nextPulseAt } from '../stagger.js';
import {
  agentContext,
  agentView,
  checkInstanceLimit,
  createInstance,
  deadmanAt,
  destroyInstance,
  requireInstance,
  requireProject,
  type Handler,
} from './shared.js';

export const createAgent: Handler<CommandParams<'agent.create'>> = (rt, unit, p) => {
  const project = requireProject(rt, p.project_id);
  if (rt.host.snapshot(project).value === 'deleted') throw new MissionError('NOT_FOUND', `project ${p.project_id} was deleted`);
  checkInstanceLimit(rt, p.project_id, 1);
  const settings = rt.settings(p.project_id);
  const entry = createInstance(rt, unit, p.project_id, p.soul_id, settings, rt.repos.agents.slotCounts(p.project_id));
  return agentView(rt, entry);
};

export const pauseAgent: Handler<CommandParams<'agent.pause'>> = (rt, unit, p, by) => {
  const agent = requireInstance(rt, p.instance_id);
  rt.host.apply(unit, agent, { type: 'pause', by }, 'agent.paused');
  return agentView(rt, agent);
};

export const resumeAgent: Handler<CommandParams<'agent.resume'>> = (rt, unit, p, by) => {
  const agent = requireInstance(rt, p.instance_id);
  const settings = rt.settings(agent.projectId);
  const slot = rt.agentExtras(agent.id).pulse_slot;
  rt.host.apply(unit, agent, { type: 'resume', by, at: unit.now, next_pulse_at: nextPulseAt(slot, settings.pulse_interval, unit.now) }, 'agent.resumed');
  return agentView(rt, agent);
};

/** mission.agent.upgrade: upgrading now; once the driver has the new SOUL.md, upgraded. */
export const upgradeAgent: Handler<CommandParams<'agent.upgrade'>> = (rt, unit, p, by) => {
  const agent = requireInstance(rt, p.instance_id);
  const { soulId, projectId } = parseInstanceId(p.instance_id);
  const soul = rt.repos.souls.get(soulId);
  if (!soul) throw new MissionError('NOT_FOUND', `soul ${soulId} does not exist`);
  const version = p.soul_version ?? soul.version;
  const md = rt.repos.souls.version(soulId, version);
  if (!md) throw new MissionError('NOT_FOUND', `soul ${soulId} has no version ${version}`, { soul_version: version });
  rt.host.apply(unit, agent, { type: 'upgrade', by, soul_version: version }, 'agent.upgrading');
  unit.afterCommit.push(async () => {
    const { driver } = rt.driverFor(projectId, soulId);
    try {
      await driver?.instanceUpgraded?.({ id: agent.id, soulId, projectId, soulVersion: version }, md.soul_md);
    } finally {
      // In-progress work is kept (SPEC §4): the instance returns to where the upgrade found it.
      await rt.runInternal((u) => {
        const entry = rt.host.find(agent.id);
        const done = { type: 'upgraded' as const, by: rt.runtimeBy };
        if (entry && rt.host.can(entry, done)) rt.host.apply(u, entry, done, 'agent.upgraded');
      });
    }
  });
  return agentView(rt, agent);
};

export const destroyAgent: Handler<CommandParams<'agent.destroy'>> = (rt, unit, p, by) => {
  const agent = requireInstance(rt, p.instance_id);
  destroyInstance(rt, unit, agent, by);
  return agentView(rt, agent);
};

/** mission.agent.pulse_now: an extra pulse now; refused unless the instance could pulse. */
export const pulseNow: Handler<CommandParams<'agent.pulse_now'>> = (rt, unit, p) => {
  const agent = requireInstance(rt, p.instance_id);
  rt.scheduler.startPulse(unit, agent, unit.now, true);
  return agentView(rt, agent);
};

/** mission.agent.sync: a sign of life with the agent's own status report. */
export const syncAgent: Handler<CommandParams<'agent.sync'>> = (rt, unit, p, by) => {
  const agent = requireInstance(rt, p.instance_id);
  const ctx = agentContext(rt, agent);
  const event = {
    type: 'sync' as const,
    by,
    at: unit.now,
    status: p.status,
    ...(p.current_task_id !== undefined ? { current_task_id: p.current_task_id } : {}),
    deadman_at: ctx.current_task_id ? deadmanAt(rt, rt.settings(agent.projectId), unit.now) : null,
  };
  rt.host.apply(unit, agent, event, 'agent.synced');
  return agentView(rt, agent);
};
