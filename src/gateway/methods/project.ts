import { z } from 'zod';
import { MissionError, SLUG_RE, slugify } from '../../core/index.js';
import { commandMethod } from '../registry/command.js';
import { defineMethod, EVERY_MEMBER, type MethodDef, OWNER_PLUS } from '../registry/method.js';
import { agentView, projectView, taskView } from '../registry/schemas.js';
import { noProject, projectParam } from './scopes.js';

const projectId = z.object({ project_id: z.string().regex(SLUG_RE) });

/** mission.project.*: project scopes (SPEC §5). */
export const projectMethods: MethodDef[] = [
  commandMethod('project.init', {
    description: 'Create a project scope, optionally instantiating souls (base_id) into it.',
    roles: OWNER_PLUS,
    result: projectView,
    project: noProject,
    // The human who creates a project owns it; without this only admins could reach it.
    after: (p, _result, ctx) => {
      if (ctx.principal.kind !== 'user') return;
      const id = p.project_id ?? slugify(p.project_name);
      ctx.services.memberships.grant(ctx.principal.userId, id, 'owner', Date.now());
    },
  }),
  commandMethod('project.archive', { description: 'Archive a project.', roles: OWNER_PLUS, result: projectView, project: projectParam }),
  commandMethod('project.delete', {
    description: 'Delete a project: its instances are destroyed; ids are never reused.',
    roles: OWNER_PLUS,
    result: projectView,
    project: projectParam,
  }),
  defineMethod({
    name: 'mission.project.list',
    aliases: [],
    description: 'List the projects the caller belongs to (all of them for an admin).',
    params: z.object({}),
    result: z.object({ projects: z.array(projectView) }),
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: noProject,
    handler: (_p, ctx) => {
      const { queries, memberships, projectDefaults } = ctx.services;
      const p = ctx.principal;
      const ids = p.kind === 'user' && !p.isAdmin ? memberships.forUser(p.userId).map((m) => m.project_id) : undefined;
      return { projects: queries.listProjects(projectDefaults, ids) };
    },
  }),
  defineMethod({
    name: 'mission.project.get',
    aliases: [],
    description: 'A consistent snapshot of a project: settings, tasks, agents and the seq they reflect (full sync).',
    params: projectId,
    result: z.object({ project: projectView, tasks: z.array(taskView), agents: z.array(agentView), last_seq: z.number().int() }),
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectParam,
    handler: (p, ctx) => {
      const snap = ctx.services.queries.projectSnapshot(p.project_id, ctx.services.projectDefaults);
      if (!snap) throw new MissionError('NOT_FOUND', `no project ${p.project_id}`, { project_id: p.project_id });
      return snap;
    },
  }),
];
