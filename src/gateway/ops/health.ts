import type { FastifyInstance } from 'fastify';
import type { QueriesRepo } from '../../store/index.js';
import type { BusPort, DriverPort, ReadinessCheck } from '../deps.js';
import type { GatewayMetrics } from './metrics.js';

export interface HealthOptions {
  queries: QueriesRepo;
  bus: BusPort | undefined;
  drivers: DriverPort[];
  metrics: GatewayMetrics;
  readiness?: ReadinessCheck[];
}

interface Component {
  name: string;
  ok: boolean;
  state: string;
  message?: string;
}

function check(name: string, fn: () => { ok: boolean; state: string; message?: string }): Component {
  try {
    return { name, ...fn() };
  } catch (err) {
    return { name, ok: false, state: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

/** `/healthz` (the process answers), `/readyz` (store, bus, drivers' breakers), `/metrics`. */
export async function opsPlugin(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const components: Component[] = [
      check('store', () => ({ ok: opts.queries.ping(), state: 'ok' })),
      check('bus', () => {
        const state = opts.bus?.status() ?? 'connected';
        return { ok: state === 'connected', state };
      }),
      ...opts.drivers.map((d) =>
        check(`driver:${d.name}`, () => {
          const h = d.health();
          // A degraded driver still delivers pulses; only an open breaker makes the node unready.
          return { ok: h.ok || h.state === 'degraded', state: h.state, ...(h.message ? { message: h.message } : {}) };
        }),
      ),
      ...(await Promise.all(
        (opts.readiness ?? []).map(async (r): Promise<Component> => {
          try {
            return { name: r.name, ...(await r.check()) };
          } catch (err) {
            return { name: r.name, ok: false, state: 'error', message: err instanceof Error ? err.message : String(err) };
          }
        }),
      )),
    ];
    const failing = components.filter((c) => !c.ok).map((c) => c.name);
    return reply.code(failing.length === 0 ? 200 : 503).send({ ok: failing.length === 0, failing, components });
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await opts.metrics.registry.metrics();
    return reply.header('content-type', opts.metrics.registry.contentType).send(text);
  });
}
