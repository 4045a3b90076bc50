import { z } from 'zod';
import { MissionError, SLUG_RE } from '../../core/index.js';
import { defineMethod, EVERY_MEMBER, type MethodDef } from '../registry/method.js';
import { ok } from '../registry/schemas.js';
import { projectParam } from './scopes.js';

/** mission.subscribe / mission.unsubscribe: the live feed of a project (SPEC §5 "Feed"). */
export const feedMethods: MethodDef[] = [
  defineMethod({
    name: 'mission.subscribe',
    aliases: [],
    description:
      'Replay the events with seq > since_seq, then push live ones, with no gap and no duplicate. FULL_SYNC_REQUIRED when since_seq is older than the retained log: reload with mission.project.get.',
    params: z.object({ project_id: z.string().regex(SLUG_RE), since_seq: z.number().int().min(0).optional() }),
    result: z.object({ project_id: z.string(), since_seq: z.number().int(), last_seq: z.number().int() }),
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectParam,
    handler: (p, ctx) => {
      if (!ctx.session) throw new MissionError('INVALID_INPUT', 'mission.subscribe needs a WebSocket connection (/ws)');
      if (!ctx.services.queries.projectExists(p.project_id)) throw new MissionError('NOT_FOUND', `no project ${p.project_id}`, { project_id: p.project_id });
      const session = ctx.session;
      const answer = session.subscribe(p.project_id, p.since_seq);
      ctx.afterAnswer(() => session.startReplay(p.project_id));
      return answer;
    },
  }),
  defineMethod({
    name: 'mission.unsubscribe',
    aliases: [],
    description: "Stop the project's live feed on this connection.",
    params: z.object({ project_id: z.string().regex(SLUG_RE) }),
    result: ok,
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectParam,
    handler: (p, ctx) => {
      ctx.session?.unsubscribe(p.project_id);
      return { ok: true as const };
    },
  }),
];
