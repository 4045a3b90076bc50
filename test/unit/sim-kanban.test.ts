import { describe, expect, it } from 'vitest';
import { parseKanban } from '../../src/sim/index.js';
import { renderKanban, type KanbanCard } from '../../src/workspace/index.js';

describe("the simulation's KANBAN.md parser", () => {
  const cards: KanbanCard[] = [
    { id: 'p-1', title: 'Plain', status: 'backlog', assignee_id: null, priority: 3, attempts: 0, blocked_reason: null },
    { id: 'p-2', title: 'Two\nlines \\ and a backslash', status: 'in_progress', assignee_id: 'shuri', priority: 1, attempts: 2, blocked_reason: null },
    { id: 'p-3', title: 'Stuck · with a dot', status: 'blocked', assignee_id: 'friday', priority: 5, attempts: 3, blocked_reason: 'deadman\r\nagain' },
    { id: 'p-4', title: 'Shipped', status: 'done', assignee_id: 'vision', priority: 2, attempts: 0, blocked_reason: null },
  ];

  it('reads back every card of the rendered board with its column and fields', () => {
    const parsed = parseKanban(renderKanban({ id: 'p', name: 'Proj (x)' }, cards));
    expect(parsed.projectId).toBe('p');
    expect(parsed.projectName).toBe('Proj (x)');
    const byId = new Map(parsed.cards.map((c) => [c.id, c]));
    expect(byId.get('p-2')).toEqual({ id: 'p-2', title: 'Two\nlines \\ and a backslash', column: 'In Progress', assignee: 'shuri', priority: 1, attempts: 2, blocked: null });
    expect(byId.get('p-3')).toEqual({ id: 'p-3', title: 'Stuck · with a dot', column: 'Blocked', assignee: 'friday', priority: 5, attempts: 3, blocked: 'deadman\r\nagain' });
    expect(byId.get('p-1')?.assignee).toBeNull();
    expect(parsed.counts.get('Done')).toBe(1);
    expect(parsed.counts.get('Review')).toBe(0);
    expect(parsed.counts.size).toBe(6);
  });

  it('refuses a file that is not a KANBAN.md', () => {
    expect(() => parseKanban('# Something else\n')).toThrow(/title line/);
    expect(() => parseKanban('# Kanban: x (x)\n\n## Later (1)\n')).toThrow(/unknown column/);
  });
});
