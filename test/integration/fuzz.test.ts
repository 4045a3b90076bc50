import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startHarness, type Harness } from './rpc-harness.js';

/**
 * Random requests against a real gateway + runtime + SQLite (fast-check). Properties:
 * no 5xx ever; every answer is HTTP 200/204 JSON-RPC or a 401; requests from callers who may
 * not write in project fz (anonymous, viewer, outsider, agents out of bounds) leave the database
 * byte-for-byte unchanged (the outsider and its agent may write in their own project `other`,
 * nowhere else), checked after every request; no random input reaches an INTERNAL error.
 */
let h: Harness;
const callers: Record<string, string | undefined> = {};

const METHOD_NAMES = [
  'mission.soul.create', 'mission.soul.update', 'mission.soul.get', 'mission.soul.list', 'mission.project.init', 'mission.project.list',
  'mission.project.get', 'mission.project.archive', 'mission.project.delete', 'mission.task.create', 'mission.task.move', 'mission.task.assign',
  'mission.task.update', 'mission.task.comment', 'mission.task.get', 'mission.task.list', 'mission.task.answer_help', 'mission.agent.sync',
  'mission.agent.create', 'mission.agent.pause', 'mission.agent.resume', 'mission.agent.upgrade', 'mission.agent.destroy', 'mission.agent.pulse_now',
  'mission.agent.list', 'mission.agent.get', 'mission.control.log_event', 'mission.control.request_help', 'mission.control.distill_memory',
  'mission.control.update_chronicle', 'mission.control.log', 'mission.control.block', 'mission.control.distill', 'mission.message.send',
  'mission.fs.read', 'mission.fs.write', 'mission.fs.list', 'mission.fs.delete', 'mission.doc.list', 'mission.doc.get', 'mission.inspect.machine',
  'mission.inspect.events', 'mission.inspect.send', 'mission.subscribe', 'mission.unsubscribe', 'mission.inspect.watch',
];
const KEYS = ['project_id', 'task_id', 'instance_id', 'soul_id', 'title', 'new_status', 'assignee_id', 'status', 'text', 'to', 'path', 'content',
  'thought', 'action', 'issue', 'summary', 'name', 'project_name', 'base_id', 'settings', 'actor_id', 'event', 'kind', 'limit', 'cursor',
  'since_seq', 'priority', 'depends_on', 'answer', 'idempotency_key', 'expected_version', 'reason'];
const PLAUSIBLE = ['fz', 'other', 'fz-1', 'fz-2', 'other-1', 'shuri', 'jarvis', 'shuri:fz', 'jarvis:fz', 'friday:other', 'in_progress', 'done',
  'review', 'Backlog', '../../etc/passwd', 'KANBAN.md', 'agents/jarvis/working.md', '@all', '', ' ', 'x'.repeat(300), '\u0000', 'task', 'agent'];

const value = fc.oneof(
  fc.constantFrom(...PLAUSIBLE),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: -5, max: 1e6 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom(...PLAUSIBLE), { maxLength: 4 }),
  fc.dictionary(fc.constantFrom('type', 'driver', 'require_review', 'pulse_interval'), fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean())),
);
const params = fc.oneof(
  fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 }),
  fc.constant(undefined),
  fc.array(value, { maxLength: 3 }),
  fc.string({ maxLength: 10 }),
);
const method = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...METHOD_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });
const request = fc.record(
  { jsonrpc: fc.oneof({ weight: 9, arbitrary: fc.constant('2.0') }, { weight: 1, arbitrary: fc.constantFrom('1.0', 2, undefined) }), id: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(undefined)), method, params },
  { requiredKeys: ['jsonrpc', 'method'] },
);
const body = fc.oneof(
  { weight: 6, arbitrary: request.map((r) => JSON.stringify(r)) },
  { weight: 2, arbitrary: fc.array(request, { maxLength: 4 }).map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
);

/**
 * Rows of project `other`, where the outsider (its owner) and friday:other (its agent) may
 * legitimately write: a random request that happens to be a valid write there is allowed.
 */
function ofOtherProject(table: string, r: Record<string, unknown>): boolean {
  if (table === 'projects') return r.id === 'other';
  if (r.project_id !== undefined) return r.project_id === 'other';
  if (table === 'subscriptions') return typeof r.task_id === 'string' && r.task_id.startsWith('other-');
  return false;
}

/**
 * Every row of every table (without project `other`'s when `outsideOther`), and without the
 * last-used stamp of credentials (bookkeeping, not state).
 */
function dump(outsideOther = false): string {
  const tables = h.store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  return JSON.stringify(
    tables.map(({ name }) => {
      const rows = (h.store.db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]).filter((r) => !(outsideOther && ofOtherProject(name, r)));
      const clean = rows.map((r) => (name === 'api_tokens' ? { ...r, last_used_at: null } : r)).map((r) => JSON.stringify(r)).sort();
      return [name, clean];
    }),
  );
}

function checkAnswer(status: number, text: string): void {
  expect([200, 204, 401]).toContain(status);
  if (status !== 200) return;
  const json = JSON.parse(text) as unknown;
  const answers = Array.isArray(json) ? json : [json];
  for (const a of answers as { jsonrpc: string; error?: { code: number; data?: { code?: string } } }[]) {
    expect(a.jsonrpc).toBe('2.0');
    if (a.error) {
      expect([-32700, -32600, -32601, -32602, -32000]).toContain(a.error.code);
      expect(a.error.data?.code, JSON.stringify(a.error)).not.toBe('INTERNAL');
    }
  }
}

beforeAll(async () => {
  h = await startHarness();
  ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: 'shuri', name: 'Shuri' }));
  ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: 'jarvis', name: 'Jarvis', role: 'lead' }));
  ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: 'friday', name: 'Friday' }));
  ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'Fuzz', project_id: 'fz', base_id: ['shuri', 'jarvis'] }));
  ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'Other', project_id: 'other', base_id: ['friday'] }));
  ok(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'fz', title: 'one', assignee_id: 'jarvis' }));
  ok(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'fz', title: 'two', assignee_id: 'shuri' }));
  callers.anonymous = undefined;
  callers.viewer = await h.userToken('viewer', { fz: 'viewer' });
  callers.outsider = await h.userToken('outsider', { other: 'owner' });
  callers.foreignAgent = h.agentToken('friday:other');
  callers.bogus = 'mc_bogus';
  callers.admin = h.adminToken;
}, 60_000);

afterAll(async () => {
  await h.close();
});

describe('fuzzing POST /rpc', () => {
  it('leaves the database unchanged (outside the callers\' own project) under 2,000 random requests from callers who may not write, with no 5xx', async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('anonymous', 'viewer', 'outsider', 'foreignAgent', 'bogus'), body, async (who, text) => {
        sent += 1;
        // The outsider owns project `other` and friday is its agent: they may write there, nowhere else.
        const mayWriteOther = who === 'outsider' || who === 'foreignAgent';
        const before = dump(mayWriteOther);
        const r = await h.raw(callers[who], text);
        checkAnswer(r.status, r.text);
        if (who === 'anonymous' || who === 'bogus') expect(r.status).toBe(401);
        expect(dump(mayWriteOther), `${who}: ${text}`).toBe(before);
      }),
      { numRuns: 2000 },
    );
    expect(sent).toBeGreaterThanOrEqual(2000);
  });

  it('never answers 5xx or INTERNAL to 1,000 random requests from an admin', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const r = await h.raw(callers.admin, text);
        checkAnswer(r.status, r.text);
      }),
      { numRuns: 1000 },
    );
  });
});
