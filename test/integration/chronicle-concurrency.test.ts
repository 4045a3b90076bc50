import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startHarness, type Harness } from './rpc-harness.js';

/**
 * SPEC §7: the server is the single writer of CHRONICLE.md. Fifty agents (fifty instances, one
 * token each) call `update_chronicle` at the same moment through the listening gateway; the file
 * must hold fifty whole entries, in the order of their committed `chronicle.updated` events.
 */
const PROJECT = 'annals';
const AGENTS = 50;
const soulOf = (i: number): string => `scribe-${String(i).padStart(2, '0')}`;
const instanceOf = (i: number): string => `${soulOf(i)}:${PROJECT}`;

/** Long, multi-line, with a would-be heading: an interleaved or split write cannot pass unnoticed. */
function summaryOf(i: number): string {
  const filler = `${soulOf(i)} keeps writing its own line. `.repeat(40);
  return `${soulOf(i)} shipped part ${i}.\n${filler}\n## not a heading of ${soulOf(i)}\nLast line of ${soulOf(i)}.`;
}
const debtOf = (i: number): string | undefined => (i % 3 === 0 ? `${soulOf(i)} left a TODO` : undefined);

interface ParsedEntry {
  at: string;
  author: string;
  summary: string;
  technical_debt: string | null;
}

/**
 * Reads CHRONICLE.md as documented in src/workspace/chronicle.ts, written here independently:
 * a `# Chronicle:` title and intro, then entries opened by `## <ISO time> · <author>`, a blank
 * line, the summary (headings inside it are indented by one space) and an optional
 * `**Technical debt:**` paragraph; entries are separated by one blank line.
 */
function parseChronicle(md: string): ParsedEntry[] {
  const lines = md.split('\n');
  if (!lines[0]!.startsWith('# Chronicle: ')) throw new Error(`no chronicle title: ${lines[0]}`);
  const starts = lines.flatMap((line, i) => (line.startsWith('## ') ? [i] : []));
  return starts.map((start, k) => {
    const heading = /^## (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) · (\S+)$/.exec(lines[start]!);
    if (!heading) throw new Error(`malformed entry heading: ${lines[start]}`);
    const body = lines.slice(start + 1, starts[k + 1] ?? lines.length);
    if (body[0] !== '') throw new Error(`no blank line after ${lines[start]}`);
    const text = body.slice(1).join('\n').replace(/\n+$/, '');
    const debt = /\n\n\*\*Technical debt:\*\* (.*)$/s.exec(text);
    return {
      at: heading[1]!,
      author: heading[2]!,
      summary: (debt ? text.slice(0, debt.index) : text).replace(/^ (#{1,6} )/gm, '$1'),
      technical_debt: debt ? debt[1]! : null,
    };
  });
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (let i = 1; i <= AGENTS; i++) ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: soulOf(i), name: `Scribe ${i}` }));
  ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'Annals', project_id: PROJECT, base_id: Array.from({ length: AGENTS }, (_, i) => soulOf(i + 1)) }));
}, 60_000);
afterAll(async () => {
  await h.close();
});

describe('CHRONICLE.md under 50 concurrent update_chronicle calls', () => {
  it('holds exactly 50 whole entries, one per agent, in the order of the 50 chronicle.updated events', async () => {
    const tokens = Array.from({ length: AGENTS }, (_, i) => h.agentToken(instanceOf(i + 1)));
    const answers = await Promise.all(
      tokens.map((token, i) => {
        const debt = debtOf(i + 1);
        return h.rpc(token, 'mission.control.update_chronicle', { summary: summaryOf(i + 1), ...(debt ? { technical_debt: debt } : {}) });
      }),
    );
    for (const a of answers) expect(ok(a)).toEqual({ ok: true });

    const events = h.store.db
      .prepare<[string], { seq: number; payload: string }>("SELECT seq, payload FROM events WHERE project_id = ? AND type = 'chronicle.updated' ORDER BY seq")
      .all(PROJECT)
      .map((e) => (JSON.parse(e.payload) as { detail: { instance_id: string; summary: string } }).detail);
    expect(events).toHaveLength(AGENTS);
    expect(new Set(events.map((e) => e.instance_id)).size).toBe(AGENTS);

    // Every call was answered after its entry was written: no waiting needed before reading.
    const dir = join(h.dataDir, 'projects', PROJECT);
    const entries = parseChronicle(readFileSync(join(dir, 'CHRONICLE.md'), 'utf8'));
    expect(entries).toHaveLength(AGENTS);
    expect(entries.map((e) => e.author)).toEqual(events.map((e) => e.instance_id));
    for (const entry of entries) {
      const i = Number(/^scribe-(\d+):/.exec(entry.author)![1]);
      expect(entry.summary).toBe(summaryOf(i));
      expect(entry.technical_debt).toBe(debtOf(i) ?? null);
    }
    expect(readdirSync(dir).filter((name) => name.includes('.tmp'))).toEqual([]);
  }, 60_000);
});
