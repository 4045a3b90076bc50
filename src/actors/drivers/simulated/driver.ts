import type { AgentDriver, DriverHealth, InstanceRef, PulseOutcome, PulseRequest } from '../types.js';
import { PulseAborted, runPulse, type CallMethod } from './brain.js';
import { DEMO_PROJECT_ID, demoSquad, type PoolTask } from './demo-squad.js';
import { seededRng } from './prng.js';
import type { SquadMember } from './squad.js';

export interface SimulatedDriverOptions {
  /** The mission method path real agents use (the lead wires the gateway's in-process call). */
  callMethod: CallMethod;
  /** The souls instantiated in a project, with roles and skills (the lead needs them to assign). */
  roster: (projectId: string) => readonly SquadMember[] | Promise<readonly SquadMember[]>;
  /** The squad's seed; a pulse's choices depend only on it, the instance and the pulse id. */
  seed?: number;
  /** How many delivered pulse ids to remember for deduplication. */
  rememberPulses?: number;
  /**
   * Tasks a project's lead files when its backlog runs low. Default: the demo pool for the demo
   * project only, so `--demo` keeps moving and every other project gets only the work it is given.
   */
  taskPool?: (projectId: string) => readonly PoolTask[];
}

const DEMO_POOL: readonly PoolTask[] = demoSquad().pool;
const demoPoolOnly = (projectId: string): readonly PoolTask[] => (projectId === DEMO_PROJECT_ID ? DEMO_POOL : []);

/**
 * The simulated squad (SPEC §12): deterministic scripted agents behind the AgentDriver contract.
 * A redelivered pulse id returns the first delivery's outcome without acting twice (unless that
 * delivery was aborted or failed transiently, which a retry may run again).
 */
export class SimulatedDriver implements AgentDriver {
  readonly name = 'simulated';
  private readonly seed: number;
  private readonly remember: number;
  private readonly delivered = new Map<string, Promise<PulseOutcome>>();
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly options: SimulatedDriverOptions) {
    this.seed = options.seed ?? 1;
    this.remember = options.rememberPulses ?? 10_000;
  }

  deliverPulse(instance: InstanceRef, prompt: string, request: PulseRequest): Promise<PulseOutcome> {
    const key = `${instance.id}|${request.pulseId}`;
    const earlier = this.delivered.get(key);
    if (earlier) return earlier;
    const outcome = this.run(instance, prompt, request).then((result) => {
      // A transient failure or an abort may be retried with the same pulse id: let it run again.
      if (result.status === 'aborted' || (result.status === 'failed' && result.error.transient))
        this.delivered.delete(key);
      return result;
    });
    this.delivered.set(key, outcome);
    if (this.delivered.size > this.remember) this.delivered.delete(this.delivered.keys().next().value!);
    return outcome;
  }

  private async run(instance: InstanceRef, prompt: string, request: PulseRequest): Promise<PulseOutcome> {
    const controller = new AbortController();
    this.running.get(instance.id)?.abort();
    this.running.set(instance.id, controller);
    const signal = AbortSignal.any([controller.signal, request.signal]);
    try {
      const squad = await this.options.roster(instance.projectId);
      const log = await runPulse({
        instance,
        squad,
        rng: seededRng(this.seed, instance.id, request.pulseId),
        pool: (this.options.taskPool ?? demoPoolOnly)(instance.projectId),
        prompt,
        call: (name, params) =>
          this.options.callMethod(name, params, {
            instanceId: instance.id,
            ...(request.credentials ? { token: request.credentials.token } : {}),
          }),
        signal,
      });
      return { status: 'ok', output: log.join('\n') };
    } catch (err) {
      if (err instanceof PulseAborted || signal.aborted) return { status: 'aborted' };
      const code =
        typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
          ? err.code
          : 'INTERNAL';
      const severity =
        typeof err === 'object' && err !== null && 'severity' in err ? err.severity : undefined;
      const message = err instanceof Error ? err.message : String(err);
      return { status: 'failed', error: { code, message, transient: severity === 'transient' } };
    } finally {
      if (this.running.get(instance.id) === controller) this.running.delete(instance.id);
    }
  }

  abort(instance: InstanceRef): Promise<void> {
    this.running.get(instance.id)?.abort();
    return Promise.resolve();
  }

  health(): DriverHealth {
    return { ok: true, state: 'closed' };
  }
}
