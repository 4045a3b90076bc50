import { afterEach, describe, expect, it } from 'vitest';
import { OpenClawDriver } from '../../src/actors/drivers/openclaw/index.js';
import { withResilience } from '../../src/actors/drivers/resilient.js';
import type { InstanceRef, PulseRequest } from '../../src/actors/drivers/types.js';
import { FakeOpenClaw, RECORDED_METHODS, type FakeOpenClawOptions } from '../support/fake-openclaw.js';

const TOKEN = 'gateway-test-token';
const shuri: InstanceRef = { id: 'shuri:vanguard', soulId: 'shuri', projectId: 'vanguard', soulVersion: 1 };
const shuriElsewhere: InstanceRef = { id: 'shuri:atlas', soulId: 'shuri', projectId: 'atlas', soulVersion: 1 };
const cleanups: (() => Promise<void>)[] = [];

async function setup(options: { gateway?: FakeOpenClawOptions; token?: string; heartbeatMs?: number } = {}) {
  const gateway = await FakeOpenClaw.start({ agents: ['shuri'], ...(options.gateway ?? { token: TOKEN }) });
  const driver = new OpenClawDriver({
    url: gateway.url,
    token: options.token ?? TOKEN,
    connectTimeoutMs: 3_000,
    requestTimeoutMs: 3_000,
    reconnect: { baseDelayMs: 20, maxDelayMs: 200 },
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  cleanups.push(async () => {
    await driver.close();
    await gateway.stop();
  });
  return { gateway, driver };
}

const pulse = (pulseId: string, timeoutMs = 5_000, signal = new AbortController().signal): PulseRequest => ({ pulseId, timeoutMs, signal });

async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('OpenClaw driver against a protocol-4 gateway double', () => {
  it('handshakes as a backend operator client with the three scopes, tool events and the token', async () => {
    const { gateway, driver } = await setup();
    await waitFor(() => driver.health().state === 'connected');
    const [connect] = gateway.requestsFor('connect');
    // DESIGN "Agent drivers": the connect params a 2026.9.6 gateway accepts, nothing more.
    expect(connect).toEqual({
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: 'gateway-client', version: expect.any(String), platform: 'linux', mode: 'backend' },
      role: 'operator',
      scopes: ['operator.read', 'operator.write', 'operator.admin'],
      caps: ['tool-events'],
      auth: { token: TOKEN },
    });
    expect(driver.health()).toMatchObject({ ok: true, state: 'connected' });
  });

  it('delivers a pulse as one agent turn in the instance session and waits for it', async () => {
    const { gateway, driver } = await setup();
    const prompt = '[SYSTEM STATUS UPDATE]\n- Current Project: vanguard\nINSTRUCTION: Update your status via log_event';
    const outcome = await driver.deliverPulse(shuri, prompt, pulse('pulse-001'));
    expect(outcome).toEqual({ status: 'ok', output: `Pulse received (${prompt.length} chars).` });
    expect(gateway.requestsFor('agent')).toEqual([{ message: prompt, agentId: 'shuri', sessionKey: 'agent:shuri:mc-vanguard', idempotencyKey: 'pulse-001' }]);
    expect(gateway.requestsFor('agent.wait')[0]).toMatchObject({ runId: 'pulse-001' });
  });

  it('a retried pulse (same pulseId) joins the first run instead of starting a second', async () => {
    const { gateway, driver } = await setup({ gateway: { token: TOKEN, runDurationMs: 200 } });
    const [a, b] = await Promise.all([driver.deliverPulse(shuri, 'p', pulse('pulse-dup')), driver.deliverPulse(shuri, 'p', pulse('pulse-dup'))]);
    const c = await driver.deliverPulse(shuri, 'p', pulse('pulse-dup'));
    expect([a.status, b.status, c.status]).toEqual(['ok', 'ok', 'ok']);
    expect(gateway.requestsFor('agent')).toHaveLength(3);
    expect(gateway.runCount()).toBe(1);
  });

  it('a pulse that outlives its timeout is cancelled with sessions.abort {key}', async () => {
    const { gateway, driver } = await setup({ gateway: { token: TOKEN, runDurationMs: Infinity } });
    const started = Date.now();
    const outcome = await driver.deliverPulse(shuri, 'long job', pulse('pulse-slow', 400));
    expect(outcome.status).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(gateway.requestsFor('sessions.abort')).toEqual([{ key: 'agent:shuri:mc-vanguard' }]);
  });

  it('the abort signal (deadman) cancels the run and reports aborted', async () => {
    const { gateway, driver } = await setup({ gateway: { token: TOKEN, runDurationMs: Infinity } });
    const controller = new AbortController();
    const pending = driver.deliverPulse(shuri, 'x', pulse('pulse-deadman', 30_000, controller.signal));
    await waitFor(() => gateway.requestsFor('agent.wait').length === 1);
    controller.abort();
    await expect(pending).resolves.toEqual({ status: 'aborted' });
    expect(gateway.requestsFor('sessions.abort')).toEqual([{ key: 'agent:shuri:mc-vanguard' }]);
  });

  it('retries a starting gateway (UNAVAILABLE with retryAfterMs) and then delivers', async () => {
    const { gateway, driver } = await setup({ gateway: { token: TOKEN, unavailableConnects: 3, retryAfterMs: 40 } });
    const outcome = await driver.deliverPulse(shuri, 'x', pulse('pulse-early'));
    expect(outcome.status).toBe('ok');
    expect(gateway.connectAttempts).toBe(4);
  });

  it('recovers from a gateway restart: reconnects and the next pulse works', async () => {
    const { gateway, driver } = await setup();
    expect((await driver.deliverPulse(shuri, 'x', pulse('before'))).status).toBe('ok');
    await gateway.restart({ downMs: 150, unavailableConnects: 1 });
    const resilient = withResilience(driver, { retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 300, maxTotalMs: 5_000 } });
    expect((await resilient.deliverPulse(shuri, 'x', pulse('after'))).status).toBe('ok');
    expect(driver.health()).toMatchObject({ ok: true, state: 'connected' });
    expect(gateway.connectAttempts).toBeGreaterThanOrEqual(3);
  });

  it('a pulse in flight when the gateway restarts is retried with the same key and completes', async () => {
    const { gateway, driver } = await setup({ gateway: { token: TOKEN, runDurationMs: 300 } });
    const resilient = withResilience(driver, { retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 300, maxTotalMs: 8_000 } });
    const pending = resilient.deliverPulse(shuri, 'x', pulse('pulse-crossing', 8_000));
    await waitFor(() => gateway.requestsFor('agent.wait').length === 1);
    await gateway.restart({ downMs: 100 });
    await expect(pending).resolves.toMatchObject({ status: 'ok' });
    expect(gateway.requestsFor('agent').map((p) => p.idempotencyKey)).toEqual(['pulse-crossing', 'pulse-crossing']);
    expect(resilient.metrics().retries).toBeGreaterThanOrEqual(1);
  });

  it('drops a connection that stops answering pings and reconnects', async () => {
    const { gateway, driver } = await setup({ heartbeatMs: 100 });
    await waitFor(() => driver.health().state === 'connected');
    gateway.freeze();
    await waitFor(() => gateway.connectAttempts >= 2, 3_000);
    await waitFor(() => driver.health().state === 'connected');
    expect((await driver.deliverPulse(shuri, 'x', pulse('after-freeze'))).status).toBe('ok');
  });

  it('an unreachable gateway opens the circuit; pulses are refused at once; a probe closes it when the gateway is back', async () => {
    const { gateway, driver } = await setup();
    const resilient = withResilience(driver, { retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxTotalMs: 0 }, breaker: { failureThreshold: 2, cooldownMs: 400 } });
    await waitFor(() => driver.health().state === 'connected');
    await gateway.stop();
    for (const id of ['down-1', 'down-2']) {
      expect(await resilient.deliverPulse(shuri, 'x', pulse(id, 300))).toMatchObject({ status: 'failed', error: { code: 'DRIVER_UNAVAILABLE', transient: true } });
    }
    expect(resilient.health()).toMatchObject({ ok: false, state: 'open' });
    const started = Date.now();
    expect(await resilient.deliverPulse(shuri, 'x', pulse('refused', 300))).toMatchObject({ status: 'failed', error: { code: 'DRIVER_UNAVAILABLE' } });
    expect(Date.now() - started).toBeLessThan(100); // refused by the breaker, not after a connect timeout
    await gateway.restart();
    await waitFor(() => driver.health().state === 'connected');
    await new Promise((r) => setTimeout(r, 450));
    expect(await resilient.deliverPulse(shuri, 'x', pulse('probe'))).toMatchObject({ status: 'ok' });
    expect(resilient.health()).toMatchObject({ ok: true, state: 'closed' });
  });

  it('fails clearly on a wrong token, without a retry loop', async () => {
    const { gateway, driver } = await setup({ token: 'not-the-token' });
    const outcome = await driver.deliverPulse(shuri, 'x', pulse('pulse-auth'));
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'DRIVER_AUTH_FAILED', transient: false } });
    expect(driver.health()).toMatchObject({ ok: false, state: 'failed' });
    expect(driver.health().message).toContain('AUTH_TOKEN_MISMATCH');
    await new Promise((r) => setTimeout(r, 300));
    expect(gateway.connectAttempts).toBe(1);
  });

  it('degrades clearly when the gateway lacks agent and chat.send', async () => {
    const methods = RECORDED_METHODS.filter((m) => m !== 'agent' && m !== 'chat.send');
    const { gateway, driver } = await setup({ gateway: { token: TOKEN, methods } });
    const outcome = await driver.deliverPulse(shuri, 'x', pulse('pulse-degraded'));
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'DRIVER_DEGRADED', transient: false } });
    expect(driver.health()).toMatchObject({ ok: false, state: 'degraded' });
    expect(driver.health().message).toMatch(/'agent'.*'chat\.send'/);
    expect(gateway.runCount()).toBe(0);
  });

  it('falls back to chat.send when agent is missing, and says so in health', async () => {
    const methods = RECORDED_METHODS.filter((m) => m !== 'agent');
    const { gateway, driver } = await setup({ gateway: { token: TOKEN, methods } });
    const outcome = await driver.deliverPulse(shuri, 'hello', pulse('pulse-chat'));
    expect(outcome.status).toBe('ok');
    expect(gateway.requestsFor('chat.send')).toEqual([{ sessionKey: 'agent:shuri:mc-vanguard', message: 'hello', idempotencyKey: 'pulse-chat' }]);
    expect(driver.health()).toMatchObject({ ok: true, state: 'degraded' });
    expect(driver.health().message).toContain("'agent' (pulses use chat.send)");
  });

  it('completes from chat events when agent.wait is missing', async () => {
    const methods = RECORDED_METHODS.filter((m) => m !== 'agent.wait');
    const { driver } = await setup({ gateway: { token: TOKEN, methods } });
    const outcome = await driver.deliverPulse(shuri, 'hi', pulse('pulse-events'));
    expect(outcome).toEqual({ status: 'ok', output: 'Pulse received (2 chars).' });
  });

  it('installs SOUL.md on create, resets the session on upgrade, deletes the agent when the runtime says no other instance is left', async () => {
    const { gateway, driver } = await setup({ gateway: { token: TOKEN, agents: [], reloadDelayMs: 300 } });
    await driver.instanceCreated(shuri, '# Shuri\nBuilds things.');
    expect(gateway.requestsFor('agents.create')).toEqual([{ name: 'shuri', workspace: '~/.openclaw/workspace-mc-shuri' }]);
    expect(gateway.agents.get('shuri')?.files.get('SOUL.md')).toBe('# Shuri\nBuilds things.');

    await driver.instanceCreated(shuriElsewhere, '# Shuri\nBuilds things.');
    expect(gateway.requestsFor('agents.create')).toHaveLength(1); // one OpenClaw agent per soul

    await driver.instanceUpgraded(shuri, '# Shuri v2');
    expect(gateway.agents.get('shuri')?.files.get('SOUL.md')).toBe('# Shuri v2');
    expect(gateway.requestsFor('sessions.reset')).toEqual([{ key: 'agent:shuri:mc-vanguard', reason: 'reset' }]);

    await driver.instanceDestroyed(shuriElsewhere, { otherInstancesOfSoul: 1 });
    expect(gateway.agents.has('shuri')).toBe(true);
    expect(gateway.requestsFor('sessions.delete')).toEqual([{ key: 'agent:shuri:mc-atlas' }]);

    await driver.instanceDestroyed(shuri, { otherInstancesOfSoul: 0 });
    expect(gateway.requestsFor('agents.delete')).toEqual([{ agentId: 'shuri', deleteFiles: false }]);
    await waitFor(() => !gateway.agents.has('shuri'));
    // A repeated destroy (e.g. after a restart) finds the agent gone and still succeeds.
    await expect(driver.instanceDestroyed(shuri, { otherInstancesOfSoul: 0 })).resolves.toBeUndefined();
  });
});
