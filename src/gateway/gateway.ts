import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { projectSettingsSchema } from '../config/schema.js';
import { randomUUID } from 'node:crypto';
import { packageVersion } from '../config/index.js';
import { systemClock, type ProjectSettings } from '../core/index.js';
import { IdempotencyRepo, QueriesRepo } from '../store/index.js';
import { Accounts } from './auth/accounts.js';
import { CredentialResolver } from './auth/credentials.js';
import { RateLimiter } from './auth/rate-limit.js';
import { authRoutes } from './auth/routes.js';
import type { DriverPort, GatewayOptions } from './deps.js';
import { FeedHub } from './feed/hub.js';
import { wsPlugin } from './feed/ws.js';
import { toolManifest } from './manifest/tools.js';
import { mcpPlugin } from './mcp/http.js';
import { METHODS, MethodRegistry } from './methods/index.js';
import { pluginMethodDefs } from './methods/plugin.js';
import { opsPlugin } from './ops/health.js';
import { GatewayMetrics } from './ops/metrics.js';
import { addSecurityHeaders } from './ops/security-headers.js';
import { defaultMachines } from './registry/machines.js';
import type { Services } from './registry/method.js';
import { RpcDispatcher } from './rpc/dispatch.js';
import { httpRpcPlugin } from './rpc/http.js';

const DEFAULT_PROJECT_SETTINGS: ProjectSettings = projectSettingsSchema.parse({});
const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000;

/** Secrets never reach the log (SPEC §9): headers, passwords, tokens, and `?token=` in URLs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  'password',
  'token',
];

function driversOf(drivers: GatewayOptions['drivers']): DriverPort[] {
  if (!drivers) return [];
  return drivers instanceof Map ? [...drivers.values()] : [...drivers];
}

/**
 * The Fastify gateway (DESIGN "Gateway"): JSON-RPC over HTTP and WebSocket from one method
 * registry, the live feed, auth, tool manifest, MCP, health and metrics. Not listening yet: the
 * caller composes it and calls `listen`. Each feature is a plugin; state lives in this instance.
 */
export async function createGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const { store, runtime } = options;
  // Settings safe to reload (SPEC §10 SIGHUP) are read through `live` on each use.
  let live = options.config;
  const config = options.config;
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.now();
  const limits = (): GatewayOptions['config']['limits'] => live.limits;
  // The body limit is fixed when the routes are registered: changing it needs a restart.
  const requestBytes = (): number => config.limits.max_request_bytes ?? Math.max(config.limits.max_message_bytes, 2 * 1024 * 1024);
  const drivers = driversOf(options.drivers);

  const logger = options.logger.child(
    { component: 'gateway' },
    {
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({ id: req.id, method: req.method, url: req.url?.replace(/([?&]token=)[^&]*/g, '$1[redacted]') }),
      },
    },
  );
  const app = Fastify({
    loggerInstance: logger,
    genReqId: () => randomUUID(),
    // Agents call /rpc many times per pulse: one line per request at debug, not two at info.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: Math.max(1024, requestBytes()),
    trustProxy: false,
  }) as unknown as FastifyInstance;

  const queries = new QueriesRepo(store.db);
  const accounts = new Accounts(store.db, now);
  if (config.admin) {
    const outcome = await accounts.ensureAdmin(config.admin.username, config.admin.password);
    logger.info({ username: config.admin.username, outcome }, 'first administrator from configuration');
  }
  const resolver = new CredentialResolver(accounts.tokens, accounts.users, queries, now);
  const limiter = new RateLimiter(() => limits().rate_limit_per_minute, now);
  const registry = new MethodRegistry([...METHODS, ...pluginMethodDefs(options.pluginMethods ?? [])]);
  const hub = new FeedHub(runtime, {
    queries,
    retentionEvents: () => limits().feed_retention_events,
    maxBufferedBytes: () => limits().max_ws_buffered_bytes ?? 8 * 1024 * 1024,
  });
  const metrics = new GatewayMetrics({ queries, feedClients: () => hub.size, bus: options.bus, drivers });
  const detachMetrics = runtime.onCommitted((events) => metrics.observeCommitted(events));
  const detachConfig = options.configUpdates?.subscribe((next) => (live = next));
  const services: Services = {
    runtime,
    queries,
    memberships: accounts.memberships,
    idempotency: new IdempotencyRepo(store.db),
    workspace: options.workspace,
    machines: options.machines ?? defaultMachines(),
    config,
    // Reloaded on SIGHUP, as the runtime's: projects without explicit settings show the new ones.
    get projectDefaults() {
      return live.projects?.defaults ?? DEFAULT_PROJECT_SETTINGS;
    },
  };
  const dispatcher = new RpcDispatcher(registry, services, limiter, metrics, logger);

  app.addHook('onResponse', async (req, reply) => {
    const line = { reqId: req.id, method: req.method, url: req.url.replace(/([?&]token=)[^&]*/g, '$1[redacted]'), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 500) req.log.warn(line, 'request failed');
    else req.log.debug(line, 'request');
  });
  addSecurityHeaders(app);
  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: Math.max(4 * requestBytes(), 64 * 1024) } });
  await app.register(opsPlugin, { queries, bus: options.bus, drivers, metrics, ...(options.readiness ? { readiness: options.readiness } : {}) });
  await app.register(authRoutes, {
    accounts,
    resolver,
    // Sign-in attempts have their own, stricter budget (brute force), whatever the API rate.
    limiter: new RateLimiter(() => 20, now),
    sessionTtlMs: config.session_ttl_ms ?? SEVEN_DAYS_MS,
    secureCookies: config.secure_cookies ?? false,
    now,
  });
  await app.register(httpRpcPlugin, { dispatcher, resolver, maxBodyBytes: requestBytes() });
  await app.register(wsPlugin, {
    dispatcher,
    resolver,
    hub,
    maxClients: () => limits().max_ws_clients,
    maxMessageBytes: requestBytes,
  });
  await app.register(mcpPlugin, { registry, dispatcher, resolver, version: packageVersion() });
  const manifest = toolManifest(registry.tools());
  app.get('/api/tools', async () => ({ tools: manifest }));

  if (options.webRoot && existsSync(join(options.webRoot, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: resolve(options.webRoot),
      wildcard: false,
      cacheControl: false,
      // Built assets carry a content hash in their name: cache them for good; the page never.
      setHeaders: (res, path) => res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
    // Client-side routes (/p/:project_id …) load the app; API paths and missing files keep their
    // 404 (an old page asking for a chunk of a previous build must not get HTML as a script).
    app.setNotFoundHandler((req, reply) => {
      const api = /^\/(rpc|ws|mcp|api|auth|metrics|healthz|readyz)(\/|$|\?)/.test(req.url);
      // Built files live at the top level or under /assets/; /p/x/docs/KANBAN.md is a client route.
      const file = /^\/assets\/|^\/[^/?]+\.[a-z0-9]+(\?|$)/i.test(req.url);
      if (req.method === 'GET' && !api && !file) return reply.type('text/html').header('cache-control', 'no-cache').sendFile('index.html');
      return reply.code(404).send({ error: { code: 'NOT_FOUND', severity: 'permanent', message: 'No such route' } });
    });
  }

  app.addHook('onClose', async () => {
    detachMetrics();
    detachConfig?.();
    hub.closeAll(1001, 'server shutting down');
  });
  app.decorate('missionFeed', hub);
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The gateway's feed hub (feed clients, graceful close). */
    missionFeed: FeedHub;
  }
}
