import { z } from 'zod';
import { MissionError } from '../../core/index.js';
import { commandMethod } from '../registry/command.js';
import { defineMethod, EVERY_MEMBER, type MethodDef, OWNER_PLUS, type Services } from '../registry/method.js';
import { actorView, committedEvent, ok } from '../registry/schemas.js';
import { noProject } from './scopes.js';

const actorId = z.string().min(1).max(120);

function projectOfActor(p: { actor_id: string }, services: Services): string {
  const project = services.queries.actorProject(p.actor_id);
  if (!project) throw new MissionError('NOT_FOUND', `no actor ${p.actor_id}`, { actor_id: p.actor_id });
  return project;
}

/** mission.inspect.*: the visual inspector's view of actors (SPEC §11). */
export const inspectMethods: MethodDef[] = [
  defineMethod({
    name: 'mission.inspect.machine',
    aliases: [],
    description: 'The state machine definition (XState JSON) of an actor kind, with its id and version.',
    params: z.object({ kind: z.enum(['task', 'agent', 'project']) }),
    result: z.object({ kind: z.string(), id: z.string(), version: z.number().int(), definition: z.unknown() }),
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: noProject,
    handler: (p, ctx) => {
      const machine = ctx.services.machines[p.kind];
      if (!machine) throw new MissionError('NOT_FOUND', `no machine for kind ${p.kind}`, { kind: p.kind });
      return { kind: p.kind, id: machine.id, version: machine.version, definition: machine.toJSON() };
    },
  }),
  defineMethod({
    name: 'mission.inspect.events',
    aliases: [],
    description: "An actor's persisted events, newest page first below before_seq, returned in seq order.",
    params: z.object({ actor_id: actorId, before_seq: z.number().int().min(1).optional(), limit: z.number().int().min(1).max(1000).default(100) }),
    result: z.object({ events: z.array(committedEvent) }),
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectOfActor,
    handler: (p, ctx) => ({ events: ctx.services.queries.actorEvents(p.actor_id, p.before_seq, p.limit) }),
  }),
  commandMethod('inspect.send', {
    description: 'Send an allowed machine event to an actor (operators).',
    roles: OWNER_PLUS,
    result: z.object({ actor_id: z.string(), state_value: z.unknown(), view: actorView.nullable() }),
    project: (p, s) => projectOfActor(p, s),
  }),
  defineMethod({
    name: 'mission.inspect.watch',
    aliases: [],
    description:
      'Receive mission.actor_snapshot notifications for one actor on this WebSocket (the inspector); answers with its current persisted state.',
    params: z.object({ actor_id: actorId }),
    result: z.object({
      ok: z.literal(true),
      current: z.object({ actor_id: z.string(), project_id: z.string(), kind: z.string(), state_value: z.unknown(), context: z.unknown(), seq: z.number().int() }).nullable(),
    }),
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectOfActor,
    handler: (p, ctx) => {
      if (!ctx.session) throw new MissionError('INVALID_INPUT', 'mission.inspect.watch needs a WebSocket connection (/ws)');
      ctx.session.watch(p.actor_id);
      return { ok: true as const, current: ctx.services.queries.actorState(p.actor_id) ?? null };
    },
  }),
  defineMethod({
    name: 'mission.inspect.unwatch',
    aliases: [],
    description: 'Stop mission.actor_snapshot notifications for one actor.',
    params: z.object({ actor_id: actorId }),
    result: ok,
    roles: EVERY_MEMBER,
    sideEffect: false,
    project: projectOfActor,
    handler: (p, ctx) => {
      ctx.session?.unwatch(p.actor_id);
      return { ok: true as const };
    },
  }),
];
