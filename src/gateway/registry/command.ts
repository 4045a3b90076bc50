import { z } from 'zod';
import { COMMAND_PARAMS, type CommandName } from '../../core/index.js';
import { defineMethod, type ActingAgent, type CallerRole, type CallContext, type MethodDef, type Services } from './method.js';

/** Client-chosen key of a side-effecting call (SPEC §5); never derived from content. */
export const idempotencyKeyParam = z.string().min(1).max(200).optional();

type CommandSchema<N extends CommandName> = (typeof COMMAND_PARAMS)[N];

export interface CommandMethodSpec<N extends CommandName> {
  description: string;
  roles: readonly CallerRole[];
  aliases?: readonly string[];
  tool?: string;
  /** What the runtime answers (docs, and the result check of test/integration/roles.test.ts). */
  result: z.ZodType;
  project(params: z.infer<CommandSchema<N>>, services: Services): string | null | undefined;
  agentCheck?(params: z.infer<CommandSchema<N>>, agent: ActingAgent, services: Services): void;
  /** Runs after a successful command (e.g. make the creator of a project its owner). */
  after?(params: z.infer<CommandSchema<N>>, result: unknown, ctx: CallContext): void;
}

/** Sends the command to the runtime with the caller's `By` and idempotency key. */
export async function executeCommand<N extends CommandName>(name: N, params: z.infer<CommandSchema<N>>, ctx: CallContext): Promise<unknown> {
  return ctx.services.runtime.execute({
    name,
    params,
    by: ctx.by,
    principal_key: ctx.principalKey,
    request_id: ctx.requestId,
    ...(ctx.idempotencyKey !== undefined ? { idempotency_key: ctx.idempotencyKey } : {}),
  });
}

/** A registry entry for one runtime command: params are `COMMAND_PARAMS[name]` (core). */
export function commandMethod<N extends CommandName>(name: N, spec: CommandMethodSpec<N>): MethodDef {
  const base = COMMAND_PARAMS[name] as unknown as z.ZodObject;
  const params = base.extend({ idempotency_key: idempotencyKeyParam });
  return defineMethod({
    name: `mission.${name}`,
    aliases: spec.aliases ?? [],
    description: spec.description,
    params,
    result: spec.result,
    roles: spec.roles,
    sideEffect: true,
    ...(spec.tool ? { tool: spec.tool } : {}),
    project: (p, s) => spec.project(p as z.infer<CommandSchema<N>>, s),
    ...(spec.agentCheck
      ? { agentCheck: (p: unknown, agent: ActingAgent, s: Services) => spec.agentCheck!(p as z.infer<CommandSchema<N>>, agent, s) }
      : {}),
    handler: async (p, ctx) => {
      const { idempotency_key: _key, ...commandParams } = p as Record<string, unknown>;
      const result = await executeCommand(name, commandParams as z.infer<CommandSchema<N>>, ctx);
      spec.after?.(commandParams as z.infer<CommandSchema<N>>, result, ctx);
      return result;
    },
  });
}
