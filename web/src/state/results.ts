/**
 * Unwraps list results: the server answers `{tasks: [...]}`-style objects (SPEC §5); a bare array
 * is accepted too so a view does not break on a wrapper change.
 */
export function listFrom<T>(result: unknown, key: string): T[] {
  if (Array.isArray(result)) return result as T[];
  if (result && typeof result === 'object') {
    const value = (result as Record<string, unknown>)[key];
    if (Array.isArray(value)) return value as T[];
  }
  return [];
}

export function objectFrom<T>(result: unknown, key: string): T | null {
  if (!result || typeof result !== 'object') return null;
  const inner = (result as Record<string, unknown>)[key];
  if (inner && typeof inner === 'object' && !Array.isArray(inner)) return inner as T;
  return result as T;
}
