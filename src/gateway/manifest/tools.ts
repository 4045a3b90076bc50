import { z } from 'zod';
import type { MethodDef } from '../registry/method.js';

/** One tool in OpenAI function-calling format. */
export interface ToolFunction {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** JSON Schema of what a client sends (input side: fields with defaults are optional). */
export function paramsJsonSchema(def: MethodDef): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(def.params, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return schema;
}

/**
 * The agents' tool list (SPEC §5 "Tool manifest"): every agent-callable method under its tool
 * name (`log_event`, `distill_memory`, `request_help`, `update_chronicle`, task, message, fs …).
 */
export function toolManifest(tools: readonly MethodDef[]): ToolFunction[] {
  return tools.map((def) => ({
    type: 'function',
    function: { name: def.tool!, description: `${def.description} (${def.name})`, parameters: paramsJsonSchema(def) },
  }));
}
