import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMissionError, type By } from '../../src/core/index.js';
import { ADMIN, agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * KANBAN.md is the mirror of the board (SPEC §2, §7). 1,000 random moves and assignments, legal
 * and illegal, go through the real runtime (real SQLite file, real workspace, the kanban sync);
 * each outcome is checked against SPEC §3's table written out below, and once the sync is idle
 * KANBAN.md, read by a parser written here from the documented format, must equal the board
 * read from the `tasks` table by SQL.
 */
type Status = 'backlog' | 'in_progress' | 'review' | 'blocked' | 'done' | 'archived';
/** SPEC §3 codes as stored in `tasks.status`. */
const STATUS_OF_CODE: Status[] = ['backlog', 'in_progress', 'done', 'blocked', 'archived', 'review'];
/** How a move may name its target: the name, the code or the PRD spelling. */
const SPELLINGS: [string | number, Status][] = [
  ['backlog', 'backlog'], ['To-Do', 'backlog'], [0, 'backlog'],
  ['in_progress', 'in_progress'], ['In-Progress', 'in_progress'], [1, 'in_progress'],
  ['done', 'done'], ['Done', 'done'], ['2', 'done'],
  ['blocked', 'blocked'], ['Blocked', 'blocked'],
  ['archived', 'archived'], ['Archive', 'archived'],
  ['review', 'review'], [5, 'review'],
];
const COLUMNS: [string, Status][] = [
  ['Backlog', 'backlog'], ['In Progress', 'in_progress'], ['Review', 'review'],
  ['Blocked', 'blocked'], ['Done', 'done'], ['Archive', 'archived'],
];
const SOULS = ['ana', 'ben', 'cy'];
const LEAD = 'lex';
const PROJECTS = [
  { id: 'plain', name: 'Plain \\ board', review: false },
  { id: 'reviewed', name: 'Reviewed board', review: true },
];
const TASKS_PER_PROJECT = 30;
const OPERATIONS = 1000;
const SEED = 20_260_122;

/** mulberry32: a small seeded PRNG, so a failure replays. */
function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)]!, chance: (p) => next() < p };
}

interface TaskRow {
  id: string;
  project_id: string;
  title: string;
  status: Status;
  priority: number;
  assignee_id: string | null;
  depends_on: string[];
  attempts: number;
  blocked_reason: string | null;
  blocked_from: Status | null;
  version: number;
}

function readTasks(f: RuntimeFixture, projectId: string): TaskRow[] {
  const rows = f.store.db
    .prepare<[string], Omit<TaskRow, 'status' | 'blocked_from' | 'depends_on'> & { status: number; blocked_from: number | null; depends_on: string }>(
      'SELECT id, project_id, title, status, priority, assignee_id, depends_on, attempts, blocked_reason, blocked_from, version FROM tasks WHERE project_id = ? ORDER BY priority, n',
    )
    .all(projectId);
  return rows.map((r) => ({
    ...r,
    status: STATUS_OF_CODE[r.status]!,
    blocked_from: r.blocked_from === null ? null : STATUS_OF_CODE[r.blocked_from]!,
    depends_on: JSON.parse(r.depends_on) as string[],
  }));
}

type Actor = { kind: 'human' } | { kind: 'agent'; soul: string; lead: boolean };

/** SPEC §3's table: the status a move ends in, or null when it must be refused. */
function expectedMove(t: TaskRow, to: Status, actor: Actor, depsDone: boolean, reason: string | undefined, requireReview: boolean): Status | null {
  const human = actor.kind === 'human';
  const assignee = actor.kind === 'agent' && actor.soul === t.assignee_id;
  const lead = actor.kind === 'agent' && actor.lead;
  const hasReason = reason !== undefined && reason.trim() !== '';
  const from = t.status;
  if (to === 'blocked') return ['backlog', 'in_progress', 'review'].includes(from) && hasReason && (human || assignee) ? to : null;
  if (from === 'blocked') return to === (t.blocked_from ?? 'backlog') && human ? to : null;
  switch (`${from}>${to}`) {
    case 'backlog>in_progress':
      return depsDone && (human || assignee) ? to : null;
    case 'in_progress>review':
      return requireReview && (human || assignee) ? to : null;
    case 'in_progress>done':
      return !requireReview && (human || assignee) ? to : null;
    case 'review>done':
      return (human || lead) && !assignee ? to : null;
    case 'review>in_progress':
      return hasReason && (human || lead) ? to : null;
    case 'backlog>archived':
    case 'done>archived':
    case 'done>backlog':
    case 'archived>backlog':
      return human ? to : null;
    default:
      // Includes in_progress → backlog: the runtime's deadman expiry only.
      return null;
  }
}

/** SPEC §3: assign and reassign are allowed in backlog, in_progress and blocked. */
function expectAssignAccepted(t: TaskRow): boolean {
  return t.status === 'backlog' || t.status === 'in_progress' || t.status === 'blocked';
}

interface Card {
  id: string;
  title: string;
  assignee: string | null;
  priority: number;
  attempts: number;
  blocked: string | null;
}

function unescapeKanban(s: string): string {
  return s.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

/**
 * KANBAN.md as documented in src/workspace/kanban.ts: title line, the generated-by note, then
 * the six columns in order as `## <Column> (<count>)`, each holding `_No tasks._` or cards
 * `### <id> · <title>` with `- assignee:`, `- priority:`, `- attempts:` and an optional
 * `- blocked:` line, cards separated by blank lines. Anything else is an error.
 */
function parseKanban(md: string): { title: string; columns: Map<Status, Card[]> } {
  const lines = md.split('\n');
  if (lines.at(-1) !== '') throw new Error('KANBAN.md must end with a newline');
  lines.pop();
  const title = lines.shift()!;
  if (lines.shift() !== '' || !lines.shift()!.startsWith('> Generated by Mission Control')) throw new Error('missing generated-by note');
  const columns = new Map<Status, Card[]>();
  for (const [heading, status] of COLUMNS) {
    if (lines.shift() !== '') throw new Error(`no blank line before ${heading}`);
    const m = /^## (.+) \((\d+)\)$/.exec(lines.shift() ?? '');
    if (!m || m[1] !== heading) throw new Error(`expected column ${heading}, got ${m?.[1]}`);
    if (lines.shift() !== '') throw new Error(`no blank line after ${heading}`);
    const cards: Card[] = [];
    if (lines[0] === '_No tasks._') lines.shift();
    while (lines[0]?.startsWith('### ')) {
      const head = /^### (\S+) · (.*)$/.exec(lines.shift()!)!;
      const field = (name: string): string => {
        const line = lines.shift() ?? '';
        if (!line.startsWith(`- ${name}: `)) throw new Error(`card ${head[1]}: expected ${name}, got ${line}`);
        return line.slice(name.length + 4);
      };
      const assignee = field('assignee');
      const priority = Number(field('priority'));
      const attempts = Number(field('attempts'));
      const blocked = lines[0]?.startsWith('- blocked: ') ? unescapeKanban(field('blocked')) : null;
      cards.push({ id: head[1]!, title: unescapeKanban(head[2]!), assignee: assignee === 'unassigned' ? null : assignee, priority, attempts, blocked });
      if (lines[0] === '' && lines[1]?.startsWith('### ')) lines.shift();
    }
    if (cards.length !== Number(m[2])) throw new Error(`${heading} says ${m[2]} cards, holds ${cards.length}`);
    columns.set(status, cards);
  }
  if (lines.length > 0) throw new Error(`unexpected trailing lines: ${lines.slice(0, 3).join(' | ')}`);
  return { title, columns };
}

/** The board as KANBAN.md must show it, from the SQL rows (already in priority, number order). */
function boardFromRows(rows: readonly TaskRow[]): Map<Status, Card[]> {
  const columns = new Map<Status, Card[]>(COLUMNS.map(([, s]) => [s, []]));
  for (const r of rows) {
    columns.get(r.status)!.push({
      id: r.id,
      title: r.title,
      assignee: r.assignee_id,
      priority: r.priority,
      attempts: r.attempts,
      blocked: r.blocked_reason === '' ? null : r.blocked_reason,
    });
  }
  return columns;
}

let f: RuntimeFixture;
beforeAll(async () => {
  f = await openRuntime({ scheduling: false });
  for (const soul of SOULS) await f.exec('soul.create', { soul_id: soul, name: soul.toUpperCase() });
  await f.exec('soul.create', { soul_id: LEAD, name: 'Lex', role: 'lead' });
  const rng = prng(SEED);
  for (const p of PROJECTS) {
    await f.exec('project.init', { project_name: p.name, project_id: p.id, base_id: [...SOULS, LEAD], settings: { require_review: p.review } });
    for (let n = 1; n <= TASKS_PER_PROJECT; n++) {
      await f.exec('task.create', {
        project_id: p.id,
        // Titles a line-based format must escape: backslashes, newlines, the card separator.
        title: n % 7 === 0 ? `Task ${n} \\ with · odd\ncharacters` : `Task ${n} of ${p.id}`,
        priority: 1 + rng.int(5),
        ...(rng.chance(0.6) ? { assignee_id: rng.pick([...SOULS, LEAD]) } : {}),
        ...(n > 3 && n % 4 === 0 ? { depends_on: [`${p.id}-${n - 3}`] } : {}),
      });
    }
  }
}, 60_000);
afterAll(async () => {
  await f.dispose();
});

describe('KANBAN.md through the runtime', () => {
  it('mirrors the tasks table after 1,000 random moves and assignments, the illegal ones refused', async () => {
    const rng = prng(SEED + 1);
    const outcomes = { accepted: 0, refused: 0 };
    let done = 0;
    while (done < OPERATIONS) {
      // A batch runs concurrently: distinct tasks, none depending on another of the batch.
      const project = rng.pick(PROJECTS);
      const rows = new Map(readTasks(f, project.id).map((t) => [t.id, t]));
      const batch: TaskRow[] = [];
      for (let tries = 0; tries < 40 && batch.length < 1 + rng.int(8); tries++) {
        const t = rng.pick([...rows.values()]);
        if (batch.some((b) => b.id === t.id || b.depends_on.includes(t.id) || t.depends_on.includes(b.id))) continue;
        batch.push(t);
      }
      const results = await Promise.all(
        batch.map(async (t) => {
          const agentSoul = t.assignee_id !== null && rng.chance(0.5) ? t.assignee_id : rng.pick([...SOULS, LEAD]);
          const actor: Actor = rng.chance(0.5) ? { kind: 'human' } : { kind: 'agent', soul: agentSoul, lead: agentSoul === LEAD };
          const by: By = actor.kind === 'human' ? ADMIN : agentBy(actor.soul, project.id, actor.lead);
          let expected: Pick<TaskRow, 'status' | 'assignee_id' | 'blocked_reason'> | null;
          let command: Promise<unknown>;
          if (rng.chance(0.15)) {
            const assignee = rng.chance(0.2) ? null : rng.pick([...SOULS, LEAD]);
            expected = expectAssignAccepted(t) ? { status: t.status, assignee_id: assignee, blocked_reason: t.blocked_reason } : null;
            command = f.exec('task.assign', { task_id: t.id, assignee_id: assignee }, by);
          } else {
            const [spelling, to] = rng.pick(SPELLINGS);
            const reason = rng.chance(0.6) ? `reason ${done} \\ for\n${t.id}` : undefined;
            const depsDone = t.depends_on.every((d) => rows.get(d)!.status === 'done');
            const status = expectedMove(t, to, actor, depsDone, reason, project.review);
            expected = status === null ? null : { status, assignee_id: t.assignee_id, blocked_reason: status === 'blocked' ? reason! : null };
            command = f.exec('task.move', { task_id: t.id, new_status: spelling, ...(reason !== undefined ? { reason } : {}) }, by);
          }
          const what = `${t.id} (${t.status}) by ${JSON.stringify(actor)}`;
          try {
            await command;
            expect(expected, `${what} was accepted`).not.toBeNull();
            outcomes.accepted++;
          } catch (err) {
            if (!isMissionError(err)) throw err;
            expect(err.code, `${what}: ${err.message}`).toBe('ILLEGAL_TRANSITION');
            expect(expected, `${what} was refused: ${err.message}`).toBeNull();
            outcomes.refused++;
          }
          return { before: t, expected };
        }),
      );
      done += batch.length;
      // An accepted command changed its row as SPEC §3 says (one version on); a refused one changed nothing.
      const after = new Map(readTasks(f, project.id).map((t) => [t.id, t]));
      for (const { before, expected } of results) {
        const row = after.get(before.id)!;
        if (expected === null) expect(row).toEqual(before);
        else expect(row).toMatchObject({ ...expected, version: before.version + 1 });
      }
    }
    expect(outcomes.accepted + outcomes.refused).toBeGreaterThanOrEqual(OPERATIONS);
    expect(outcomes.accepted).toBeGreaterThan(150);
    expect(outcomes.refused).toBeGreaterThan(150);

    await f.rt.kanban.idle();
    for (const p of PROJECTS) {
      const kanban = parseKanban(readFileSync(join(f.dir, 'projects', p.id, 'KANBAN.md'), 'utf8'));
      expect(kanban.title).toBe(`# Kanban: ${p.name.replace(/\\/g, '\\\\')} (${p.id})`);
      expect(kanban.columns).toEqual(boardFromRows(readTasks(f, p.id)));
    }
  }, 120_000);
});
