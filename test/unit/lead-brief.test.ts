import { describe, expect, it } from 'vitest';
import type { TaskStatusName, TaskView } from '../../src/core/index.js';
import { buildPulsePrompt, composeLeadBrief, type PulseState } from '../../src/workspace/index.js';
import { taskViewOf } from '../support/task-view.js';

/**
 * The lead's pulse prompt (issue 7): a real LLM lead must see the unassigned backlog, what
 * waits for its review and each teammate's skills and open work, so it can call assign_task /
 * move_task. Expected lines are written here by hand from the board below.
 */
let n = 0;
function task(title: string, status: TaskStatusName, assignee_id: string | null, priority = 3, description = ''): TaskView {
  n++;
  return taskViewOf({ id: `orbit-${n}`, project_id: 'orbit', title, description, status, priority, assignee_id, created_at: n, updated_at: n });
}

const BOARD: TaskView[] = [
  task('Tune the cache', 'in_progress', 'ana', 2), // orbit-1
  task('Write docs', 'backlog', null, 4, 'Runbook for\nbackups'), // orbit-2
  task('Fix login', 'backlog', null, 1, 'auth bug'), // orbit-3
  task('Ship search', 'review', 'ben'), // orbit-4
  task('Lead plans', 'review', 'nick'), // orbit-5: the lead's own: not for its review
  task('Old work', 'done', 'ben'), // orbit-6: done does not weigh
  task('Waiting', 'blocked', 'ben'), // orbit-7
];
const SQUAD = [
  { soul_id: 'nick', name: 'Nick', role: 'lead', skills: ['planning'], state: 'pulsing' },
  { soul_id: 'ana', name: 'Ana', role: 'engineer', skills: ['backend', 'database'], state: 'idle' },
  { soul_id: 'ben', name: 'Ben', role: 'engineer', skills: [], state: 'blocked' },
];

function state(lead?: PulseState['lead']): PulseState {
  return {
    project_id: 'orbit',
    scoped_path: '/data/projects/orbit/',
    task: null,
    learned_excerpt: '',
    team_notes: { task_events: [], messages: [] },
    notifications: [],
    pulse_id: 'p-1',
    memory: { soul_md: '# Nick', context: '', working: '' },
    ...(lead ? { lead } : {}),
  };
}

function section(prompt: string, title: string): string[] {
  const lines = prompt.split('\n');
  const start = lines.indexOf(`[${title}]`);
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === '') break;
    out.push(line);
  }
  return out;
}

describe("the lead's pulse prompt", () => {
  it('lists the unassigned backlog by priority, reviews of others, and each teammate with skills and open work', () => {
    const prompt = buildPulsePrompt(state(composeLeadBrief(BOARD, SQUAD, 'nick')));
    expect(section(prompt, 'LEAD: Unassigned backlog')).toEqual([
      '- orbit-3 (P1) Fix login — auth bug',
      '- orbit-2 (P4) Write docs — Runbook for backups',
    ]);
    expect(section(prompt, 'LEAD: Needs your review')).toEqual(['- orbit-4 (P3) Ship search · by ben']);
    expect(section(prompt, 'LEAD: Team workload')).toEqual([
      '- ana (Ana, engineer) · skills: backend, database · 1 open: orbit-1 in_progress',
      '- ben (Ben, engineer) [blocked] · skills: none declared · 2 open: orbit-4 review, orbit-7 blocked',
    ]);
    expect(prompt).toContain("'assign_task' {task_id, assignee_id}");
    expect(prompt).toContain("'move_task'");
    // The template still comes first and unchanged.
    expect(prompt.split('\n')[0]).toBe('[SYSTEM STATUS UPDATE]');
    expect(prompt.indexOf('[LEAD: Unassigned backlog]')).toBeGreaterThan(prompt.indexOf('[NOTIFICATIONS]'));
  });

  it('says none for empty sections, and a teammate pulse carries no lead sections at all', () => {
    const empty = buildPulsePrompt(state(composeLeadBrief([], SQUAD.slice(0, 1), 'nick')));
    expect(section(empty, 'LEAD: Unassigned backlog')).toEqual(['none']);
    expect(section(empty, 'LEAD: Team workload')).toEqual(['none']);
    expect(buildPulsePrompt(state())).not.toContain('[LEAD:');
  });

  it('keeps a huge backlog within the prompt limit, truncated with a marker', () => {
    const many = Array.from({ length: 2_000 }, (_, i) => task(`Task number ${i} with a long title`, 'backlog', null));
    const prompt = buildPulsePrompt(state(composeLeadBrief(many, SQUAD, 'nick')), { maxBytes: 8 * 1024 });
    expect(Buffer.byteLength(prompt, 'utf8')).toBeLessThanOrEqual(8 * 1024);
    expect(prompt).toContain('[LEAD: Unassigned backlog]');
    expect(prompt).toMatch(/\[… \d+ bytes truncated\]/);
  });
});
