/**
 * CHRONICLE.md (the project's narrative) and daily logs (`daily/YYYY-MM-DD.md`, every pulse
 * result): append-only Markdown files the server writes under the file mutex. Entries are
 * whole blocks separated by blank lines, so a reader (or a test) can split them apart again.
 *
 * Chronicle entry:
 *
 *     ## 2026-01-22T10:15:00.000Z · shuri:vanguard
 *
 *     <summary>
 *
 *     **Technical debt:** <technical_debt>      (only when given)
 *
 * Entries written from `chronicle.updated` events are counted by the seq mark in the preamble
 * (src/workspace/seq-mark.ts), so CHRONICLE.md can catch up with the event log.
 *
 * Daily entry:
 *
 *     ### 10:15:00Z · shuri:vanguard
 *
 *     <text>
 */
export interface ChronicleEntry {
  at: number;
  /** Who wrote it: an instance id (`shuri:vanguard`), a username, or `system`. */
  author: string;
  summary: string;
  technical_debt?: string | null;
}

export interface DailyEntry {
  author: string;
  text: string;
}

/** Headings inside user text would split an entry in two for a reader; indent them away. */
function neutraliseHeadings(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/^(#{1,6} )/gm, ' $1').trim();
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}

export function chronicleHeader(projectName: string): string {
  return `# Chronicle: ${oneLine(projectName)}\n\nThe project's narrative, written by its agents through \`update_chronicle\`.\n`;
}

export function renderChronicleEntry(entry: ChronicleEntry): string {
  const parts = [`## ${new Date(entry.at).toISOString()} · ${oneLine(entry.author)}`, '', neutraliseHeadings(entry.summary)];
  if (entry.technical_debt && entry.technical_debt.trim() !== '') parts.push('', `**Technical debt:** ${neutraliseHeadings(entry.technical_debt)}`);
  return parts.join('\n') + '\n';
}

/** Whether `block` (an entry of the document) is the one `entry` renders to. */
export function sameChronicleEntry(block: string, entry: ChronicleEntry): boolean {
  return block === renderChronicleEntry(entry).replace(/\n+$/, '');
}

export function dailyHeader(at: number): string {
  return `# Daily log ${new Date(at).toISOString().slice(0, 10)} (UTC)\n`;
}

export function renderDailyEntry(at: number, entry: DailyEntry): string {
  return [`### ${new Date(at).toISOString().slice(11, 19)}Z · ${oneLine(entry.author)}`, '', neutraliseHeadings(entry.text)].join('\n') + '\n';
}

/** Appends a block to a Markdown document, keeping exactly one blank line between blocks. */
export function appendBlock(document: string, block: string): string {
  const base = document.replace(/\n*$/, '');
  return base === '' ? block : `${base}\n\n${block}`;
}
