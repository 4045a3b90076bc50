import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, MissionError, missionErrorFromJSON, type ErrorCode } from '../../src/core/index.js';

/** Every code of the error registry is documented in docs/errors.md with the same severity and status. */
const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const rows = new Map<string, { severity: string; http: number; meaning: string; todo: string }>();
for (const line of doc.split('\n')) {
  const m = /^\| `([A-Z_]+)` \| (\w+) \| (\d{3}) \| (.+?) \| (.+?) \|$/.exec(line);
  if (m) rows.set(m[1]!, { severity: m[2]!, http: Number(m[3]), meaning: m[4]!, todo: m[5]! });
}

describe('error registry documentation', () => {
  it('documents every code with its severity, HTTP status, meaning and what to do', () => {
    for (const [code, def] of Object.entries(ERRORS)) {
      const row = rows.get(code);
      expect(row, `docs/errors.md lacks ${code}`).toBeDefined();
      expect(row!.severity, code).toBe(def.severity);
      expect(row!.http, code).toBe(def.httpStatus);
      expect(row!.meaning.length, code).toBeGreaterThan(20);
      expect(row!.todo.length, code).toBeGreaterThan(10);
    }
  });

  it('documents no code the registry lacks', () => {
    for (const code of rows.keys()) expect(Object.keys(ERRORS), `docs/errors.md names unknown ${code}`).toContain(code);
  });

  it('documents the JSON-RPC protocol codes of SPEC §5', () => {
    for (const code of ['-32700', '-32600', '-32601', '-32602', '-32000']) expect(doc).toContain(code);
  });
});

describe('MissionError', () => {
  it('carries code, severity and data, and survives a JSON round trip', () => {
    const err = new MissionError('ILLEGAL_TRANSITION', 'no', { state: 'done', allowed: ['archived'] });
    expect(err.severity).toBe('permanent');
    const back = missionErrorFromJSON(JSON.parse(JSON.stringify(err)) as { code: string; message: string; data: Record<string, unknown> });
    expect(back).toMatchObject({ code: 'ILLEGAL_TRANSITION', message: 'no', data: { state: 'done', allowed: ['archived'] } });
  });

  it('maps an unknown code from the wire to INTERNAL', () => {
    expect(missionErrorFromJSON({ code: 'NO_SUCH_CODE', message: 'x' }).code).toBe<ErrorCode>('INTERNAL');
  });
});
