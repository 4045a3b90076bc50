import { z } from 'zod';
import type { MethodDef } from '../registry/method.js';
import { READ_MODELS } from '../registry/schemas.js';
import { paramsJsonSchema } from './tools.js';

interface JsonSchema {
  type?: string | string[];
  title?: string;
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  default?: unknown;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'array') return `${s.items ? typeOf(s.items) : 'any'}[]`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return s.type ?? 'any';
}

/** JSON Schema of what a method answers (output side), as the docs describe it. */
function resultJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
}

/**
 * A result type in one line: a read model by its title (described under "Read models"), other
 * objects by their fields. `sep` separates union members (escaped inside a table cell).
 */
function shapeOf(s: JsonSchema, sep: string): string {
  if (s.title) return s.title;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(sep);
  if (s.anyOf) return s.anyOf.map((m) => shapeOf(m, sep)).join(sep);
  if (s.type === 'array') return `${s.items ? shapeOf(s.items, sep) : 'any'}[]`;
  if (s.type === 'object' && s.properties) {
    const required = new Set(s.required ?? []);
    return `{ ${Object.entries(s.properties).map(([k, v]) => `${k}${required.has(k) ? '' : '?'}: ${shapeOf(v, sep)}`).join(', ')} }`;
  }
  if (Array.isArray(s.type)) return s.type.join(sep);
  return s.type ?? 'any';
}

/** `docs/methods.md`: every mission method of the registry, generated (never edited by hand). */
export function renderMethodsDoc(methods: readonly MethodDef[]): string {
  const out: string[] = [
    '# Mission methods',
    '',
    'Generated from the method registry (`src/gateway/methods/`) by `test/unit/registry.test.ts`',
    '(run it with `MC_WRITE_DOCS=1` to rewrite this file). JSON-RPC 2.0 over `POST /rpc` and `/ws`;',
    'errors are listed in [errors.md](errors.md). `admin` may call every method; roles below are the',
    "others allowed. Side-effecting methods take an optional `idempotency_key` (or the",
    '`Idempotency-Key` header); agents acting through a `driver` credential name the instance in',
    '`instance_id`. `mission.inspect.watch` / `.unwatch` (WebSocket only) add and remove',
    '`mission.actor_snapshot` notifications for one actor (the inspector).',
    '',
    '| method | aliases | roles | side effect | agent tool |',
    '|---|---|---|---|---|',
  ];
  for (const m of methods) {
    out.push(`| [\`${m.name}\`](#${m.name.replace(/\./g, '')}) | ${m.aliases.map((a) => `\`${a}\``).join(', ')} | ${m.roles.join(', ')} | ${m.sideEffect ? 'yes' : 'no'} | ${m.tool ? `\`${m.tool}\`` : ''} |`);
  }
  for (const m of methods) {
    const schema = paramsJsonSchema(m) as JsonSchema;
    const required = new Set(schema.required ?? []);
    out.push('', `## ${m.name}`, '', m.description, '');
    const props = Object.entries(schema.properties ?? {});
    if (props.length === 0) out.push('No params.');
    else {
      out.push('| param | type | required | default |', '|---|---|---|---|');
      for (const [name, p] of props) {
        out.push(`| \`${name}\` | ${typeOf(p)} | ${required.has(name) ? 'yes' : ''} | ${p.default !== undefined ? `\`${JSON.stringify(p.default)}\`` : ''} |`);
      }
    }
    out.push('', `Result: \`${shapeOf(resultJsonSchema(m.result), ' | ')}\``);
  }
  out.push('', '## Read models', '', 'The shapes results name above (`src/core/views.ts`); times are Unix milliseconds.');
  for (const model of READ_MODELS) {
    const schema = resultJsonSchema(model);
    const required = new Set(schema.required ?? []);
    out.push('', `### ${schema.title ?? 'untitled'}`, '', '| field | type |', '|---|---|');
    for (const [name, p] of Object.entries(schema.properties ?? {})) {
      out.push(`| \`${name}\` | ${shapeOf(p, ' \\| ')}${required.has(name) ? '' : ' (optional)'} |`);
    }
  }
  return out.join('\n') + '\n';
}
