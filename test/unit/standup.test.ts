import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StandupScheduler } from '../../src/actors/standup.js';
import { ManualClock, notificationFor, type By } from '../../src/core/index.js';
import { Workspace } from '../../src/workspace/index.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * The daily standup (issue 7) over a real runtime, SQLite file and workspace: a known board is
 * built through commands, and each section of the written standup is checked against a table
 * written here by hand from what those commands did.
 */
const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const JAN_1 = Date.UTC(2026, 0, 1);
const ana = agentBy('ana', 'orbit');
const ben = agentBy('ben', 'orbit');
const nick = agentBy('nick', 'orbit', true);
const ADA: By = { kind: 'human', userId: 1, username: 'ada', role: 'admin' };

async function fixture(clock: ManualClock, dir?: string): Promise<{ f: RuntimeFixture; scheduler: (hourUtc?: number) => StandupScheduler }> {
  const f = dir ? await openRuntime({ clock, scheduling: false }, dir) : await openRuntime({ clock, scheduling: false });
  const workspace = new Workspace({ dataDir: f.dir, clock });
  const scheduler = (hourUtc = 0): StandupScheduler =>
    new StandupScheduler(f.rt, { hourUtc, writeDaily: (projectId, at, text) => workspace.appendDaily(projectId, at, { author: 'standup', text }) });
  return { f, scheduler };
}

/** The board of the table below, built through commands in this order. */
async function buildBoard(f: RuntimeFixture): Promise<void> {
  for (const [soul_id, role] of [['nick', 'lead'], ['ana', 'engineer'], ['ben', 'engineer']] as const) await f.exec('soul.create', { soul_id, name: soul_id, role });
  await f.exec('project.init', { project_name: 'Orbit', project_id: 'orbit', base_id: ['nick', 'ana', 'ben'], settings: { require_review: true } });
  const create = (title: string, assignee_id: string | null): Promise<unknown> => f.exec('task.create', { project_id: 'orbit', title, assignee_id });
  const move = (task_id: string, new_status: string, by: By = ADA, reason?: string): Promise<unknown> =>
    f.exec('task.move', { task_id, new_status, ...(reason ? { reason } : {}) }, by);
  await create('Ship the login page', 'ana'); // orbit-1: approved by the lead
  await create('Fix the flaky test', 'ben'); // orbit-2: in progress
  await create('Migrate the database', 'ana'); // orbit-3: blocked by request_help
  await create('Write the release notes', 'ben'); // orbit-4: waits for review
  await create('Tune the cache', 'ana'); // orbit-5: sent back by the lead
  await create('Plan Q3', null); // orbit-6: backlog, in no section
  await create('Old bug', 'ben'); // orbit-7: approved by a human, then reopened
  await create('Pick a region', 'ben'); // orbit-8: help asked and answered

  await move('orbit-1', 'in_progress', ana);
  await move('orbit-1', 'review', ana);
  await move('orbit-1', 'done', nick);
  await move('orbit-2', 'in_progress', ben);
  await move('orbit-4', 'in_progress');
  await move('orbit-4', 'review');
  await move('orbit-5', 'in_progress', ana);
  await move('orbit-5', 'review', ana);
  await move('orbit-5', 'in_progress', nick, 'Add a benchmark');
  await move('orbit-7', 'in_progress');
  await move('orbit-7', 'review');
  await move('orbit-7', 'done');
  await move('orbit-7', 'backlog');
  await move('orbit-8', 'in_progress');
  await f.exec('control.request_help', { task_id: 'orbit-8', issue: 'Which region?' }, ben);
  await f.exec('task.answer_help', { task_id: 'orbit-8', answer: 'Use eu-west' });
  await f.exec('control.update_chronicle', { summary: 'Login shipped behind a flag' }, ana);
  await move('orbit-3', 'in_progress');
  await f.exec('control.request_help', { task_id: 'orbit-3', issue: 'Need prod credentials' }, ana);
}

/** SPEC §3 outcomes of buildBoard, section by section, as the standup must list them. */
const EXPECTED = {
  Completed: ['- orbit-1 Ship the login page (ana): approved by nick:orbit', '- orbit-7 Old bug (ben): approved by ada'],
  'In progress': ['- orbit-2 Fix the flaky test (ben)', '- orbit-5 Tune the cache (ana)', '- orbit-8 Pick a region (ben)'],
  Blocked: ['- orbit-3 Migrate the database (ana): Need prod credentials'],
  'Needs review': ['- orbit-4 Write the release notes (ben)'],
  'Key decisions': [
    '- orbit-1 "Ship the login page" approved by nick:orbit',
    '- orbit-5 "Tune the cache" sent back by nick:orbit: Add a benchmark',
    '- orbit-7 "Old bug" approved by ada',
    '- orbit-7 "Old bug" reopened by ada',
    '- orbit-8 "Pick a region": ada answered "Use eu-west"',
    '- Chronicle (ana:orbit): Login shipped behind a flag',
  ],
};

/** Splits the written standup into its sections: label → bullet lines. */
function sections(markdown: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current: string | null = null;
  for (const line of markdown.split('\n')) {
    const label = /^\*\*(.+) \((\d+)\)\*\*$/.exec(line);
    if (label) {
      current = label[1]!;
      out[current] = [];
    } else if (current && line.startsWith('- ')) out[current]!.push(line);
  }
  return out;
}

describe('daily standup', () => {
  it('writes a known board to daily/YYYY-MM-DD.md, section by section, and announces it in the feed', async () => {
    const clock = new ManualClock(JAN_1 + 9 * HOUR);
    const { f, scheduler } = await fixture(clock);
    open.push(f);
    await buildBoard(f);
    const written = await scheduler().writeNow('orbit');

    expect(written.name).toBe('daily/2026-01-01.md');
    const md = await readFile(join(f.dir, 'projects', 'orbit', 'daily', '2026-01-01.md'), 'utf8');
    expect(md).toContain('**Standup 2026-01-01** · orbit · since the project began → 2026-01-01T09:00:00Z');
    expect(sections(md)).toEqual(EXPECTED);
    // Each label carries its count.
    for (const [label, lines] of Object.entries(EXPECTED)) expect(md).toContain(`**${label} (${lines.length})**`);

    const event = f.store.db.prepare("SELECT * FROM events WHERE type = 'standup.written'").all() as { seq: number; payload: string; actor_id: string; project_id: string; ts: number; type: string; actor_kind: string; idempotency_key: null }[];
    expect(event).toHaveLength(1);
    const row = event[0]!;
    expect(row.actor_id).toBe('orbit');
    expect(written.seq).toBe(row.seq);
    const note = notificationFor({ ...row, actor_kind: 'project', payload: JSON.parse(row.payload) as never });
    expect(note.method).toBe('mission.event.broadcast');
    if (note.method !== 'mission.event.broadcast') throw new Error('unreachable');
    expect(note.params.type).toBe('standup.written');
    expect(note.params.data.detail).toMatchObject({
      date: '2026-01-01',
      name: 'daily/2026-01-01.md',
      summary: '2 completed, 3 in progress, 1 blocked, 1 needs review, 6 key decisions',
      counts: { completed: 2, in_progress: 3, blocked: 1, needs_review: 1, decisions: 6 },
    });
  });

  it('writes once per UTC day from the configured hour, and a restart does not repeat it', async () => {
    const clock = new ManualClock(JAN_1 + 8 * HOUR);
    const first = await fixture(clock);
    await buildBoard(first.f);
    expect(await first.scheduler(9).writeDue()).toEqual([]);
    clock.advance(HOUR);
    expect((await first.scheduler(9).writeDue()).map((w) => w.standup.project_id)).toEqual(['orbit']);
    expect(await first.scheduler(9).writeDue()).toEqual([]);
    await first.f.close();

    // Same data dir, new runtime and scheduler: the event log says today's standup exists.
    clock.advance(2 * HOUR);
    const second = await fixture(clock, first.f.dir);
    open.push(second.f);
    expect(await second.scheduler(9).writeDue()).toEqual([]);

    // Next day: only what happened since the last standup counts.
    await second.f.exec('task.move', { task_id: 'orbit-4', new_status: 'done' }, nick);
    clock.advance(DAY);
    const [next] = await second.scheduler(9).writeDue();
    expect(next?.standup.date).toBe('2026-01-02');
    expect(next?.standup.since).toBe(JAN_1 + 9 * HOUR);
    expect(next?.standup.completed.map((c) => c.id)).toEqual(['orbit-4']);
    expect(next?.standup.decisions).toEqual(['orbit-4 "Write the release notes" approved by nick:orbit']);
    const days = f2Days(await readFile(join(second.f.dir, 'projects', 'orbit', 'daily', '2026-01-02.md'), 'utf8'));
    expect(days).toBe(1);
  });

  it('checks again on its own clock, so a day that begins while it runs gets its standup', async () => {
    const clock = new ManualClock(JAN_1 + 23 * HOUR);
    const { f } = await fixture(clock);
    open.push(f);
    await buildBoard(f);
    const s = new StandupScheduler(f.rt, { hourUtc: 0, checkEveryMs: HOUR, writeDaily: (_p, at) => Promise.resolve({ name: `daily/${new Date(at).toISOString().slice(0, 10)}.md` }) });
    s.start();
    await eventually(() => s.lastStandup('orbit')?.date === '2026-01-01');
    clock.advance(HOUR);
    await eventually(() => s.lastStandup('orbit')?.date === '2026-01-02');
    await s.stop();
  });
});

function f2Days(md: string): number {
  return md.split('\n').filter((l) => l.startsWith('**Standup ')).length;
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}
