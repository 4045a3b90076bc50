import { describe, expect, it } from 'vitest';
import { agentMachine, taskMachine } from '../../src/machines/index.js';
import { activeStateIds, layoutMachine } from '../../web/src/features/inspector/statechart-layout.js';

// SPEC §3: the task transitions the inspector must draw (from → to : event), written from the spec.
const SPEC_TASK_EDGES = [
  ['backlog', 'in_progress', 'start'],
  ['in_progress', 'done', 'submit'],
  ['in_progress', 'review', 'submit'],
  ['review', 'done', 'approve'],
  ['review', 'in_progress', 'reject'],
  ['backlog', 'blocked', 'block'],
  ['in_progress', 'blocked', 'block'],
  ['review', 'blocked', 'block'],
  ['blocked', 'backlog', 'unblock'],
  ['blocked', 'in_progress', 'unblock'],
  ['blocked', 'review', 'unblock'],
  ['backlog', 'archived', 'archive'],
  ['done', 'archived', 'archive'],
  ['done', 'backlog', 'reopen'],
  ['archived', 'backlog', 'reopen'],
  ['in_progress', 'backlog', 'deadman_expire'],
] as const;

describe('inspector statechart layout', () => {
  it('draws every SPEC §3 task state and transition from the server definition JSON', async () => {
    const definition = JSON.parse(JSON.stringify(taskMachine.toJSON())) as unknown;
    const chart = await layoutMachine({ kind: 'task', id: 'task-test', version: 1, definition });
    const keys = chart.nodes.map((n) => n.key).sort();
    expect(keys).toEqual(['archived', 'backlog', 'blocked', 'done', 'in_progress', 'review']);
    const drawn = new Set(chart.edges.map((e) => `${e.source.split('.').pop()}>${e.target.split('.').pop()}:${e.event}`));
    for (const [from, to, event] of SPEC_TASK_EDGES) expect(drawn, `${from} → ${to} on ${event}`).toContain(`${from}>${to}:${event}`);
    for (const n of chart.nodes) {
      expect(n.width).toBeGreaterThan(0);
      expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
    }
    expect(chart.nodes.find((n) => n.key === 'backlog')?.initial).toBe(true);
  });

  it('nests the agent machine: children carry their parent and positions stay inside it', async () => {
    const definition = JSON.parse(JSON.stringify(agentMachine.toJSON())) as unknown;
    const chart = await layoutMachine({ kind: 'agent', id: 'agent-test', version: 1, definition });
    const children = chart.nodes.filter((n) => n.parentId !== null);
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) {
      const parent = chart.nodes.find((n) => n.id === child.parentId)!;
      expect(parent.compound).toBe(true);
      expect(child.x + child.width).toBeLessThanOrEqual(parent.width);
      expect(child.y + child.height).toBeLessThanOrEqual(parent.height);
    }
  });

  it('lights the nodes of a nested state value', () => {
    expect([...activeStateIds('agent', { active: 'pulsing' })].sort()).toEqual(['agent.active', 'agent.active.pulsing']);
    expect([...activeStateIds('task', 'review')]).toEqual(['task.review']);
  });
});
