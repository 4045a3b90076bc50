import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startHarness, type Harness } from './rpc-harness.js';

/**
 * Random requests against a real gateway + runtime + SQLite (fast-check). Properties:
 * no 5xx ever; every answer is HTTP 200/204 JSON-RPC or a 401; requests from callers who may
 * not write in project fz leave the database byte-for-byte unchanged, checked after every
 * request: anonymous and the viewer change nothing; the outsider (a member of project `other`)
 * and friday:other (its agent) change nothing outside `other`; an owner of `other`, who may also
 * create souls and projects, leaves fz's own rows unchanged. No random input reaches INTERNAL.
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

type Row = Record<string, unknown>;
type RowFilter = (table: string, r: Row) => boolean;

/** The rows of one project: its own, its tasks' subscriptions and its instances' credentials. */
const ofProject =
  (project: string): RowFilter =>
  (table, r) => {
    if (table === 'projects') return r.id === project;
    if (r.project_id !== undefined) return r.project_id === project;
    // Exactly <project>-<n>: a task of a project named `fz-a` (fz-a-1) is not fz's.
    if (table === 'subscriptions') return typeof r.task_id === 'string' && new RegExp(`^${project}-[1-9][0-9]*$`).test(r.task_id);
    if (table === 'api_tokens') return typeof r.instance_id === 'string' && r.instance_id.split(':')[1] === project;
    return false;
  };

/**
 * Which rows each caller must leave unchanged. A member of `other` and its agent may write there
 * (a random request can be a valid write), and record the first answer of their own keyed calls
 * (idempotency_keys, which has no project column; their calls can only act in `other`). An owner
 * may create souls and projects anywhere (SPEC §5), so for it only fz's rows are fixed.
 */
const principalKeys: Record<string, string> = {};
const WATCHED: Record<string, RowFilter> = {
  anonymous: () => true,
  bogus: () => true,
  viewer: () => true,
  outsider: (table, r) => !ofProject('other')(table, r) && !(table === 'idempotency_keys' && r.principal_key === principalKeys.outsider),
  foreignAgent: (table, r) => !ofProject('other')(table, r) && !(table === 'idempotency_keys' && r.principal_key === principalKeys.foreignAgent),
  otherOwner: ofProject('fz'),
};

/** The watched rows of every table, without the last-used stamp of credentials (bookkeeping, not state). */
function dump(watched: RowFilter): string {
  const tables = h.store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  return JSON.stringify(
    tables.map(({ name }) => {
      const rows = (h.store.db.prepare(`SELECT * FROM "${name}"`).all() as Row[]).filter((r) => watched(name, r));
      const clean = rows.map((r) => (name === 'api_tokens' ? { ...r, last_used_at: null } : r)).map((r) => JSON.stringify(r)).sort();
      return [name, clean];
    }),
  );
}

const rpc = (method: string, params: Record<string, unknown>): string => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });

/** Writes these callers may make (and keyed refusals, whose first answer is kept), run first: each must pass the property, not trip it. */
const LEGITIMATE_WRITES: [string, string][] = [
  ['otherOwner', rpc('mission.soul.create', { soul_id: 'fz', name: 'a soul named like the project' })],
  ['otherOwner', rpc('mission.soul.update', { soul_id: 'shuri', name: 'Shuri renamed' })],
  ['otherOwner', rpc('mission.project.init', { project_name: 'fz-a', base_id: ['shuri'] })],
  ['otherOwner', rpc('mission.task.create', { project_id: 'fz-a', title: 'task fz-a-1 is not one of fz', assignee_id: 'shuri' })],
  ['outsider', rpc('mission.task.create', { project_id: 'other', title: 'keyed', idempotency_key: 'k1' })],
  ['outsider', rpc('mission.task.move', { task_id: 'other-999', new_status: 'done', idempotency_key: 'k2' })],
  ['outsider', rpc('mission.soul.create', { soul_id: 'members-may-not', name: 'x' })],
  ['foreignAgent', rpc('mission.control.distill_memory', { summary: 'keyed distill', idempotency_key: 'k3' })],
];

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
  callers.outsider = await h.userToken('outsider', { other: 'member' });
  callers.otherOwner = await h.userToken('other-owner', { other: 'owner' });
  callers.foreignAgent = h.agentToken('friday:other');
  principalKeys.outsider = `user:${h.accounts.users.byUsername('outsider')!.id}`;
  principalKeys.foreignAgent = 'agent:friday:other';
  callers.bogus = 'mc_bogus';
  callers.admin = h.adminToken;
}, 60_000);

afterAll(async () => {
  await h.close();
});

describe('fuzzing POST /rpc', () => {
  it('leaves the database unchanged (outside the callers\' own project) under 2,000 random requests from callers who may not write in fz, with no 5xx', async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(WATCHED)), body, async (who, text) => {
        sent += 1;
        const before = dump(WATCHED[who]!);
        const r = await h.raw(callers[who], text);
        checkAnswer(r.status, r.text);
        if (who === 'anonymous' || who === 'bogus') expect(r.status).toBe(401);
        expect(dump(WATCHED[who]!), `${who}: ${text}`).toBe(before);
      }),
      { numRuns: 2000, examples: LEGITIMATE_WRITES },
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
