import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenClawDriver, withResilience, type AgentDriver } from '../../src/actors/drivers/index.js';
import { PULSE_HEADER, PULSE_INSTRUCTION } from '../../src/workspace/index.js';
import { FakeOpenClaw } from '../support/fake-openclaw.js';
import { RecordingDriver } from '../support/recording-driver.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * The OpenClaw driver through the whole runtime, against the protocol-4 gateway double: a pulse
 * arrives as one `agent` turn carrying the filled System Pulse Template (SPEC §4), and a
 * destroyed instance's OpenClaw agent (one per soul) is deleted only with the soul's last live
 * instance on that driver — a fact read from the store, so it also holds after a restart.
 */
const TOKEN = 'gateway-test-token';
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startGateway(): Promise<FakeOpenClaw> {
  const gateway = await FakeOpenClaw.start({ token: TOKEN, agents: [] });
  cleanups.push(() => gateway.stop());
  return gateway;
}

/** A runtime whose `openclaw` driver is a fresh OpenClawDriver (no memory of earlier runs), and a `recording` one. */
async function boot(gateway: FakeOpenClaw, dir?: string): Promise<RuntimeFixture> {
  const openclaw = new OpenClawDriver({ url: gateway.url, token: TOKEN, connectTimeoutMs: 3_000, requestTimeoutMs: 3_000, reconnect: { baseDelayMs: 20, maxDelayMs: 200 } });
  const drivers = new Map<string, AgentDriver>([
    ['openclaw', withResilience(openclaw, { retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 50, maxTotalMs: 2_000 } })],
    ['recording', new RecordingDriver('recording')],
  ]);
  const f = await openRuntime({ drivers, scheduling: false, groupCommit: { maxDelayMs: 1 } }, dir);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await f.close();
    await openclaw.close();
  };
  cleanups.push(async () => {
    await close();
    await f.dispose();
  });
  return { ...f, close };
}

async function waitFor(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('OpenClaw driver through the runtime', () => {
  it('delivers pulse_now as an agent turn with the filled System Pulse Template, keyed by the pulse id in the instance session', async () => {
    const gateway = await startGateway();
    const f = await boot(gateway);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    await f.exec('project.init', { project_name: 'Vanguard', project_id: 'vanguard', base_id: ['shuri'], settings: { driver: 'openclaw' } });
    await f.exec('task.create', { project_id: 'vanguard', title: 'Wire the reactor', assignee_id: 'shuri' });
    const shuri = agentBy('shuri', 'vanguard');
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }, shuri);
    await f.exec('control.log_event', { task_id: 'vanguard-1', thought: 'the coupling is loose', action: 'tightening it' }, shuri);
    await f.rt.settled();
    expect(gateway.agents.has('shuri')).toBe(true); // created with the instance

    await f.exec('agent.pulse_now', { instance_id: 'shuri:vanguard' });
    await waitFor(() => gateway.requestsFor('agent').length === 1, 'the agent request');
    const pulse = f.store.db.prepare("SELECT id FROM pulses WHERE instance_id = 'shuri:vanguard'").get() as { id: string };

    const [request] = gateway.requestsFor('agent');
    expect(request).toMatchObject({ agentId: 'shuri', sessionKey: 'agent:shuri:mc-vanguard', idempotencyKey: pulse.id });
    const message = String(request!.message);
    const lines = message.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      PULSE_HEADER,
      '- Current Project: vanguard',
      `- Current Path: ${join(f.dir, 'projects', 'vanguard')}/`,
      '- Active Task: Wire the reactor (ID: vanguard-1)',
    ]);
    expect(lines[4]).toMatch(/^- Last Learned Context: /);
    expect(lines[5]).toMatch(/^- Internal Team Notes: /);
    expect(message).toContain('shuri:vanguard: the coupling is loose → tightening it');
    expect(message).toContain(`\n${PULSE_INSTRUCTION}\n`);
    expect(message).toContain(`\nPulse ID: ${pulse.id}\n`);

    // The run's reply is the pulse's output: it lands in the daily log.
    await waitFor(() => (f.store.db.prepare('SELECT status FROM pulses WHERE id = ?').get(pulse.id) as { status: string }).status === 'ok', 'the pulse to finish');
    await f.rt.settled();
    const dailyDir = join(f.dir, 'projects', 'vanguard', 'daily');
    const daily = readdirSync(dailyDir).map((name) => readFileSync(join(dailyDir, name), 'utf8')).join('\n');
    expect(daily).toContain(
      `pulse ${pulse.id}: ok\n\n    Pulse received (${message.length} chars).\n`,
    );
  });

  it("deletes the soul's OpenClaw agent only with its last live instance on the driver, also after a restart", async () => {
    const gateway = await startGateway();
    const f = await boot(gateway);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    for (const project of ['vanguard', 'atlas', 'borealis']) {
      await f.exec('project.init', { project_name: project, project_id: project, base_id: ['shuri'], settings: { driver: 'openclaw' } });
    }
    // An instance on another driver does not keep the OpenClaw agent alive.
    await f.exec('project.init', { project_name: 'dojo', project_id: 'dojo', base_id: ['shuri'], settings: { driver: 'recording' } });
    await f.rt.settled();
    expect(gateway.requestsFor('agents.create')).toHaveLength(1);

    await f.exec('agent.destroy', { instance_id: 'shuri:vanguard' });
    await f.rt.settled();
    expect(gateway.requestsFor('sessions.delete')).toEqual([{ key: 'agent:shuri:mc-vanguard' }]);
    expect(gateway.requestsFor('agents.delete')).toEqual([]);

    // A restart: a new driver that has not seen atlas or borealis pulse.
    await f.close();
    const g = await boot(gateway, f.dir);
    await g.exec('agent.destroy', { instance_id: 'shuri:atlas' });
    await g.rt.settled();
    expect(gateway.requestsFor('sessions.delete')).toEqual([{ key: 'agent:shuri:mc-vanguard' }, { key: 'agent:shuri:mc-atlas' }]);
    expect(gateway.requestsFor('agents.delete')).toEqual([]);
    expect(gateway.agents.has('shuri')).toBe(true);

    await g.exec('agent.destroy', { instance_id: 'shuri:borealis' });
    await g.rt.settled();
    expect(gateway.requestsFor('agents.delete')).toEqual([{ agentId: 'shuri', deleteFiles: false }]);
    expect(gateway.agents.has('shuri')).toBe(false);
    expect(g.rt.repos.agents.get('shuri:dojo')!.state).not.toBe('destroyed');
  });
});
