import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/app/index.js';
import { ConfigSource } from '../../src/config/index.js';

/**
 * The project's lead agent in the shipped server (`startServer` with `demo: true`, a temp data
 * dir, the real runtime, gateway, simulated squad on its pulse schedule in real time): it
 * assigns every unassigned backlog task of the demo within its first two pulses, by skill.
 * The demo fixture is restated here by hand (the ten unassigned titles and whose skills they name).
 */
/** Who may get each task: the teammates whose declared skills its text names most (ties: workload decides). */
const TEAMMATES = ['shuri', 'friday', 'vision', 'wanda', 'groot'];
const SKILLED: Record<string, string[]> = {
  'Expose the mission API endpoints': ['shuri'], // api, backend
  'Add token login and session auth': ['vision'], // auth
  'Accessibility pass on the board': ['friday'], // accessibility, ui
  'Audit log for operator actions': ['vision'], // security, audit
  'Publish pulse latency metrics': ['wanda'], // metrics, performance
  'Write the deploy pipeline': ['groot'], // infra, deploy (friday's "ui" only inside "build")
  'Rate limit the public API': ['shuri', 'vision'], // api vs security
  'Dark theme for the dashboard': ['friday'], // frontend
  'Event retention and compaction': ['shuri', 'wanda'], // "database" holds both database and data
  'Plan the next milestone': TEAMMATES, // planning is only the lead's skill
};
const LEAD = 'jarvis:vanguard';

interface TaskView {
  id: string;
  title: string;
  status: string;
  assignee_id: string | null;
}
interface EventRow {
  seq: number;
  type: string;
  actor_id: string;
  payload: { by: { kind: string; id?: string }; view?: { assignee_id?: string | null } };
}

let server: RunningServer;
let dataDir: string;
let cookie = '';
let nextId = 1;

async function rpc<T>(method: string, params: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${server.url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

async function actorEvents(actorId: string): Promise<EventRow[]> {
  return (await rpc<{ events: EventRow[] }>('mission.inspect.events', { actor_id: actorId, limit: 500 })).events;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mc-lead-'));
  const source = new ConfigSource({
    flags: { data_dir: dataDir, host: '127.0.0.1', port: '0', demo: true, 'backups.enabled': 'false', 'limits.rate_limit_per_minute': '100000' },
    env: {},
    configFile: null,
  });
  server = await startServer(source.current, { logger: pino({ level: process.env.MC_TEST_LOG ?? 'silent' }), config: source });
  const login = await fetch(`${server.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: server.demo!.username, password: server.demo!.password }),
  });
  expect(login.ok).toBe(true);
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the lead agent of the demo', () => {
  it('assigns every unassigned backlog task within its first two pulses, by skill and never to itself', async () => {
    // Unassigned as seeded, read from each task's creation event: the lead's first pulse may
    // already have assigned some by the time the test signs in on a busy machine.
    const seeded = (await rpc<{ tasks: TaskView[] }>('mission.task.list', { project_id: 'vanguard' })).tasks;
    const unassigned: TaskView[] = [];
    for (const task of seeded) {
      const created = (await actorEvents(task.id)).find((e) => e.type === 'task.created');
      if (created?.payload.view?.assignee_id === null) unassigned.push(task);
    }
    expect(unassigned.map((t) => t.title).sort()).toEqual(Object.keys(SKILLED).sort());

    // The lead's second finished pulse, from its own event log.
    let secondPulse: EventRow | undefined;
    for (let waited = 0; !secondPulse; waited += 250) {
      if (waited > 45_000) throw new Error('the lead did not finish two pulses in 45 s');
      await new Promise((r) => setTimeout(r, 250));
      secondPulse = (await actorEvents(LEAD)).filter((e) => e.type === 'agent.pulse_finished').sort((a, b) => a.seq - b.seq)[1];
    }

    for (const task of unassigned) {
      const assigned = (await actorEvents(task.id)).filter((e) => e.type === 'task.assigned').sort((a, b) => a.seq - b.seq)[0];
      expect(assigned, `${task.title} was assigned`).toBeDefined();
      expect(assigned!.payload.by.id, `${task.title} assigned by the lead`).toBe(LEAD);
      expect(assigned!.seq, `${task.title} assigned before the end of the lead's second pulse`).toBeLessThan(secondPulse.seq);
    }
    const now = new Map((await rpc<{ tasks: TaskView[] }>('mission.task.list', { project_id: 'vanguard' })).tasks.map((t) => [t.id, t]));
    for (const task of unassigned) {
      expect(SKILLED[task.title], task.title).toContain(now.get(task.id)!.assignee_id);
    }
  }, 60_000);

  it('offers a lead the tools it needs in the manifest: list, assign, move and create tasks', async () => {
    const res = await fetch(`${server.url}/api/tools`);
    const { tools } = (await res.json()) as { tools: { type: string; function: { name: string; description: string; parameters: { properties: Record<string, unknown>; required?: string[] } } }[] };
    const byName = new Map(tools.map((t) => [t.function.name, t.function]));
    const NEEDS: Record<string, { params: string[]; required: string[] }> = {
      list_tasks: { params: ['project_id', 'status', 'assignee_id'], required: ['project_id'] },
      assign_task: { params: ['task_id', 'assignee_id'], required: ['task_id'] },
      move_task: { params: ['task_id', 'new_status', 'reason'], required: ['task_id', 'new_status'] },
      create_task: { params: ['project_id', 'title', 'description', 'assignee_id', 'priority'], required: ['project_id', 'title'] },
    };
    for (const [name, need] of Object.entries(NEEDS)) {
      const tool = byName.get(name);
      expect(tool, name).toBeDefined();
      expect(tool!.description.length, `${name} is described`).toBeGreaterThan(20);
      for (const p of need.params) expect(Object.keys(tool!.parameters.properties), `${name}.${p}`).toContain(p);
      for (const p of need.required) expect(tool!.parameters.required ?? [], `${name} requires ${p}`).toContain(p);
    }
  });
});
