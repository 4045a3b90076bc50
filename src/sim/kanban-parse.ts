/**
 * Reads KANBAN.md back (the format documented in src/workspace/kanban.ts), independently of the
 * renderer, so the simulation can check that the mirror says what the database says.
 */
export interface ParsedCard {
  id: string;
  title: string;
  column: string;
  assignee: string | null;
  priority: number;
  attempts: number;
  blocked: string | null;
}

export interface ParsedKanban {
  projectName: string;
  projectId: string;
  /** Column title → the count its heading announces. */
  counts: Map<string, number>;
  cards: ParsedCard[];
}

/** Column headings of the format, mapped to status names (SPEC §3). */
export const COLUMN_STATUS: Readonly<Record<string, string>> = {
  Backlog: 'backlog',
  'In Progress': 'in_progress',
  Review: 'review',
  Blocked: 'blocked',
  Done: 'done',
  Archive: 'archived',
};

function unescape(text: string): string {
  return text.replace(/\\(\\|n|r)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

export function parseKanban(md: string): ParsedKanban {
  const lines = md.split('\n');
  const head = /^# Kanban: (.*) \(([a-z0-9-]+)\)$/.exec(lines[0] ?? '');
  if (!head) throw new Error(`KANBAN.md does not start with its title line: ${JSON.stringify(lines[0])}`);
  const out: ParsedKanban = { projectName: unescape(head[1]!), projectId: head[2]!, counts: new Map(), cards: [] };
  let column: string | null = null;
  let card: ParsedCard | null = null;
  for (const line of lines.slice(1)) {
    const col = /^## (.+) \((\d+)\)$/.exec(line);
    if (col) {
      if (!(col[1]! in COLUMN_STATUS)) throw new Error(`unknown column ${col[1]}`);
      column = col[1]!;
      out.counts.set(column, Number(col[2]));
      card = null;
      continue;
    }
    const title = /^### (\S+) · (.*)$/.exec(line);
    if (title) {
      if (!column) throw new Error(`card ${title[1]} outside a column`);
      card = { id: title[1]!, title: unescape(title[2]!), column, assignee: null, priority: 0, attempts: 0, blocked: null };
      out.cards.push(card);
      continue;
    }
    const field = /^- (assignee|priority|attempts|blocked): (.*)$/.exec(line);
    if (field && card) {
      const value = field[2]!;
      if (field[1] === 'assignee') card.assignee = value === 'unassigned' ? null : value;
      else if (field[1] === 'priority') card.priority = Number(value);
      else if (field[1] === 'attempts') card.attempts = Number(value);
      else card.blocked = unescape(value);
    }
  }
  return out;
}
