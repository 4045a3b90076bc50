import { describe, expect, it } from 'vitest';
import type { CatchUpPlan } from '../../src/core/index.js';
import { catchUp, readSeqMark, withSeqMark } from '../../src/workspace/seq-mark.js';

/** The seq mark says which committed events a server document holds (src/workspace/seq-mark.ts). */
interface Note {
  seq: number;
  text: string;
}
const render = (n: Note): string => `## note ${n.seq}\n\n${n.text}\n`;
const same = (block: string, n: Note): boolean => block === render(n).trimEnd();
const HEADER = '# Notes\n\nIntro.\n';

describe('seq mark', () => {
  it('sits in the preamble, is replaced rather than repeated, and is read only there', () => {
    const once = withSeqMark(`${HEADER}\n## note 1\n\none\n`, 1);
    expect(once).toBe('# Notes\n\nIntro.\n\n<!-- mission-control: holds events through seq 1 -->\n\n## note 1\n\none\n');
    expect(withSeqMark(once, 7)).toBe(once.replace('seq 1 -->', 'seq 7 -->'));
    expect(readSeqMark(once)).toBe(1);
    expect(readSeqMark(`${HEADER}\n## note 1\n\n<!-- mission-control: holds events through seq 99 -->\n`)).toBeNull();
  });

  it('appends only records after the mark, in seq order, whatever the plan returns', () => {
    const doc = withSeqMark(`${HEADER}\n${render({ seq: 2, text: 'two' })}`, 2);
    const plan: CatchUpPlan<Note> = () => ({ through: 4, records: [{ seq: 4, text: 'four' }, { seq: 2, text: 'two again' }, { seq: 3, text: 'three' }] });
    const next = catchUp(doc, plan, render, same)!;
    expect(next.match(/^## note \d+$/gm)).toEqual(['## note 2', '## note 3', '## note 4']);
    expect(readSeqMark(next)).toBe(4);
    expect(catchUp(next, () => ({ through: 4, records: [] }), render, same)).toBeNull();
  });

  it('tells a plan whether an unmarked document ends with a given record', () => {
    const doc = `${HEADER}\n${render({ seq: 1, text: 'one' })}\n${render({ seq: 2, text: 'two' })}`;
    const seen: boolean[] = [];
    catchUp(doc, (p) => {
      expect(p.through).toBeNull();
      expect(p.hasEntries).toBe(true);
      seen.push(p.endsWith({ seq: 2, text: 'two' }), p.endsWith({ seq: 1, text: 'one' }));
      return { through: 2, records: [] };
    }, render, same);
    expect(seen).toEqual([true, false]);
  });
});
