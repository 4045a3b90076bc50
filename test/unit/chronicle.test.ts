import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { Workspace } from '../../src/workspace/index.js';

/**
 * SPEC §7: the server is the only writer of CHRONICLE.md; concurrent appends go through the
 * file mutex, so no entry is lost or interleaved. Daily logs land in daily/<UTC date>.md.
 */
let dataDir: string;
let ws: Workspace;

beforeEach(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mc-chronicle-'));
  ws = new Workspace({ dataDir, lockTimeoutMs: 10_000 });
  await ws.initProject('vanguard', { name: 'Vanguard Ops' });
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

/** Splits a chronicle into its entries, by the documented `## <ISO time> · <author>` heading. */
function parseChronicle(text: string): { at: string; author: string; body: string }[] {
  const entries: { at: string; author: string; body: string }[] = [];
  const blocks = text.split(/^## /m).slice(1);
  for (const block of blocks) {
    const [heading, ...rest] = block.split('\n');
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) · (.+)$/.exec(heading ?? '');
    if (!m) throw new Error(`malformed heading: ${heading}`);
    entries.push({ at: m[1]!, author: m[2]!, body: rest.join('\n').trim() });
  }
  return entries;
}

describe('appendChronicle', () => {
  it('keeps every one of 50 concurrent appends from different agents, whole and once', async () => {
    const souls = ['shuri', 'jarvis', 'friday', 'vision', 'wong'];
    const base = Date.UTC(2026, 0, 22, 10, 0, 0);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ws.appendChronicle('vanguard', {
          at: base + i * 1000,
          author: `${souls[i % souls.length]}:vanguard`,
          summary: `Entry ${i} line one.\nEntry ${i} line two with detail ${'x'.repeat(i)}.`,
          technical_debt: i % 7 === 0 ? `debt ${i}` : undefined,
        }),
      ),
    );
    const text = readFileSync(path.join(dataDir, 'projects/vanguard/CHRONICLE.md'), 'utf8');
    expect(text.startsWith('# Chronicle: Vanguard Ops\n')).toBe(true);
    const entries = parseChronicle(text);
    expect(entries).toHaveLength(50);
    const seen = new Set<number>();
    for (const e of entries) {
      const i = Number(/^Entry (\d+) line one\./.exec(e.body)?.[1]);
      expect(seen.has(i)).toBe(false);
      seen.add(i);
      const expected = [`Entry ${i} line one.`, `Entry ${i} line two with detail ${'x'.repeat(i)}.`];
      if (i % 7 === 0) expected.push('', `**Technical debt:** debt ${i}`);
      expect(e.body).toBe(expected.join('\n'));
      expect(e.author).toBe(`${souls[i % souls.length]}:vanguard`);
      expect(e.at).toBe(new Date(base + i * 1000).toISOString());
    }
    expect(seen.size).toBe(50);
    // Nothing but the documents themselves is left behind (no lock files, no temporaries).
    expect(readdirSync(path.join(dataDir, 'projects/vanguard')).sort()).toEqual(['.context', 'CHRONICLE.md', 'KANBAN.md', 'agents', 'daily', 'src']);
  });

  it('keeps a heading inside a summary from splitting the entry', async () => {
    await ws.appendChronicle('vanguard', { at: Date.UTC(2026, 0, 1), author: 'shuri:vanguard', summary: 'Intro\n## Not a new entry\nmore' });
    const entries = parseChronicle(readFileSync(path.join(dataDir, 'projects/vanguard/CHRONICLE.md'), 'utf8'));
    expect(entries).toHaveLength(1);
    expect(entries[0]!.body).toBe('Intro\n ## Not a new entry\nmore');
  });

  it('refuses an empty summary and an unknown project without writing', async () => {
    const before = readFileSync(path.join(dataDir, 'projects/vanguard/CHRONICLE.md'), 'utf8');
    await expect(ws.appendChronicle('vanguard', { at: 0, author: 'x', summary: '  ' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(ws.appendChronicle('nowhere', { at: 0, author: 'x', summary: 'hi' })).rejects.toBeInstanceOf(MissionError);
    expect(readFileSync(path.join(dataDir, 'projects/vanguard/CHRONICLE.md'), 'utf8')).toBe(before);
  });
});

describe('appendDaily', () => {
  it('writes each entry to the file of its UTC date', async () => {
    // 23:30 on Jan 21 in UTC-5 is already Jan 22 in UTC: the UTC date decides.
    const late = Date.UTC(2026, 0, 22, 4, 30, 0);
    const early = Date.UTC(2026, 0, 21, 23, 59, 59);
    const a = await ws.appendDaily('vanguard', late, { author: 'shuri:vanguard', text: 'pulse ok: reviewed PR' });
    const b = await ws.appendDaily('vanguard', early, { author: 'jarvis:vanguard', text: 'pulse failed: timeout' });
    await ws.appendDaily('vanguard', late + 60_000, { author: 'jarvis:vanguard', text: 'pulse ok' });
    expect(a.name).toBe('daily/2026-01-22.md');
    expect(b.name).toBe('daily/2026-01-21.md');
    expect(readFileSync(path.join(dataDir, 'projects/vanguard/daily/2026-01-22.md'), 'utf8')).toBe(
      '# Daily log 2026-01-22 (UTC)\n\n### 04:30:00Z · shuri:vanguard\n\npulse ok: reviewed PR\n\n### 04:31:00Z · jarvis:vanguard\n\npulse ok\n',
    );
    expect(readFileSync(path.join(dataDir, 'projects/vanguard/daily/2026-01-21.md'), 'utf8')).toBe(
      '# Daily log 2026-01-21 (UTC)\n\n### 23:59:59Z · jarvis:vanguard\n\npulse failed: timeout\n',
    );
  });
});
