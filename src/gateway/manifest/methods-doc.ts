import type { MethodDef } from '../registry/method.js';
import { paramsJsonSchema } from './tools.js';

interface JsonSchema {
  type?: string | string[];
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
    if (props.length === 0) {
      out.push('No params.');
      continue;
    }
    out.push('| param | type | required | default |', '|---|---|---|---|');
    for (const [name, p] of props) {
      out.push(`| \`${name}\` | ${typeOf(p)} | ${required.has(name) ? 'yes' : ''} | ${p.default !== undefined ? `\`${JSON.stringify(p.default)}\`` : ''} |`);
    }
  }
  return out.join('\n') + '\n';
}
