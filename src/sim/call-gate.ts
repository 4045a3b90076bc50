import { MissionError } from '../core/index.js';

/** A mission method call of a simulated agent, held until the simulation releases it. */
export interface ParkedCall {
  instanceId: string;
  /** The deterministic id of the pulse making the call. */
  pulse: string;
  name: string;
  params: Record<string, unknown>;
  token: string;
  incarnation: number;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** Reads never change anything; every other method is side-effecting and carries a key. */
export function isQuery(method: string): boolean {
  return /\.(list|get)$/.test(method);
}

/**
 * The agents' side of the gateway path, under the simulation's control: every call parks here
 * and runs only when the simulation releases it, so the interleaving of concurrent pulses is a
 * function of the seed, not of the event loop. A pulse the runtime aborted has its parked calls
 * refused (its process is gone); calls of a crashed incarnation are dropped, never answered.
 */
export class CallGate {
  private parked: ParkedCall[] = [];
  private readonly cancelled = new Set<string>();
  /** pulse credential → deterministic pulse id (the credential names the pulse, as on the wire). */
  readonly pulseOfToken = new Map<string, string>();
  private nextKey = 0;

  constructor(
    private readonly keyPrefix: string,
    private readonly incarnation: () => number,
  ) {}

  /** The `callMethod` handed to the SimulatedDriver. */
  readonly call = (name: string, params: Record<string, unknown>, context: { instanceId: string; token?: string }): Promise<unknown> => {
    const token = context.token ?? '';
    const pulse = this.pulseOfToken.get(token) ?? 'unknown';
    if (this.cancelled.has(pulse)) return Promise.reject(new MissionError('UNAUTHENTICATED', `pulse ${pulse} is over`));
    const keyed = isQuery(name) ? params : { ...params, idempotency_key: `${this.keyPrefix}-a${++this.nextKey}` };
    return new Promise((resolve, reject) => {
      this.parked.push({ instanceId: context.instanceId, pulse, name, params: keyed, token, incarnation: this.incarnation(), resolve, reject });
    });
  };

  /** Parked calls of the live incarnation, in a stable order (instance, then arrival within it). */
  waiting(): ParkedCall[] {
    const now = this.incarnation();
    const live = this.parked.filter((c) => c.incarnation === now);
    const order = new Map(live.map((c, i) => [c, i]));
    return live.sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : order.get(a)! - order.get(b)!));
  }

  take(call: ParkedCall): void {
    this.parked = this.parked.filter((c) => c !== call);
  }

  /** The pulse ended (timeout, deadman, abort): its agent process is gone with it. */
  cancelPulse(pulse: string): void {
    this.cancelled.add(pulse);
    for (const c of this.parked.filter((p) => p.pulse === pulse)) {
      this.take(c);
      c.reject(new MissionError('UNAUTHENTICATED', `pulse ${pulse} was aborted`));
    }
  }

  /** A crash: calls of dead incarnations vanish unanswered. */
  dropDead(): number {
    const now = this.incarnation();
    const dead = this.parked.filter((c) => c.incarnation !== now);
    this.parked = this.parked.filter((c) => c.incarnation === now);
    return dead.length;
  }
}
