import type { CatchUpPlan, DocumentProgress } from '../core/index.js';
import { appendBlock } from './chronicle.js';

/**
 * Which committed events a server-written document (CHRONICLE.md, learned.md) holds: one mark in
 * its preamble, `<!-- mission-control: holds events through seq 42 -->`, rewritten in the same
 * atomic write as the entries it counts, so the two never disagree. Only the preamble (the text
 * before the first `## ` entry heading) is read: text inside an entry cannot forge the mark. An
 * HTML comment, so a Markdown reader does not show it.
 */
const MARK_LINE = /^<!-- mission-control: holds events through seq (\d+) -->$/m;
const MARK_LINES = new RegExp(MARK_LINE.source, 'gm');
const ENTRY_HEADING = /^## /m;

export function seqMark(seq: number): string {
  return `<!-- mission-control: holds events through seq ${seq} -->`;
}

function splitPreamble(doc: string): { preamble: string; entries: string } {
  const first = ENTRY_HEADING.exec(doc);
  const cut = first ? first.index : doc.length;
  return { preamble: doc.slice(0, cut), entries: doc.slice(cut) };
}

/** The seq of the newest event the document holds; null when it carries no mark. */
export function readSeqMark(doc: string): number | null {
  const m = MARK_LINE.exec(splitPreamble(doc).preamble);
  return m ? Number(m[1]) : null;
}

/** The document without its mark (e.g. for a prompt excerpt). */
export function withoutSeqMark(text: string): string {
  return text.replace(MARK_LINES, '').replace(/\n{3,}/g, '\n\n');
}

/** The document with its mark set to `seq`, as the last paragraph of its preamble. */
export function withSeqMark(doc: string, seq: number): string {
  const { preamble, entries } = splitPreamble(doc);
  const base = withoutSeqMark(preamble).replace(/\n*$/, '');
  const marked = base === '' ? `${seqMark(seq)}\n` : `${base}\n\n${seqMark(seq)}\n`;
  return entries === '' ? marked : `${marked}\n${entries}`;
}

/** The last entry block (from its `## ` heading), without trailing blank lines; null when there is none. */
export function lastEntryOf(doc: string): string | null {
  const { entries } = splitPreamble(doc);
  if (entries === '') return null;
  const at = entries.lastIndexOf('\n## ');
  return (at < 0 ? entries : entries.slice(at + 1)).replace(/\n+$/, '');
}

/** An entry block without its heading line. */
export function entryBody(block: string): string {
  const nl = block.indexOf('\n');
  return nl < 0 ? '' : block.slice(nl + 1).trim();
}

/**
 * The document after the records `plan` finds missing, with its mark moved on; null when it
 * already holds them all (nothing to write). A record at or below the mark is never appended
 * again, whatever the plan returns.
 */
export function catchUp<E extends { seq: number }>(
  doc: string,
  plan: CatchUpPlan<E>,
  render: (record: E) => string,
  sameEntry: (lastEntry: string, record: E) => boolean,
): string | null {
  const through = readSeqMark(doc);
  const last = lastEntryOf(doc);
  const progress: DocumentProgress<E> = {
    through,
    hasEntries: last !== null,
    endsWith: (record) => last !== null && sameEntry(last, record),
  };
  const answer = plan(progress);
  const fresh = answer.records.filter((r) => r.seq > (through ?? 0)).sort((a, b) => a.seq - b.seq);
  const held = Math.max(answer.through, through ?? 0, fresh.at(-1)?.seq ?? 0);
  if (fresh.length === 0 && held === through) return null;
  let next = doc;
  for (const record of fresh) next = appendBlock(next, render(record));
  return withSeqMark(next, held);
}
