import { z } from 'zod';
import { MissionError, SLUG_RE } from '../../core/index.js';
import { defineMethod, EVERY_MEMBER, type MethodDef, type Services } from '../registry/method.js';
import { projectDoc } from '../registry/schemas.js';
import { projectParam } from './scopes.js';

function workspaceOf(services: Services): NonNullable<Services['workspace']> {
  if (!services.workspace) throw new MissionError('INTERNAL', 'this gateway has no workspace configured');
  return services.workspace;
}

/** mission.doc.*: the project's documents for humans (KANBAN.md, CHRONICLE.md, daily logs, memory files). */
export const docMethods: MethodDef[] = [
  defineMethod({
    name: 'mission.doc.list',
    aliases: [],
    description: 'List the documents of a project.',
    params: z.object({ project_id: z.string().regex(SLUG_RE) }),
    result: z.array(projectDoc),
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectParam,
    handler: async (p, ctx) => workspaceOf(ctx.services).listDocs(p.project_id),
  }),
  defineMethod({
    name: 'mission.doc.get',
    aliases: [],
    description: 'Read one project document by its name as listed by mission.doc.list.',
    params: z.object({ project_id: z.string().regex(SLUG_RE), name: z.string().min(1).max(1024) }),
    result: z.object({ path: z.string(), content: z.string(), version: z.string(), size: z.number().int() }),
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectParam,
    handler: async (p, ctx) => workspaceOf(ctx.services).readDoc(p.project_id, p.name),
  }),
];
