import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskStatusName, TaskView } from '../../src/core/index.js';
import { Workspace, renderKanban } from '../../src/workspace/index.js';
import { taskViewOf } from '../support/task-view.js';

/**
 * KANBAN.md mirrors the board (SPEC §2, §7). The parser below is written from the documented
 * format, independently of the renderer: columns in a fixed order, one `### <id> · <title>`
 * card per task with assignee, priority, attempts and (when blocked) the reason.
 */
const COLUMNS: [string, TaskStatusName][] = [
  ['Backlog', 'backlog'],
  ['In Progress', 'in_progress'],
  ['Review', 'review'],
  ['Blocked', 'blocked'],
  ['Done', 'done'],
  ['Archive', 'archived'],
];

interface Card {
  id: string;
  title: string;
  assignee: string | null;
  priority: number;
  attempts: number;
  blocked: string | null;
}

function unescape(s: string): string {
  return s.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

function parseKanban(md: string): { title: string; columns: [string, Card[]][] } {
  const lines = md.split('\n');
  const title = lines[0] ?? '';
  const columns: [string, Card[]][] = [];
  let cards: Card[] | null = null;
  let card: Card | null = null;
  let declared = -1;
  const closeColumn = (): void => {
    if (cards && cards.length !== declared) throw new Error(`column count ${declared} but ${cards.length} cards`);
  };
  for (const line of lines.slice(1)) {
    const col = /^## (.+) \((\d+)\)$/.exec(line);
    if (col) {
      closeColumn();
      cards = [];
      declared = Number(col[2]);
      columns.push([col[1]!, cards]);
      card = null;
      continue;
    }
    const head = /^### ([a-z0-9-]+-\d+) · (.*)$/.exec(line);
    if (head && cards) {
      card = { id: head[1]!, title: unescape(head[2]!), assignee: null, priority: NaN, attempts: NaN, blocked: null };
      cards.push(card);
      continue;
    }
    const field = /^- (assignee|priority|attempts|blocked): (.*)$/.exec(line);
    if (field && card) {
      const [, key, value] = field;
      if (key === 'assignee') card.assignee = value === 'unassigned' ? null : value!;
      if (key === 'priority') card.priority = Number(value);
      if (key === 'attempts') card.attempts = Number(value);
      if (key === 'blocked') card.blocked = unescape(value!);
    }
  }
  closeColumn();
  return { title, columns };
}

/** The board as the spec orders it: each column's cards by priority, then task number. */
function expectedColumns(tasks: TaskView[]): [string, Card[]][] {
  const n = (t: TaskView): number => Number(t.id.split('-').pop());
  return COLUMNS.map(([title, status]) => [
    title,
    tasks
      .filter((t) => t.status === status)
      .sort((a, b) => a.priority - b.priority || n(a) - n(b))
      .map((t) => ({ id: t.id, title: t.title, assignee: t.assignee_id, priority: t.priority, attempts: t.attempts, blocked: t.blocked_reason || null })),
  ]);
}

function task(n: number, over: Partial<TaskView> = {}): TaskView {
  return taskViewOf({ id: `vanguard-${n}`, project_id: 'vanguard', title: `Task ${n}`, ...over });
}

// SPEC §3 transitions, as pairs the random walk may take.
const MOVES: Record<TaskStatusName, TaskStatusName[]> = {
  backlog: ['in_progress', 'blocked', 'archived'],
  in_progress: ['review', 'done', 'blocked', 'backlog'],
  review: ['done', 'in_progress', 'blocked'],
  blocked: [], // unblock returns to blocked_from
  done: ['archived', 'backlog'],
  archived: ['backlog'],
};

/** A small deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SOULS = ['shuri', 'jarvis', 'friday', null];
const TRICKY = ['Fix login', 'Title with \\ backslash', 'two\nlines', 'ends with \\n literally', 'emoji 🚀 and · dots', 'CR\r\nLF', '### fake card', '- assignee: nobody'];

let dataDir: string;
let ws: Workspace;
beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mc-kanban-'));
  ws = new Workspace({ dataDir, lockTimeoutMs: 10_000 });
  await ws.initProject('vanguard', { name: 'Vanguard Ops' });
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('KANBAN.md', () => {
  it('renders an empty board with all six columns', async () => {
    const parsed = parseKanban(renderKanban({ id: 'vanguard', name: 'Vanguard Ops' }, []));
    expect(parsed.title).toBe('# Kanban: Vanguard Ops (vanguard)');
    expect(parsed.columns).toEqual(COLUMNS.map(([t]) => [t, []]));
  });

  it('after a burst of 1,000 random moves, KANBAN.md parses back to the board', async () => {
    const random = rng(20260122);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    let board: TaskView[] = Array.from({ length: 40 }, (_, i) => task(i + 1, { title: pick(TRICKY) + ` #${i + 1}`, priority: 1 + (i % 5) }));
    const writes: Promise<{ version: string }>[] = [];
    for (let move = 0; move < 1000; move++) {
      const i = Math.floor(random() * board.length);
      const t = { ...board[i]! };
      const roll = random();
      if (roll < 0.1) t.assignee_id = pick(SOULS);
      else if (roll < 0.15) t.priority = 1 + Math.floor(random() * 5);
      else if (roll < 0.18 && board.length < 80) {
        board.push(task(board.length + 1, { title: pick(TRICKY), assignee_id: pick(SOULS) }));
      } else if (t.status === 'blocked') {
        t.status = t.blocked_from ?? 'backlog';
        t.blocked_reason = null;
        t.blocked_from = null;
      } else {
        const to = pick(MOVES[t.status]);
        if (to === 'blocked') {
          t.blocked_from = t.status;
          t.blocked_reason = pick(['waiting for API key', 'deadman', 'needs\nhuman', 'dep vanguard-3 not done']);
        }
        if (t.status === 'in_progress' && to === 'backlog') t.attempts += 1; // deadman-expire
        t.status = to;
      }
      board = board.map((x) => (x.id === t.id ? t : x));
      // The runtime calls writeKanban after every board change without waiting for the file.
      writes.push(ws.writeKanban({ id: 'vanguard', name: 'Vanguard Ops' }, board));
    }
    const versions = await Promise.all(writes);
    const md = readFileSync(path.join(dataDir, 'projects/vanguard/KANBAN.md'), 'utf8');
    const parsed = parseKanban(md);
    expect(parsed.title).toBe('# Kanban: Vanguard Ops (vanguard)');
    expect(parsed.columns).toEqual(expectedColumns(board));
    expect(parsed.columns.reduce((sum, [, cards]) => sum + cards.length, 0)).toBe(board.length);
    // Every caller resolved with a board at least as new as its own: the last one is on disk.
    expect(versions.at(-1)!.version).toBe(versions.at(-2)!.version);
  });

  it('round-trips arbitrary boards (property)', () => {
    const statuses = COLUMNS.map(([, s]) => s);
    const arbTask = fc.record({
      n: fc.integer({ min: 1, max: 100_000 }),
      title: fc.string({ minLength: 1, maxLength: 80 }),
      status: fc.constantFrom(...statuses),
      priority: fc.integer({ min: 1, max: 5 }),
      assignee_id: fc.constantFrom(...SOULS),
      attempts: fc.integer({ min: 0, max: 9 }),
      blocked_reason: fc.option(fc.string({ minLength: 1, maxLength: 60 }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(arbTask, { selector: (t) => t.n, maxLength: 30 }), (raw) => {
        const tasks = raw.map((r) => task(r.n, { ...r }));
        const parsed = parseKanban(renderKanban({ id: 'vanguard', name: 'V' }, tasks));
        expect(parsed.columns).toEqual(expectedColumns(tasks));
      }),
      { numRuns: 300 },
    );
  });
});
