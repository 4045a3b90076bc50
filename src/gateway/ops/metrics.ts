import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { statusName, type CommittedEvent } from '../../core/index.js';
import type { QueriesRepo } from '../../store/index.js';
import type { BusPort, DriverPort } from '../deps.js';

export interface MetricsSources {
  queries: QueriesRepo;
  feedClients: () => number;
  bus: BusPort | undefined;
  drivers: DriverPort[];
}

const BREAKER_STATES = ['closed', 'half-open', 'open', 'degraded'] as const;
const BUS_STATES = ['connected', 'reconnecting', 'closed'] as const;

/**
 * Prometheus metrics of one gateway (own Registry: no global state). Request counters are
 * updated per call; gauges that reflect the store are read at scrape time.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<'method' | 'code'>;
  private readonly latency: Histogram<'method'>;
  private readonly pulses: Counter<'outcome'>;
  private readonly deadman: Counter;

  constructor(sources: MetricsSources) {
    const registry = this.registry;
    this.calls = new Counter({ name: 'mc_rpc_requests_total', help: 'Mission method calls by method and result code', labelNames: ['method', 'code'], registers: [registry] });
    this.latency = new Histogram({
      name: 'mc_rpc_duration_seconds',
      help: 'Mission method latency',
      labelNames: ['method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    new Gauge({
      name: 'mc_actors',
      help: 'Actors by kind and state (agents by state, tasks by status)',
      labelNames: ['kind', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of sources.queries.countAgentsByState()) this.set({ kind: 'agent', state: r.state }, r.n);
        for (const r of sources.queries.countTasksByStatus()) this.set({ kind: 'task', state: statusName(r.status) }, r.n);
      },
    });
    // Counted from committed events (not by scanning the log at each scrape).
    this.pulses = new Counter({ name: 'mc_pulses_total', help: 'Finished pulses by outcome (ok, failed, timeout, aborted)', labelNames: ['outcome'], registers: [registry] });
    this.deadman = new Counter({ name: 'mc_deadman_expiries_total', help: 'Tasks taken back by the deadman switch', registers: [registry] });
    new Gauge({ name: 'mc_feed_clients', help: 'Connected WebSocket clients', registers: [registry], collect() { this.set(sources.feedClients()); } });
    new Gauge({
      name: 'mc_bus_status',
      help: 'Message bus status (1 for the current one)',
      labelNames: ['status'],
      registers: [registry],
      collect() {
        const current = sources.bus?.status() ?? 'connected';
        for (const s of BUS_STATES) this.set({ status: s }, s === current ? 1 : 0);
      },
    });
    new Gauge({
      name: 'mc_driver_breaker_state',
      help: "Agent drivers' circuit breaker state (1 for the current one)",
      labelNames: ['driver', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const d of sources.drivers) {
          const current = d.health().state;
          for (const s of BREAKER_STATES) this.set({ driver: d.name, state: s }, s === current ? 1 : 0);
        }
      },
    });
  }

  /** Feeds the event counters from `runtime.onCommitted`. */
  observeCommitted(events: readonly CommittedEvent[]): void {
    for (const e of events) {
      if (e.type === 'agent.pulse_finished') this.pulses.inc({ outcome: String(e.payload.detail?.outcome ?? 'unknown') });
      else if (e.type === 'task.deadman_expired') this.deadman.inc();
    }
  }

  countCall(method: string, code: string, ms: number): void {
    this.calls.inc({ method, code });
    this.latency.observe({ method }, ms / 1000);
  }
}
