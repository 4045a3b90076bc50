import type { Bus, BusSubscription } from '../actors/index.js';
import { isMissionError } from '../core/index.js';
import type { HealthReport } from '../gateway/index.js';

/**
 * Whether the runtime process answers over NATS, for a gateway's /readyz. The runtime answers
 * requests on `mc.sys.runtime.ping` (one queue group, like the command subjects); a gateway
 * asks at most once per `cacheMs` so a probe storm costs one request.
 */
export const RUNTIME_PING_SUBJECT = 'mc.sys.runtime.ping';
const QUEUE = 'mc-runtime';

export interface RuntimePong {
  ok: true;
  version: string;
  started_at: number;
}

/** The runtime side: answers pings while it serves commands. */
export function answerRuntimePings(bus: Bus, pong: RuntimePong): BusSubscription {
  return bus.subscribe(RUNTIME_PING_SUBJECT, (msg) => msg.respond?.(JSON.stringify(pong)), { queue: QUEUE });
}

/** The gateway side: a cached probe, as a /readyz component. */
export class RuntimeProbe {
  readonly name = 'runtime';
  private last: { at: number; report: HealthReport } | null = null;
  private inFlight: Promise<HealthReport> | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly opts: { timeoutMs?: number; cacheMs?: number; now?: () => number } = {},
  ) {}

  check(): Promise<HealthReport> {
    const now = (this.opts.now ?? Date.now)();
    if (this.last && now - this.last.at < (this.opts.cacheMs ?? 1_000)) return Promise.resolve(this.last.report);
    this.inFlight ??= this.ask().then((report) => {
      this.last = { at: (this.opts.now ?? Date.now)(), report };
      this.inFlight = null;
      return report;
    });
    return this.inFlight;
  }

  private async ask(): Promise<HealthReport> {
    const timeoutMs = this.opts.timeoutMs ?? 1_000;
    try {
      const reply = await this.bus.request(RUNTIME_PING_SUBJECT, '{}', { timeoutMs });
      const pong = reply.json<Partial<RuntimePong>>();
      return pong.ok === true ? { ok: true, state: 'reachable', message: `runtime ${pong.version ?? '?'}` } : { ok: false, state: 'malformed' };
    } catch (err) {
      const code = isMissionError(err) ? err.code : 'ERROR';
      const message = err instanceof Error ? err.message : String(err);
      return { ok: false, state: code === 'TIMEOUT' ? 'timeout' : 'unreachable', message };
    }
  }
}
