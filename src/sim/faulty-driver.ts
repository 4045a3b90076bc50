import type { AgentDriver, DriverHealth, InstanceRef, PulseOutcome, PulseRequest } from '../actors/index.js';

/** What the next pulse of an instance suffers (armed by the simulation from the seed). */
export type DriverFault = 'hang' | 'fail' | 'throw';

/**
 * The agent runtime as the simulation sees it: the SimulatedDriver's scripted squad behind
 * deterministic pulse ids (the runtime's are random UUIDs; the brain's PRNG is keyed by the id),
 * plus injected faults: a run that hangs until the runtime aborts it, a run that fails, a driver
 * that throws. An abort also ends the pulse's parked calls (the agent process is gone).
 */
export class FaultyDriver implements AgentDriver {
  readonly name = 'simulated';
  private readonly faults = new Map<string, DriverFault>();

  constructor(
    private readonly inner: AgentDriver,
    private readonly pulseIdOf: (instanceId: string, realPulseId: string) => string,
    private readonly onAbort: (pulse: string) => void,
    private readonly record: (line: string) => void,
  ) {}

  arm(instanceId: string, fault: DriverFault): void {
    this.faults.set(instanceId, fault);
  }

  async deliverPulse(instance: InstanceRef, prompt: string, request: PulseRequest): Promise<PulseOutcome> {
    const pulse = this.pulseIdOf(instance.id, request.pulseId);
    const fault = this.faults.get(instance.id);
    this.faults.delete(instance.id);
    const aborted = new Promise<void>((resolve) => {
      if (request.signal.aborted) return resolve();
      request.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    void aborted.then(() => this.onAbort(pulse));
    this.record(`deliver ${pulse}${fault ? ` fault=${fault}` : ''}`);
    if (fault === 'hang') {
      await aborted;
      return { status: 'aborted' };
    }
    if (fault === 'fail') return { status: 'failed', error: { code: 'DRIVER_RUN_FAILED', message: 'simulated run failure', transient: false } };
    if (fault === 'throw') throw new Error('simulated driver crash');
    return this.inner.deliverPulse(instance, prompt, { ...request, pulseId: pulse });
  }

  abort(instance: InstanceRef): Promise<void> {
    return this.inner.abort(instance);
  }

  health(): DriverHealth {
    return this.inner.health();
  }
}
