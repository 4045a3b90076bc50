import { describe, expect, it } from 'vitest';
import { MethodRegistry, toolManifest } from '../../src/gateway/index.js';

/** SPEC §5 "Tool manifest": the PRD tools keep their names and parameters. */
const manifest = toolManifest(new MethodRegistry().tools());
const byName = new Map(manifest.map((t) => [t.function.name, t.function]));
type Params = { type: string; properties: Record<string, { type?: string }>; required?: string[] };
const params = (name: string): Params => byName.get(name)!.parameters as Params;

describe('tool manifest', () => {
  it('uses the OpenAI function-calling format with valid, unique names', () => {
    expect(new Set(manifest.map((t) => t.function.name)).size).toBe(manifest.length);
    for (const t of manifest) {
      expect(t.type).toBe('function');
      expect(t.function.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect((t.function.parameters as Params).type).toBe('object');
      expect(t.function.parameters).not.toHaveProperty('$schema');
    }
  });

  it('has log_event {thought, action} required and task_id optional', () => {
    const p = params('log_event');
    expect(p.properties.thought?.type).toBe('string');
    expect(p.properties.action?.type).toBe('string');
    expect([...(p.required ?? [])].sort()).toEqual(['action', 'thought']);
    expect(Object.keys(p.properties)).toContain('task_id');
  });

  it('has distill_memory {summary}, request_help {issue} and update_chronicle {summary}', () => {
    expect(params('distill_memory').required).toEqual(['summary']);
    expect(params('request_help').required).toEqual(['issue']);
    expect(params('update_chronicle').required).toEqual(['summary']);
  });

  it('offers the task and message tools and no operator-only method', () => {
    for (const name of ['create_task', 'move_task', 'assign_task', 'update_task', 'comment_task', 'get_task', 'list_tasks', 'send_message', 'sync']) {
      expect(byName.has(name), name).toBe(true);
    }
    expect(params('move_task').required?.sort()).toEqual(['new_status', 'task_id']);
    const described = manifest.map((t) => t.function.description).join('\n');
    for (const operatorOnly of ['mission.agent.destroy', 'mission.project.delete', 'mission.task.answer_help', 'mission.inspect.send']) {
      expect(described).not.toContain(`(${operatorOnly})`);
    }
  });
});
