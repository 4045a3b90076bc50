import { z } from 'zod';
import { MissionError, SLUG_RE } from '../../core/index.js';
import { commandMethod } from '../registry/command.js';
import { defineMethod, type MethodDef, OWNER_PLUS } from '../registry/method.js';
import { soulView } from '../registry/schemas.js';
import { noProject } from './scopes.js';

/** mission.soul.*: global agent classes (SPEC §5). Admins and project owners manage them. */
export const soulMethods: MethodDef[] = [
  commandMethod('soul.create', { description: 'Create a soul (agent class) with its SOUL.md.', roles: OWNER_PLUS, result: soulView, project: noProject }),
  commandMethod('soul.update', { description: 'Update a soul; a changed SOUL.md is a new version.', roles: OWNER_PLUS, result: soulView, project: noProject }),
  defineMethod({
    name: 'mission.soul.get',
    aliases: [],
    description: 'Get a soul and its current SOUL.md.',
    params: z.object({ soul_id: z.string().regex(SLUG_RE) }),
    result: soulView,
    roles: OWNER_PLUS,
    sideEffect: false,
    project: noProject,
    handler: (p, ctx) => {
      const soul = ctx.services.queries.getSoul(p.soul_id);
      if (!soul) throw new MissionError('NOT_FOUND', `no soul ${p.soul_id}`, { soul_id: p.soul_id });
      return soul;
    },
  }),
  defineMethod({
    name: 'mission.soul.list',
    aliases: [],
    description: 'List all souls.',
    params: z.object({}),
    result: z.object({ souls: z.array(soulView) }),
    roles: OWNER_PLUS,
    sideEffect: false,
    project: noProject,
    handler: (_p, ctx) => ({ souls: ctx.services.queries.listSouls() }),
  }),
];
