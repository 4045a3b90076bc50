import type { AgentDriver, DriverHealth, InstanceRef, PulseOutcome, PulseRequest } from '../../src/actors/drivers/types.js';

export interface Delivery {
  instanceId: string;
  pulseId: string;
  prompt: string;
}

/**
 * An agent runtime that acknowledges each pulse (optionally after a hold) and remembers what it
 * was given: the agent side of scheduling tests, where what matters is when pulses arrive.
 */
export class RecordingDriver implements AgentDriver {
  readonly name: string;
  readonly deliveries: Delivery[] = [];
  /** Set to keep pulses in flight until released (or aborted). */
  hold = false;
  private readonly waiting: { resolve: (o: PulseOutcome) => void; signal: AbortSignal }[] = [];

  constructor(name = 'simulated') {
    this.name = name;
  }

  deliverPulse(instance: InstanceRef, prompt: string, request: PulseRequest): Promise<PulseOutcome> {
    this.deliveries.push({ instanceId: instance.id, pulseId: request.pulseId, prompt });
    if (!this.hold) return Promise.resolve({ status: 'ok' });
    return new Promise((resolve) => {
      this.waiting.push({ resolve, signal: request.signal });
      request.signal.addEventListener('abort', () => resolve({ status: 'aborted' }), { once: true });
    });
  }

  release(): void {
    for (const w of this.waiting.splice(0)) w.resolve({ status: 'ok' });
  }

  abort(): Promise<void> {
    return Promise.resolve();
  }

  health(): DriverHealth {
    return { ok: true, state: 'closed' };
  }
}
