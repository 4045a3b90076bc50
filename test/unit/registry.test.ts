import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MethodRegistry, METHODS, renderMethodsDoc } from '../../src/gateway/index.js';

/**
 * SPEC §5's method table, written out here independently of the registry: every method, its
 * callers, and the PRD aliases. `admin` is implicit everywhere.
 */
const MEMBER_PLUS = ['owner', 'member'];
const EVERY = ['owner', 'member', 'viewer'];
const SPEC_METHODS: Record<string, string[]> = {
  'mission.soul.create': ['owner'],
  'mission.soul.update': ['owner'],
  'mission.soul.get': ['owner'],
  'mission.soul.list': ['owner'],
  'mission.project.init': ['owner'],
  'mission.project.list': EVERY,
  'mission.project.get': EVERY,
  'mission.project.archive': ['owner'],
  'mission.project.delete': ['owner'],
  'mission.task.create': [...MEMBER_PLUS, 'agent'],
  'mission.task.move': [...MEMBER_PLUS, 'agent'],
  'mission.task.assign': [...MEMBER_PLUS, 'agent'],
  'mission.task.update': [...MEMBER_PLUS, 'agent'],
  'mission.task.comment': [...MEMBER_PLUS, 'agent'],
  'mission.task.get': [...EVERY, 'agent'],
  'mission.task.list': [...EVERY, 'agent'],
  'mission.task.answer_help': MEMBER_PLUS,
  'mission.agent.sync': ['agent'],
  'mission.agent.create': ['owner'],
  'mission.agent.pause': ['owner'],
  'mission.agent.resume': ['owner'],
  'mission.agent.upgrade': ['owner'],
  'mission.agent.destroy': ['owner'],
  'mission.agent.pulse_now': ['owner'],
  'mission.agent.list': EVERY,
  'mission.agent.get': EVERY,
  'mission.control.log_event': ['agent'],
  'mission.control.request_help': ['agent'],
  'mission.control.distill_memory': ['agent'],
  'mission.control.update_chronicle': ['agent'],
  'mission.message.send': [...MEMBER_PLUS, 'agent'],
  'mission.fs.read': ['agent'],
  'mission.fs.write': ['agent'],
  'mission.fs.list': ['agent'],
  'mission.fs.delete': ['agent'],
  'mission.doc.list': EVERY,
  'mission.doc.get': EVERY,
  'mission.inspect.machine': EVERY,
  'mission.inspect.events': EVERY,
  'mission.inspect.send': ['owner'],
  'mission.subscribe': EVERY,
  'mission.unsubscribe': EVERY,
};
/** Methods this gateway adds beyond the table (documented in docs/methods.md). */
const EXTRA_METHODS: Record<string, string[]> = { 'mission.inspect.watch': EVERY, 'mission.inspect.unwatch': EVERY };
const ALIASES: Record<string, string> = {
  'mission.control.log': 'mission.control.log_event',
  'mission.control.block': 'mission.control.request_help',
  'mission.control.distill': 'mission.control.distill_memory',
};
const SIDE_EFFECT_FREE = new Set([
  'mission.soul.get', 'mission.soul.list', 'mission.project.list', 'mission.project.get', 'mission.task.get', 'mission.task.list',
  'mission.agent.list', 'mission.agent.get', 'mission.fs.read', 'mission.fs.list', 'mission.doc.list', 'mission.doc.get',
  'mission.inspect.machine', 'mission.inspect.events', 'mission.inspect.watch', 'mission.inspect.unwatch', 'mission.subscribe', 'mission.unsubscribe',
]);

const registry = new MethodRegistry();

describe('method registry', () => {
  it('holds exactly the methods of SPEC §5 (plus the documented inspector watch methods)', () => {
    expect(METHODS.map((m) => m.name).sort()).toEqual([...Object.keys(SPEC_METHODS), ...Object.keys(EXTRA_METHODS)].sort());
  });

  it('gives each method the callers of SPEC §5', () => {
    for (const [name, roles] of Object.entries({ ...SPEC_METHODS, ...EXTRA_METHODS })) {
      expect([...registry.get(name)!.roles].sort(), name).toEqual([...roles].sort());
    }
  });

  it('resolves the PRD aliases to their methods', () => {
    for (const [alias, name] of Object.entries(ALIASES)) expect(registry.get(alias)?.name, alias).toBe(name);
  });

  it('marks side effects, and every side-effecting method accepts an idempotency_key', () => {
    for (const m of METHODS) {
      expect(m.sideEffect, m.name).toBe(!SIDE_EFFECT_FREE.has(m.name));
      if (m.sideEffect) {
        const shape = (m.params as unknown as { shape: Record<string, unknown> }).shape;
        expect(Object.keys(shape), m.name).toContain('idempotency_key');
      }
    }
  });

  it('describes every method', () => {
    for (const m of METHODS) expect(m.description.length, m.name).toBeGreaterThan(10);
  });

  it('refuses to build with a duplicate name', () => {
    expect(() => new MethodRegistry([...METHODS, METHODS[0]!])).toThrow(/duplicate/);
  });

  it('keeps docs/methods.md generated from the registry', () => {
    const file = new URL('../../docs/methods.md', import.meta.url);
    const expected = renderMethodsDoc(METHODS);
    if (process.env.MC_WRITE_DOCS === '1') writeFileSync(file, expected);
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });
});
