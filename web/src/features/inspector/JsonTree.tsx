import { useState } from 'react';

/** Paths (a.b.0) whose value differs between two JSON values. */
export function changedPaths(before: unknown, after: unknown, prefix = ''): Set<string> {
  const out = new Set<string>();
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (a === b) return;
    if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.add(path);
      // Mark ancestors so collapsed parents show that something inside changed.
      const parts = path.split('.');
      for (let i = 1; i < parts.length; i++) out.add(parts.slice(0, i).join('.'));
    }
  };
  walk(before, after, prefix);
  return out;
}

export function JsonTree({ value, changed }: { value: unknown; changed: Set<string> }): React.JSX.Element {
  return (
    <div className="json-tree" data-testid="context-tree">
      <JsonNode name={null} value={value} path="" changed={changed} depth={0} />
    </div>
  );
}

function JsonNode({ name, value, path, changed, depth }: { name: string | null; value: unknown; path: string; changed: Set<string>; depth: number }): React.JSX.Element {
  const [open, setOpen] = useState(depth < 2);
  const isChanged = path !== '' && changed.has(path);
  const label = name !== null && <span className="json-key">{name}: </span>;
  if (value && typeof value === 'object' && Object.keys(value).length === 0) {
    return (
      <div className={`json-row json-leaf${isChanged ? ' json-changed' : ''}`}>
        {label}
        <span className="json-punct">{Array.isArray(value) ? '[]' : '{}'}</span>
      </div>
    );
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
    return (
      <div className={`json-row${isChanged ? ' json-changed' : ''}`}>
        <button type="button" className="json-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
          {open ? '▾' : '▸'}
        </button>
        {label}
        <span className="json-punct">{brackets[0]}</span>
        {!open && <span className="json-punct"> … {entries.length} {brackets[1]}</span>}
        {open && (
          <div className="json-children">
            {entries.map(([k, v]) => (
              <JsonNode key={k} name={k} value={v} path={path ? `${path}.${k}` : k} changed={changed} depth={depth + 1} />
            ))}
          </div>
        )}
        {open && <span className="json-punct">{brackets[1]}</span>}
      </div>
    );
  }
  return (
    <div className={`json-row json-leaf${isChanged ? ' json-changed' : ''}`} data-changed={isChanged || undefined}>
      {label}
      <span className={`json-${value === null ? 'null' : typeof value}`}>{JSON.stringify(value)}</span>
    </div>
  );
}
