import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METHODS } from '../../src/gateway/index.js';
import { ok, startHarness, wsCall, type Harness, type RpcAnswer } from './rpc-harness.js';

/**
 * The role × method matrix of SPEC §5, written here as an independent table (not read from the
 * registry), run against a real gateway + runtime + SQLite. Callers:
 *   admin · owner / member / viewer of project `alpha` · outsider (member of `beta` only)
 *   · agent shuri:alpha (acting as itself, on its own tasks) · anonymous.
 * Refusals are FORBIDDEN (HTTP 401 for anonymous); allowed callers succeed, and each success
 * has the shape the method's registry `result` schema declares (so the docs tell the truth).
 */
type Human = 'admin' | 'owner' | 'member' | 'viewer' | 'outsider';
type Caller = Human | 'agent';
const ALL_CALLERS: Caller[] = ['admin', 'owner', 'member', 'viewer', 'outsider', 'agent'];
const OWNER_PLUS: Caller[] = ['admin', 'owner'];
const MEMBER_PLUS: Caller[] = ['admin', 'owner', 'member'];
const EVERY_MEMBER: Caller[] = ['admin', 'owner', 'member', 'viewer'];

interface Row {
  allowed: Caller[];
  /** Fresh params for one call by `who` (fixtures are made by the admin). */
  params: (who: Caller) => Promise<Record<string, unknown>>;
  ws?: boolean;
  /** Undo what a successful call changed when later rows depend on it. */
  after?: (who: Caller, params: Record<string, unknown>) => Promise<void>;
  /** Admin may call agent-only tools, but a human has no instance: only "not refused" is checked. */
  adminNotRefusedOnly?: boolean;
}

let h: Harness;
const tokens = {} as Record<Caller, string>;
let n = 0;
const uid = (prefix: string): string => `${prefix}${++n}`;
const admin = async (method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> => ok(await h.rpc(h.adminToken, method, params));

async function freshTask(assignee: string | null = 'shuri'): Promise<string> {
  return (await admin('mission.task.create', { project_id: 'alpha', title: uid('task '), assignee_id: assignee })).id as string;
}
async function inProgressTask(): Promise<string> {
  const id = await freshTask('shuri');
  await admin('mission.task.move', { task_id: id, new_status: 'in_progress' });
  return id;
}
/** A task blocked by request_help of a fresh instance (an instance that asked for help is blocked until answered). */
async function helpTask(): Promise<string> {
  const instance = await freshInstance();
  const soul = instance.split(':')[0]!;
  const id = await freshTask(soul);
  await admin('mission.task.move', { task_id: id, new_status: 'in_progress' });
  ok(await h.rpc(h.agentToken(instance), 'mission.control.request_help', { task_id: id, issue: 'stuck' }));
  return id;
}
async function freshInstance(): Promise<string> {
  const soul = uid('s');
  await admin('mission.soul.create', { soul_id: soul, name: soul });
  await admin('mission.agent.create', { project_id: 'alpha', soul_id: soul });
  return `${soul}:alpha`;
}
async function freshProject(): Promise<string> {
  const id = uid('p');
  await admin('mission.project.init', { project_name: id, project_id: id });
  h.accounts.grant('owner', id, 'owner');
  h.accounts.grant('member', id, 'member');
  h.accounts.grant('viewer', id, 'viewer');
  return id;
}

const TABLE: Record<string, Row> = {
  'mission.soul.create': { allowed: OWNER_PLUS, params: async () => ({ soul_id: uid('new-soul-'), name: 'New soul' }) },
  'mission.soul.update': { allowed: OWNER_PLUS, params: async () => ({ soul_id: 'shuri', name: uid('Shuri ') }) },
  'mission.soul.get': { allowed: OWNER_PLUS, params: async () => ({ soul_id: 'shuri' }) },
  'mission.soul.list': { allowed: OWNER_PLUS, params: async () => ({}) },
  'mission.project.init': { allowed: OWNER_PLUS, params: async () => ({ project_name: uid('Project '), project_id: uid('np') }) },
  'mission.project.list': { allowed: ['admin', 'owner', 'member', 'viewer', 'outsider'], params: async () => ({}) },
  'mission.project.get': { allowed: EVERY_MEMBER, params: async () => ({ project_id: 'alpha' }) },
  'mission.project.archive': { allowed: OWNER_PLUS, params: async () => ({ project_id: await freshProject() }) },
  'mission.project.delete': { allowed: OWNER_PLUS, params: async () => ({ project_id: await freshProject() }) },
  'mission.task.create': { allowed: [...MEMBER_PLUS, 'agent'], params: async () => ({ project_id: 'alpha', title: uid('created ') }) },
  'mission.task.move': { allowed: [...MEMBER_PLUS, 'agent'], params: async () => ({ task_id: await freshTask('shuri'), new_status: 'in_progress' }) },
  'mission.task.assign': { allowed: [...MEMBER_PLUS, 'agent'], params: async () => ({ task_id: await freshTask(null), assignee_id: 'jarvis' }) },
  'mission.task.update': { allowed: [...MEMBER_PLUS, 'agent'], params: async () => ({ task_id: await freshTask(), title: uid('renamed ') }) },
  'mission.task.comment': { allowed: [...MEMBER_PLUS, 'agent'], params: async () => ({ task_id: await freshTask(), text: 'a comment' }) },
  'mission.task.get': { allowed: [...EVERY_MEMBER, 'agent'], params: async () => ({ task_id: await freshTask() }) },
  'mission.task.list': { allowed: [...EVERY_MEMBER, 'agent'], params: async () => ({ project_id: 'alpha' }) },
  'mission.task.answer_help': { allowed: MEMBER_PLUS, params: async () => ({ task_id: await helpTask(), answer: 'use the staging key' }) },
  'mission.agent.sync': { allowed: ['admin', 'agent'], params: async () => ({ instance_id: 'shuri:alpha', status: 'idle' }), adminNotRefusedOnly: true },
  'mission.agent.create': {
    allowed: OWNER_PLUS,
    params: async () => {
      const soul = uid('c');
      await admin('mission.soul.create', { soul_id: soul, name: soul });
      return { project_id: 'alpha', soul_id: soul };
    },
  },
  'mission.agent.pause': { allowed: OWNER_PLUS, params: async () => ({ instance_id: await freshInstance() }) },
  'mission.agent.resume': {
    allowed: OWNER_PLUS,
    params: async () => {
      const id = await freshInstance();
      await admin('mission.agent.pause', { instance_id: id });
      return { instance_id: id };
    },
  },
  'mission.agent.upgrade': {
    allowed: OWNER_PLUS,
    params: async () => {
      const id = await freshInstance();
      await admin('mission.soul.update', { soul_id: id.split(':')[0], soul_md: `# v2 ${uid('')}` });
      return { instance_id: id };
    },
  },
  'mission.agent.destroy': { allowed: OWNER_PLUS, params: async () => ({ instance_id: await freshInstance() }) },
  'mission.agent.pulse_now': { allowed: OWNER_PLUS, params: async () => ({ instance_id: await freshInstance() }) },
  'mission.agent.list': { allowed: EVERY_MEMBER, params: async () => ({ project_id: 'alpha' }) },
  'mission.agent.get': { allowed: EVERY_MEMBER, params: async () => ({ instance_id: 'shuri:alpha' }) },
  'mission.control.log_event': { allowed: ['admin', 'agent'], adminNotRefusedOnly: true, params: async () => ({ task_id: await inProgressTask(), thought: 't', action: 'a' }) },
  'mission.control.request_help': {
    allowed: ['admin', 'agent'],
    adminNotRefusedOnly: true,
    params: async () => ({ task_id: await inProgressTask(), issue: 'help' }),
    // The agent is blocked until a human answers; answer so the rows after this one find it active.
    after: async (who, p) => {
      if (who === 'agent') await admin('mission.task.answer_help', { task_id: p.task_id as string, answer: 'done' });
    },
  },
  'mission.control.distill_memory': { allowed: ['admin', 'agent'], adminNotRefusedOnly: true, params: async () => ({ summary: 'learned things' }) },
  'mission.control.update_chronicle': { allowed: ['admin', 'agent'], adminNotRefusedOnly: true, params: async () => ({ summary: 'we did things' }) },
  'mission.message.send': { allowed: [...MEMBER_PLUS, 'agent'], params: async () => ({ project_id: 'alpha', to: 'jarvis', text: 'hello @jarvis' }) },
  'mission.fs.read': { allowed: ['admin', 'agent'], adminNotRefusedOnly: true, params: async () => ({ path: 'agents/shuri/working.md' }) },
  'mission.fs.write': { allowed: ['admin', 'agent'], adminNotRefusedOnly: true, params: async () => ({ path: `agents/shuri/${uid('note')}.md`, content: 'x' }) },
  'mission.fs.list': { allowed: ['admin', 'agent'], adminNotRefusedOnly: true, params: async () => ({ path: 'agents/shuri' }) },
  'mission.fs.delete': {
    allowed: ['admin', 'agent'],
    adminNotRefusedOnly: true,
    params: async () => {
      const path = `agents/shuri/${uid('del')}.md`;
      ok(await h.rpc(tokens.agent, 'mission.fs.write', { path, content: 'bye' }));
      return { path };
    },
  },
  'mission.doc.list': { allowed: EVERY_MEMBER, params: async () => ({ project_id: 'alpha' }) },
  'mission.doc.get': { allowed: EVERY_MEMBER, params: async () => ({ project_id: 'alpha', name: 'CHRONICLE.md' }) },
  'mission.inspect.machine': { allowed: ['admin', 'owner', 'member', 'viewer', 'outsider'], params: async () => ({ kind: 'task' }) },
  'mission.inspect.events': { allowed: EVERY_MEMBER, params: async () => ({ actor_id: await freshTask() }) },
  'mission.inspect.send': { allowed: OWNER_PLUS, params: async () => ({ actor_id: await freshInstance(), event: { type: 'pause' } }) },
  'mission.inspect.watch': { allowed: EVERY_MEMBER, ws: true, params: async () => ({ actor_id: 'shuri:alpha' }) },
  'mission.inspect.unwatch': { allowed: EVERY_MEMBER, ws: true, params: async () => ({ actor_id: 'shuri:alpha' }) },
  'mission.subscribe': { allowed: EVERY_MEMBER, ws: true, params: async () => ({ project_id: 'alpha', since_seq: 0 }) },
  'mission.unsubscribe': { allowed: EVERY_MEMBER, ws: true, params: async () => ({ project_id: 'alpha' }) },
};

/** The answer parses with the method's result schema, and holds no field the schema leaves out. */
function expectDeclaredResult(method: string, who: Caller, result: unknown): void {
  const parsed = METHODS.find((m) => m.name === method)!.result.safeParse(result);
  expect(parsed.error, `${who}: ${method} answers its declared result`).toBeUndefined();
  // Parsing strips undeclared fields: an answer equal to its parse declares everything it says.
  expect(parsed.data, `${who}: ${method} answers only declared fields`).toEqual(result);
}

const call = (row: Row, token: string | undefined, method: string, params: Record<string, unknown>): Promise<RpcAnswer> =>
  row.ws ? wsCall(h.wsUrl, token, method, params) : h.rpc(token, method, params);

beforeAll(async () => {
  h = await startHarness();
  await admin('mission.soul.create', { soul_id: 'shuri', name: 'Shuri', role: 'engineer' });
  await admin('mission.soul.create', { soul_id: 'jarvis', name: 'Jarvis', role: 'lead' });
  await admin('mission.soul.create', { soul_id: 'friday', name: 'Friday' });
  await admin('mission.project.init', { project_name: 'Alpha', project_id: 'alpha', base_id: ['shuri', 'jarvis'] });
  await admin('mission.project.init', { project_name: 'Beta', project_id: 'beta', base_id: ['friday'] });
  await admin('mission.project.init', { project_name: 'Gamma', project_id: 'gamma', base_id: ['shuri'], settings: { driver: 'oc1' } });
  tokens.admin = h.adminToken;
  tokens.owner = await h.userToken('owner', { alpha: 'owner' });
  tokens.member = await h.userToken('member', { alpha: 'member' });
  tokens.viewer = await h.userToken('viewer', { alpha: 'viewer' });
  tokens.outsider = await h.userToken('outsider', { beta: 'member' });
  tokens.agent = h.agentToken('shuri:alpha');
}, 120_000);

afterAll(async () => {
  await h.close();
});

describe('role × method matrix (SPEC §5)', () => {
  it('covers every method of the registry', () => {
    expect(Object.keys(TABLE).sort()).toEqual(METHODS.map((m) => m.name).sort());
  });

  for (const [method, row] of Object.entries(TABLE)) {
    it(`${method}: allowed ${row.allowed.join(', ')}, answering its result schema; everyone else refused`, async () => {
      const anonymous = await call(row, undefined, method, await row.params('admin'));
      expect(anonymous.status, 'anonymous').toBe(401);
      for (const who of ALL_CALLERS) {
        const params = await row.params(who);
        const answer = await call(row, tokens[who], method, params);
        const code = answer.error?.data?.code;
        if (!row.allowed.includes(who)) {
          expect(code, `${who} must be refused`).toBe('FORBIDDEN');
        } else if (who === 'admin' && row.adminNotRefusedOnly) {
          expect(code, `${who} must not be refused`).not.toBe('FORBIDDEN');
        } else {
          expect(answer.error, `${who} must succeed`).toBeUndefined();
          expectDeclaredResult(method, who, answer.result);
          await row.after?.(who, params);
        }
      }
    });
  }
});

describe('agents act only as themselves, in their project, on their own tasks', () => {
  it('refuses an agent naming another instance', async () => {
    const r = await h.rpc(tokens.agent, 'mission.agent.sync', { instance_id: 'jarvis:alpha', status: 'idle' });
    expect(r.error?.data?.code).toBe('FORBIDDEN');
    const t = await h.rpc(tokens.agent, 'mission.task.create', { project_id: 'alpha', title: 'x', instance_id: 'jarvis:alpha' });
    expect(t.error?.data?.code).toBe('FORBIDDEN');
  });

  it("refuses an agent moving another agent's task, and one in another project", async () => {
    const jarvisTask = await freshTask('jarvis');
    expect((await h.rpc(tokens.agent, 'mission.task.move', { task_id: jarvisTask, new_status: 'in_progress' })).error?.data?.code).toBe('FORBIDDEN');
    const foreign = h.agentToken('friday:beta');
    expect((await h.rpc(foreign, 'mission.task.create', { project_id: 'alpha', title: 'sneaky' })).error?.data?.code).toBe('FORBIDDEN');
    expect((await h.rpc(foreign, 'mission.task.get', { task_id: await freshTask() })).error?.data?.code).toBe('FORBIDDEN');
    expect((await h.rpc(foreign, 'mission.control.log_event', { task_id: await inProgressTask(), thought: 't', action: 'a' })).error?.data?.code).toBe('FORBIDDEN');
  });

  it('lets a driver act for an instance it serves, naming it in each call, and nothing else', async () => {
    const driver = h.driverToken('oc1');
    const task = ok<{ id: string }>(await h.rpc(driver, 'mission.task.create', { project_id: 'gamma', title: 'via driver', assignee_id: 'shuri', instance_id: 'shuri:gamma' }));
    ok(await h.rpc(driver, 'mission.task.move', { task_id: task.id, new_status: 'in_progress', instance_id: 'shuri:gamma' }));
    ok(await h.rpc(driver, 'mission.control.log_event', { task_id: task.id, thought: 'via driver', action: 'log', instance_id: 'shuri:gamma' }));
    ok(await h.rpc(driver, 'mission.agent.sync', { instance_id: 'shuri:gamma', status: 'working' }));
    // Without naming the instance, for an instance it does not serve, or for an operator method: refused.
    expect((await h.rpc(driver, 'mission.control.log_event', { task_id: task.id, thought: 't', action: 'a' })).error?.data?.code).toBe('INVALID_INPUT');
    expect((await h.rpc(driver, 'mission.agent.sync', { instance_id: 'shuri:alpha', status: 'idle' })).error?.data?.code).toBe('FORBIDDEN');
    expect((await h.rpc(h.driverToken('oc2'), 'mission.agent.sync', { instance_id: 'shuri:gamma', status: 'idle' })).error?.data?.code).toBe('FORBIDDEN');
    expect((await h.rpc(driver, 'mission.agent.pause', { instance_id: 'shuri:gamma' })).error?.data?.code).toBe('FORBIDDEN');
  });

  it('stops honouring a revoked token at once', async () => {
    const { token, id } = h.accounts.createToken({ instance: 'shuri:alpha' });
    ok(await h.rpc(token, 'mission.task.list', { project_id: 'alpha' }));
    h.accounts.tokens.revokeById(id, Date.now());
    expect((await h.rpc(token, 'mission.task.list', { project_id: 'alpha' })).status).toBe(401);
  });
});

/**
 * SPEC §3: review → done (approve) and review → in_progress (reject) are taken by a human or the
 * project's lead, never the assignee. Independent table: who moves which task, and the outcome.
 */
describe("the project's lead reviews (SPEC §3)", () => {
  type Reviewer = 'lead' | 'assignee' | 'other agent' | 'foreign lead';
  interface ReviewRow {
    who: Reviewer;
    /** Whose task is in review. */
    owner: 'shuri' | 'jarvis';
    to: 'done' | 'in_progress';
    outcome: 'ok' | 'FORBIDDEN' | 'ILLEGAL_TRANSITION';
  }
  const ROWS: ReviewRow[] = [
    { who: 'lead', owner: 'shuri', to: 'done', outcome: 'ok' },
    { who: 'lead', owner: 'shuri', to: 'in_progress', outcome: 'ok' },
    { who: 'lead', owner: 'jarvis', to: 'done', outcome: 'ILLEGAL_TRANSITION' },
    { who: 'assignee', owner: 'shuri', to: 'done', outcome: 'ILLEGAL_TRANSITION' },
    { who: 'other agent', owner: 'shuri', to: 'done', outcome: 'FORBIDDEN' },
    { who: 'other agent', owner: 'shuri', to: 'in_progress', outcome: 'FORBIDDEN' },
    { who: 'foreign lead', owner: 'shuri', to: 'done', outcome: 'FORBIDDEN' },
  ];

  beforeAll(async () => {
    await admin('mission.soul.create', { soul_id: 'wong', name: 'Wong', role: 'engineer' });
    await admin('mission.soul.create', { soul_id: 'fury', name: 'Fury', role: 'lead' });
    await admin('mission.project.init', { project_name: 'Review', project_id: 'review', base_id: ['shuri', 'jarvis', 'wong'], settings: { require_review: true } });
    await admin('mission.project.init', { project_name: 'Other', project_id: 'other', base_id: ['fury'] });
  });

  async function inReview(owner: string): Promise<string> {
    const id = (await admin('mission.task.create', { project_id: 'review', title: uid('review '), assignee_id: owner })).id as string;
    await admin('mission.task.move', { task_id: id, new_status: 'in_progress' });
    await admin('mission.task.move', { task_id: id, new_status: 'review' });
    return id;
  }

  const INSTANCE: Record<Reviewer, (owner: string) => string> = {
    lead: () => 'jarvis:review',
    assignee: (owner) => `${owner}:review`,
    'other agent': () => 'wong:review',
    'foreign lead': () => 'fury:other',
  };

  for (const row of ROWS) {
    it(`${row.who} moving ${row.owner}'s task from review to ${row.to}: ${row.outcome}`, async () => {
      const id = await inReview(row.owner);
      const params = { task_id: id, new_status: row.to, ...(row.to === 'in_progress' ? { reason: 'add tests' } : {}) };
      const answer = await h.rpc(h.agentToken(INSTANCE[row.who](row.owner)), 'mission.task.move', params);
      const task = ok<{ task: { status: string } }>(await h.rpc(h.adminToken, 'mission.task.get', { task_id: id, events_limit: 0 })).task;
      if (row.outcome === 'ok') {
        expect(answer.error).toBeUndefined();
        expect(task.status).toBe(row.to);
      } else {
        expect(answer.error?.data?.code).toBe(row.outcome);
        expect(task.status, 'nothing changed').toBe('review');
      }
    });
  }

  it('does not let the lead move a teammate task that is not in review', async () => {
    const id = (await admin('mission.task.create', { project_id: 'review', title: uid('backlog '), assignee_id: 'shuri' })).id as string;
    expect((await h.rpc(h.agentToken('jarvis:review'), 'mission.task.move', { task_id: id, new_status: 'in_progress' })).error?.data?.code).toBe('FORBIDDEN');
  });
});
