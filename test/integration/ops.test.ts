import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type DriverPort } from '../../src/gateway/index.js';
import { openStore } from '../../src/store/index.js';
import { ok, startHarness, TEST_LIMITS, type Harness } from './rpc-harness.js';

/** /healthz, /readyz (per component, 503 naming the failing one), /metrics, /api/tools, alert rules. */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: 'shuri', name: 'Shuri' }));
  ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'Ops', project_id: 'ops', base_id: ['shuri'] }));
  ok(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'ops', title: 'a' }));
  await h.rpc(h.adminToken, 'mission.task.get', { task_id: 'ops-999' });
});

afterAll(async () => {
  await h.close();
});

describe('health', () => {
  it('answers /healthz and /readyz when store and bus are fine', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, failing: [] });
  });

  it('answers 503 naming the failing component: a driver with an open breaker, a disconnected bus', async () => {
    let breaker = 'closed';
    const driver: DriverPort = { name: 'openclaw', health: () => ({ ok: breaker === 'closed', state: breaker }) };
    let bus: 'connected' | 'reconnecting' | 'closed' = 'connected';
    const app = await createGateway({
      config: { limits: TEST_LIMITS },
      store: h.store,
      runtime: h.runtime,
      logger: pino({ level: 'silent' }),
      drivers: [driver],
      bus: { status: () => bus },
    });
    try {
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      breaker = 'open';
      const down = await app.inject({ url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ ok: false, failing: ['driver:openclaw'] });
      bus = 'reconnecting';
      const busDown = await app.inject({ url: '/readyz' });
      expect(busDown.statusCode).toBe(503);
      expect(busDown.json().failing).toEqual(['bus', 'driver:openclaw']);
      const metrics = (await app.inject({ url: '/metrics' })).body;
      expect(metrics).toContain('mc_driver_breaker_state{driver="openclaw",state="open"} 1');
      expect(metrics).toContain('mc_bus_status{status="reconnecting"} 1');
    } finally {
      await app.close();
    }
  });
});

describe('readiness of the store', () => {
  it('answers 503 naming the store when its database no longer answers (closed)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mc-ready-store-'));
    const store = await openStore({ dataDir });
    const app = await createGateway({ config: { limits: TEST_LIMITS }, store, runtime: h.runtime, logger: pino({ level: 'silent' }) });
    try {
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      store.close();
      const down = await app.inject({ url: '/readyz' });
      expect(down.statusCode).toBe(503);
      const body = down.json<{ ok: boolean; failing: string[]; components: { name: string; ok: boolean; state: string; message?: string }[] }>();
      expect(body).toMatchObject({ ok: false, failing: ['store'] });
      expect(body.components.find((c) => c.name === 'store')).toMatchObject({ ok: false, state: 'error', message: expect.stringMatching(/not open/) });
      // The process itself still answers: liveness is not readiness.
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('metrics', () => {
  it('exposes calls by method and code, latency, actors by state, feed clients and pulses', async () => {
    const res = await fetch(`${h.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/mc_rpc_requests_total\{method="mission.task.create",code="ok"\} [1-9]/);
    expect(text).toMatch(/mc_rpc_requests_total\{method="mission.task.get",code="NOT_FOUND"\} 1/);
    expect(text).toContain('mc_rpc_duration_seconds_bucket');
    expect(text).toMatch(/mc_actors\{kind="task",state="backlog"\} 1/);
    expect(text).toMatch(/mc_actors\{kind="agent",state="[a-z]+"\} 1/);
    expect(text).toContain('mc_feed_clients 0');
    expect(text).toContain('mc_deadman_expiries_total 0');
    expect(text).toContain('# TYPE mc_pulses_total counter');
  });
});

describe('tool manifest', () => {
  it('serves the OpenAI function definitions at GET /api/tools', async () => {
    const res = await fetch(`${h.url}/api/tools`);
    const { tools } = (await res.json()) as { tools: { type: string; function: { name: string; parameters: { required?: string[] } } }[] };
    const logEvent = tools.find((t) => t.function.name === 'log_event');
    expect(logEvent?.type).toBe('function');
    expect(logEvent?.function.parameters.required?.slice().sort()).toEqual(['action', 'thought']);
  });
});

describe('web app', () => {
  it('serves the built app, its client routes, and keeps API 404s', async () => {
    const web = mkdtempSync(join(tmpdir(), 'mc-web-'));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Mission Control</title>');
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'assets', 'main-abc123.js'), 'export {};');
    const app = await createGateway({ config: { limits: TEST_LIMITS }, store: h.store, runtime: h.runtime, logger: pino({ level: 'silent' }), webRoot: web });
    try {
      expect((await app.inject({ url: '/' })).body).toContain('Mission Control');
      const route = await app.inject({ url: '/p/ops' });
      expect(route.statusCode).toBe(200);
      expect(route.body).toContain('Mission Control');
      expect(route.headers['content-security-policy']).toContain("default-src 'self'");
      expect((await app.inject({ url: '/api/nope' })).statusCode).toBe(404);
      // Hashed assets are cached for good, the page never; a chunk of another build is a 404,
      // not the page served as a script.
      const asset = await app.inject({ url: '/assets/main-abc123.js' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
      expect((await app.inject({ url: '/' })).headers['cache-control']).toBe('no-cache');
      expect(route.headers['cache-control']).toBe('no-cache');
      const stale = await app.inject({ url: '/assets/main-old999.js' });
      expect(stale.statusCode).toBe(404);
      expect(stale.headers['content-type']).not.toContain('text/html');
      expect((await app.inject({ url: '/favicon.ico' })).statusCode).toBe(404);
      // A document route ends in .md, and is still the app's.
      const doc = await app.inject({ url: '/p/ops/docs/KANBAN.md' });
      expect(doc.statusCode).toBe(200);
      expect(doc.body).toContain('Mission Control');
    } finally {
      await app.close();
      rmSync(web, { recursive: true, force: true });
    }
  });
});

describe('alert rules', () => {
  it('ship as Prometheus rules over metrics the server exports', async () => {
    const rules = readFileSync(new URL('../../ops/alerts.yml', import.meta.url), 'utf8');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    const used = new Set([...rules.matchAll(/\b(mc_[a-z_]+)\b/g)].map((m) => m[1]!.replace(/_bucket$/, '')));
    expect(used.size).toBeGreaterThan(4);
    for (const name of used) expect(metrics, name).toContain(`# TYPE ${name} `);
  });
});
