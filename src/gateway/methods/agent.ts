import { z } from 'zod';
import { MissionError, SLUG_RE } from '../../core/index.js';
import { commandMethod } from '../registry/command.js';
import { defineMethod, EVERY_MEMBER, type MethodDef, OWNER_PLUS } from '../registry/method.js';
import { agentView } from '../registry/schemas.js';
import { projectOfInstance, projectParam } from './scopes.js';

const INSTANCE_ID = /^[a-z0-9][a-z0-9-]{0,39}:[a-z0-9][a-z0-9-]{0,39}$/;

/** mission.agent.*: agent instances (SPEC §4, §5). Operators manage them; agents only sync. */
export const agentMethods: MethodDef[] = [
  commandMethod('agent.sync', {
    description: 'Report liveness and status (idle, working, distilling, blocked); a sign of life.',
    roles: ['agent'],
    tool: 'sync',
    result: agentView,
    project: projectOfInstance,
  }),
  commandMethod('agent.create', { description: 'Instantiate a soul into a project.', roles: OWNER_PLUS, result: agentView, project: projectParam }),
  commandMethod('agent.pause', { description: 'Pause an instance: no pulses until resumed.', roles: OWNER_PLUS, result: agentView, project: projectOfInstance }),
  commandMethod('agent.resume', { description: 'Resume a paused or blocked instance.', roles: OWNER_PLUS, result: agentView, project: projectOfInstance }),
  commandMethod('agent.upgrade', {
    description: "Apply the soul's newest (or a given) SOUL.md version; in-progress work is kept.",
    roles: OWNER_PLUS,
    result: agentView,
    project: projectOfInstance,
  }),
  commandMethod('agent.destroy', {
    description: 'Destroy an instance: tasks back to backlog, files archived, tokens revoked.',
    roles: OWNER_PLUS,
    result: agentView,
    project: projectOfInstance,
  }),
  commandMethod('agent.pulse_now', { description: 'Pulse an instance now, outside its schedule.', roles: OWNER_PLUS, result: agentView, project: projectOfInstance }),
  defineMethod({
    name: 'mission.agent.list',
    aliases: [],
    description: 'List the agent instances of a project.',
    params: z.object({ project_id: z.string().regex(SLUG_RE) }),
    result: z.object({ agents: z.array(agentView) }),
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectParam,
    handler: (p, ctx) => ({ agents: ctx.services.queries.listAgents(p.project_id) }),
  }),
  defineMethod({
    name: 'mission.agent.get',
    aliases: [],
    description: 'Get one agent instance.',
    params: z.object({ instance_id: z.string().regex(INSTANCE_ID) }),
    result: agentView,
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectOfInstance,
    handler: (p, ctx) => {
      const agent = ctx.services.queries.getAgent(p.instance_id);
      if (!agent) throw new MissionError('NOT_FOUND', `no agent instance ${p.instance_id}`, { instance_id: p.instance_id });
      return agent;
    },
  }),
];
