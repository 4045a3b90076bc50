import { z } from 'zod';
import { MissionError } from '../../core/index.js';
import type { MethodDef } from '../registry/method.js';

const schemaLike = z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'must be a zod schema');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');

/** What a plugin's method must carry to join the registry (docs/plugins.md "Mission methods"). */
const pluginMethodShape = z.object({
  name: z.string().regex(/^mission\.[a-z][a-z0-9_.]*$/, "must start with 'mission.'"),
  aliases: z.array(z.string().regex(/^[a-z][a-z0-9_.]*$/)).default([]),
  description: z.string().min(1),
  params: schemaLike,
  result: schemaLike,
  roles: z.array(z.enum(['owner', 'member', 'viewer', 'agent'])),
  sideEffect: z.boolean(),
  tool: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/).optional(),
  project: fn,
  agentCheck: fn.optional(),
  handler: fn,
});

/**
 * Plugin methods (loaded by `src/actors/plugins.ts`, opaque there) checked into registry
 * definitions. A wrong one stops start-up with CONFIG_INVALID naming the method and the field.
 */
export function pluginMethodDefs(methods: readonly { name: string }[]): MethodDef[] {
  return methods.map((m) => {
    const parsed = pluginMethodShape.safeParse(m);
    if (!parsed.success) throw new MissionError('CONFIG_INVALID', `plugin method ${m.name}: ${z.prettifyError(parsed.error)}`, { method: m.name });
    return parsed.data as unknown as MethodDef;
  });
}
