import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus, RemoteRuntime, serveRuntimeOverBus, type Bus, type NatsBus, type RuntimeService } from '../../src/actors/index.js';
import { GaplessRuntime } from '../../src/app/gapless-runtime.js';
import type { CommandEnvelope, CommittedEvent } from '../../src/core/index.js';
import { openStore, ProjectsRepo, QueriesRepo, type Store } from '../../src/store/index.js';
import { startNatsServer, type NatsServerHandle } from '../support/nats.js';
import { ADMIN, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * NATS core is at-most-once (DESIGN "Data flow" step 7): an event batch can be lost on the way to
 * a gateway. The gateway's feed must still hand its clients every event of a project once, in
 * seq order, with no gap (SPEC §5 "Feed"), because the runtime committed each one to the shared
 * event log before publishing it. Here a real runtime (real SQLite file) serves a real
 * nats-server; the runtime's bus loses chosen event batches; the gateway side reads the same
 * file through its own connection, as the gateway role does.
 */

/** The runtime's NATS connection, losing the `mc.*.evt` publishes whose number `lose` picks. */
function lossyEvents(inner: NatsBus, lose: (n: number) => boolean): Bus & { lost: number } {
  let published = 0;
  const bus: Bus & { lost: number } = {
    kind: inner.kind,
    lost: 0,
    publish(subject, data, headers) {
      if (subject.endsWith('.evt') && lose(++published)) {
        bus.lost++;
        return;
      }
      inner.publish(subject, data, headers);
    },
    hasSubscribers: (subject) => inner.hasSubscribers(subject),
    subscribe: (subject, handler, opts) => inner.subscribe(subject, handler, opts),
    request: (subject, data, opts) => inner.request(subject, data, opts),
    status: () => inner.status(),
    onStatus: (listener) => inner.onStatus(listener),
    flush: () => inner.flush(),
    close: () => inner.close(),
  };
  return bus;
}

const PROJECT = 'lossy';
let nats: NatsServerHandle;
let fixture: RuntimeFixture;
let runtimeBus: NatsBus;
let gatewayBus: NatsBus;
let gatewayStore: Store;
let service: RuntimeService;
let lossy: Bus & { lost: number };
let losing = true;

beforeAll(async () => {
  nats = await startNatsServer();
  fixture = await openRuntime();
  runtimeBus = createNatsBus({ servers: nats.url, name: 'runtime' });
  gatewayBus = createNatsBus({ servers: nats.url, name: 'gateway' });
  await Promise.all([runtimeBus.ready(10_000), gatewayBus.ready(10_000)]);
  // Every third batch is lost while `losing` is on.
  lossy = lossyEvents(runtimeBus, (n) => losing && n % 3 === 0);
  service = serveRuntimeOverBus(fixture.rt, lossy);
  await runtimeBus.flush();
  gatewayStore = await openStore({ dataDir: fixture.dir, migrate: false, lock: false });
});

afterAll(async () => {
  service?.stop();
  await gatewayBus?.close();
  await runtimeBus?.close();
  gatewayStore?.close();
  await fixture?.dispose();
  await nats?.stop();
});

interface GatewaySide {
  runtime: GaplessRuntime;
  remote: RemoteRuntime;
  filled: { reason: string; from_seq: number; to_seq: number }[];
  errors: unknown[];
}

function gaplessGateway(sweepMs: number): GatewaySide {
  const remote = new RemoteRuntime(gatewayBus, { timeoutMs: 5_000 });
  const queries = new QueriesRepo(gatewayStore.db);
  const projects = new ProjectsRepo(gatewayStore.db);
  const filled: GatewaySide['filled'] = [];
  const errors: unknown[] = [];
  const runtime = new GaplessRuntime(
    remote,
    {
      eventsAfter: (p, after, limit) => queries.projectEventsAfter(p, after, limit),
      heads: () => new Map(projects.list().map((p) => [p.id, p.last_seq])),
    },
    { sweepMs, onFilled: (f) => filled.push(f), onError: (err) => errors.push(err) },
  );
  return { runtime, remote, filled, errors };
}

const create = (title: string): CommandEnvelope<'task.create'> => ({
  name: 'task.create',
  params: { project_id: PROJECT, title },
  by: ADMIN,
  principal_key: 'user:1',
});

function logSeqs(): number[] {
  return fixture.store.db.prepare('SELECT seq FROM events WHERE project_id = ? ORDER BY seq').all(PROJECT).map((r) => (r as { seq: number }).seq);
}

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a gateway feed completed from the shared event log', () => {
  it('delivers every event once and in order although NATS lost every third batch', async () => {
    const { runtime, remote, filled, errors } = gaplessGateway(0);
    const seen: CommittedEvent[] = [];
    const detach = runtime.onCommitted((events) => seen.push(...events));
    await gatewayBus.flush();
    try {
      await runtime.execute({ name: 'project.init', params: { project_name: 'Lossy', project_id: PROJECT, base_id: [] }, by: ADMIN, principal_key: 'user:1' });
      // Sequential commands: one batch each, so the loss pattern is known.
      for (let i = 1; i <= 30; i++) await runtime.execute(create(`task ${i}`));
      losing = false;
      // A last batch that does arrive reveals a gap only if one precedes it; this one closes the run.
      await runtime.execute(create('closing'));
      const last = logSeqs().at(-1)!;
      await until(() => seen.at(-1)?.seq === last);
      expect(lossy.lost).toBeGreaterThanOrEqual(10);
      expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      expect(filled.length).toBeGreaterThan(0);
      expect(filled.every((f) => f.reason === 'gap')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      detach();
      runtime.close();
      remote.close();
      losing = true;
    }
  });

  it('finds a lost LAST batch on its sweep, with no later batch to reveal the gap', async () => {
    const { runtime, remote, filled, errors } = gaplessGateway(100);
    const seen: CommittedEvent[] = [];
    const detach = runtime.onCommitted((events) => seen.push(...events));
    await gatewayBus.flush();
    try {
      const before = logSeqs().at(-1)!;
      // Batches 1 and 2 of this run arrive, the third is lost and nothing follows it.
      let n = 0;
      const onlyThird = lossyEvents(runtimeBus, () => ++n === 3);
      service.stop();
      service = serveRuntimeOverBus(fixture.rt, onlyThird);
      await runtimeBus.flush();
      for (let i = 1; i <= 3; i++) await runtime.execute(create(`tail ${i}`));
      const last = logSeqs().at(-1)!;
      await until(() => seen.at(-1)?.seq === last, 5_000);
      expect(onlyThird.lost).toBe(1);
      expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: last - before }, (_, i) => before + i + 1));
      expect(filled.map((f) => f.reason)).toEqual(['sweep']);
      expect(errors).toEqual([]);
    } finally {
      detach();
      runtime.close();
      remote.close();
    }
  });

  it('leaves a just-committed batch to NATS for one sweep, and reads it from the log at the next', async () => {
    const { runtime, remote, filled, errors } = gaplessGateway(0);
    const seen: CommittedEvent[] = [];
    const detach = runtime.onCommitted((events) => seen.push(...events));
    await gatewayBus.flush();
    const silent = lossyEvents(runtimeBus, () => true);
    service.stop();
    service = serveRuntimeOverBus(fixture.rt, silent);
    await runtimeBus.flush();
    try {
      await runtime.execute(create('never published'));
      const last = logSeqs().at(-1)!;
      runtime.sweep();
      expect(seen).toEqual([]);
      runtime.sweep();
      expect(seen.map((e) => e.seq)).toEqual([last]);
      expect(filled).toEqual([{ project_id: PROJECT, from_seq: last, to_seq: last, reason: 'sweep' }]);
      runtime.sweep();
      expect(seen).toHaveLength(1);
      expect(silent.lost).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      detach();
      runtime.close();
      remote.close();
    }
  });
});
