import { describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { withResilience } from '../../src/actors/drivers/resilient.js';
import type { AgentDriver, DriverEvent, InstanceRef, PulseOutcome, PulseRequest } from '../../src/actors/drivers/types.js';

const instance: InstanceRef = { id: 'shuri:vanguard', soulId: 'shuri', projectId: 'vanguard', soulVersion: 1 };

/** A driver whose answers the test scripts, one per call; it records the pulse ids it saw. */
class ScriptedDriver implements AgentDriver {
  readonly name = 'scripted';
  readonly seen: string[] = [];
  constructor(private readonly script: (call: number, request: PulseRequest) => Promise<PulseOutcome>) {}
  async deliverPulse(_i: InstanceRef, _p: string, request: PulseRequest): Promise<PulseOutcome> {
    this.seen.push(request.pulseId);
    return this.script(this.seen.length, request);
  }
  async abort(): Promise<void> {
    throw new Error('abort exploded');
  }
  health() {
    return { ok: true, state: 'connected' };
  }
}

const transientFailure: PulseOutcome = { status: 'failed', error: { code: 'DRIVER_UNAVAILABLE', message: 'gateway down', transient: true } };
const agentFailure: PulseOutcome = { status: 'failed', error: { code: 'DRIVER_RUN_FAILED', message: 'exit 1', transient: false } };
const fastRetry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxTotalMs: 10_000 };
const request = (pulseId: string, timeoutMs = 5_000, signal = new AbortController().signal): PulseRequest => ({ pulseId, timeoutMs, signal });

describe('withResilience', () => {
  it('retries a transient failure with the same pulseId and returns the success', async () => {
    const inner = new ScriptedDriver(async (call) => (call < 3 ? transientFailure : { status: 'ok', output: 'done' }));
    const driver = withResilience(inner, { retry: fastRetry });
    const events: DriverEvent[] = [];
    driver.onEvent((e) => events.push(e));
    await expect(driver.deliverPulse(instance, 'wake up', request('p-1'))).resolves.toEqual({ status: 'ok', output: 'done' });
    expect(inner.seen).toEqual(['p-1', 'p-1', 'p-1']);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
    expect(driver.metrics()).toMatchObject({ retries: 2, pulses: { ok: 1, failed: 0 } });
  });

  it('does not retry a run the agent itself failed', async () => {
    const inner = new ScriptedDriver(async () => agentFailure);
    const driver = withResilience(inner, { retry: fastRetry });
    await expect(driver.deliverPulse(instance, 'x', request('p-2'))).resolves.toEqual(agentFailure);
    expect(inner.seen).toHaveLength(1);
  });

  it('turns a driver that throws into a failed outcome instead of a rejection', async () => {
    const inner = new ScriptedDriver(async () => {
      throw new TypeError('undefined is not a function');
    });
    const driver = withResilience(inner, { retry: fastRetry });
    const outcome = await driver.deliverPulse(instance, 'x', request('p-3'));
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'INTERNAL', transient: false } });
    await expect(driver.abort(instance)).resolves.toBeUndefined();
  });

  it('opens after N consecutive failures, refuses without calling the driver, probes after the cool-down, closes on success', async () => {
    let healthy = false;
    const inner = new ScriptedDriver(async () => (healthy ? { status: 'ok' } : transientFailure));
    const driver = withResilience(inner, { retry: { ...fastRetry, maxAttempts: 1 }, breaker: { failureThreshold: 3, cooldownMs: 150 } });
    const states: string[] = [];
    driver.onEvent((e) => e.type === 'breaker' && states.push(`${e.previous}->${e.state}`));
    for (let i = 0; i < 3; i++) await driver.deliverPulse(instance, 'x', request(`f-${i}`));
    expect(inner.seen).toHaveLength(3);
    expect(driver.health()).toMatchObject({ ok: false, state: 'open' });

    const refused = await driver.deliverPulse(instance, 'x', request('refused'));
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'DRIVER_UNAVAILABLE', transient: true } });
    expect(inner.seen).toHaveLength(3); // the driver was not called

    await new Promise((r) => setTimeout(r, 200));
    expect(driver.health().state).toBe('half-open');
    healthy = true;
    await expect(driver.deliverPulse(instance, 'x', request('probe'))).resolves.toEqual({ status: 'ok' });
    expect(driver.health()).toMatchObject({ ok: true, state: 'closed' });
    expect(states).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('a failed half-open probe opens the circuit again', async () => {
    const inner = new ScriptedDriver(async () => transientFailure);
    const driver = withResilience(inner, { retry: { ...fastRetry, maxAttempts: 1 }, breaker: { failureThreshold: 1, cooldownMs: 50 } });
    await driver.deliverPulse(instance, 'x', request('a'));
    expect(driver.health().state).toBe('open');
    await new Promise((r) => setTimeout(r, 80));
    await driver.deliverPulse(instance, 'x', request('probe'));
    expect(inner.seen).toEqual(['a', 'probe']);
    expect(driver.health().state).toBe('open');
  });

  it('stops retrying once the pulse is aborted and reports aborted', async () => {
    const controller = new AbortController();
    const inner = new ScriptedDriver(async () => transientFailure);
    const driver = withResilience(inner, { retry: { maxAttempts: 10, baseDelayMs: 5_000, maxDelayMs: 5_000, maxTotalMs: 60_000 }, random: () => 0.9 });
    setTimeout(() => controller.abort(), 30);
    const started = Date.now();
    await expect(driver.deliverPulse(instance, 'x', request('p-abort', 60_000, controller.signal))).resolves.toEqual({ status: 'aborted' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(inner.seen).toHaveLength(1);
  });

  it('lifecycle hooks retry transient errors and finally reject with a MissionError', async () => {
    let calls = 0;
    const inner = new ScriptedDriver(async () => ({ status: 'ok' }));
    const withHooks: AgentDriver = Object.assign(inner, {
      instanceDestroyed: async () => {
        calls++;
        throw new MissionError('DRIVER_UNAVAILABLE', 'socket closed');
      },
    });
    const driver = withResilience(withHooks, { retry: fastRetry });
    await expect(driver.instanceDestroyed!(instance, { otherInstancesOfSoul: 0 })).rejects.toMatchObject({ code: 'DRIVER_UNAVAILABLE' });
    expect(calls).toBe(3);
  });
});
