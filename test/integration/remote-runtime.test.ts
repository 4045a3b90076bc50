import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MissionError,
  parseTaskId,
  type By,
  type CommandEnvelope,
  type CommandName,
  type CommittedEvent,
  type MissionRuntime,
} from '../../src/core/index.js';
import { RemoteRuntime } from '../../src/actors/bus/remote-runtime.js';
import { serveRuntimeOverBus, type RuntimeService } from '../../src/actors/bus/serve-runtime.js';
import type { Bus, BusMessage } from '../../src/actors/bus/types.js';
import { createNatsBus } from '../../src/actors/bus/nats.js';
import { startNatsServer, type NatsServerHandle } from '../support/nats.js';
import { memoryTransport, natsTransport, waitUntil } from '../support/bus-transports.js';

/**
 * The transport between gateway processes and the runtime process. The runtime here is a small
 * test double (the subject is the transport): it numbers events per project and announces each
 * commit, as the real runtime's group commit does.
 */
class RecordingRuntime implements MissionRuntime {
  readonly received: CommandEnvelope[] = [];
  private readonly seqs = new Map<string, number>();
  private readonly listeners = new Set<(events: CommittedEvent[]) => void>();

  async execute<N extends CommandName>(command: CommandEnvelope<N>): Promise<unknown> {
    this.received.push(command);
    if (command.name !== 'task.move') throw new Error(`the fake runtime does not know ${command.name}: disk on fire`);
    const { task_id, new_status } = command.params as { task_id: string; new_status: string };
    if (new_status === 'nowhere') {
      throw new MissionError('ILLEGAL_TRANSITION', 'A task in todo cannot go to nowhere', { state: 'todo', allowed: ['in_progress', 'blocked'] });
    }
    if (new_status === 'slow') await new Promise((r) => setTimeout(r, 600));
    const event = this.event(parseTaskId(task_id).projectId, task_id, new_status, command.idempotency_key ?? null);
    await new Promise((r) => setImmediate(r)); // the group commit
    this.commit([event]);
    return { task_id, status: new_status, seq: event.seq };
  }

  onCommitted(listener: (events: CommittedEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  event(projectId: string, taskId: string, status: string, key: string | null = null): CommittedEvent {
    const seq = (this.seqs.get(projectId) ?? 0) + 1;
    this.seqs.set(projectId, seq);
    return {
      project_id: projectId,
      seq,
      ts: 1_700_000_000_000 + seq,
      type: 'task.moved',
      actor_kind: 'task',
      actor_id: taskId,
      payload: { event: { type: 'move', to: status }, by: { kind: 'human', id: '1' }, state_value: status },
      idempotency_key: key,
    };
  }

  commit(events: CommittedEvent[]): void {
    for (const listener of this.listeners) listener(events);
  }
}

const owner: By = { kind: 'human', userId: 1, username: 'ada', role: 'owner' };
const move = (taskId: string, status: string, key?: string): CommandEnvelope<'task.move'> => ({
  name: 'task.move',
  params: { task_id: taskId, new_status: status },
  by: owner,
  principal_key: 'user:1',
  ...(key ? { idempotency_key: key } : {}),
});


async function rejection(p: Promise<unknown>): Promise<MissionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MissionError);
    return err as MissionError;
  }
  throw new Error('expected a rejection');
}

describe.each([natsTransport(), memoryTransport()])('runtime over the bus: $name', (transport) => {
  let runtimeBus: Bus;
  let busA: Bus;
  let busB: Bus;
  let runtime: RecordingRuntime;
  let service: RuntimeService;
  let gatewayA: RemoteRuntime;
  let gatewayB: RemoteRuntime;
  const serviceErrors: unknown[] = [];

  beforeAll(async () => {
    await transport.start();
    [runtimeBus, busA, busB] = [await transport.connect(), await transport.connect(), await transport.connect()];
    runtime = new RecordingRuntime();
    service = serveRuntimeOverBus(runtime, runtimeBus, { onError: (err) => serviceErrors.push(err) });
    await runtimeBus.flush();
    gatewayA = new RemoteRuntime(busA, { timeoutMs: 5_000 });
    gatewayB = new RemoteRuntime(busB, { timeoutMs: 5_000 });
  });

  afterAll(async () => {
    service.stop();
    gatewayA.close();
    gatewayB.close();
    await Promise.all([runtimeBus.close(), busA.close(), busB.close()]);
    await transport.stop();
  });

  it('answers a command sent through gateway A with the runtime result; the envelope arrives intact', async () => {
    const before = runtime.received.length;
    const command = { ...move('alpha-1', 'in_progress', 'key-1'), request_id: 'req-9' };
    const result = await gatewayA.execute(command);
    expect(result).toMatchObject({ task_id: 'alpha-1', status: 'in_progress' });
    expect(runtime.received.slice(before)).toEqual([command]);
  });

  it('lets a client of gateway B see the events caused through gateway A, in seq order per project', async () => {
    const seen: CommittedEvent[] = [];
    const stop = gatewayB.onCommitted((events) => seen.push(...events));
    await busB.flush();
    // Concurrent commands on two projects, as many agents would send them.
    const N = 40;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => gatewayA.execute(move(i % 2 ? 'iota-2' : 'beta-1', `s${i}`))),
    );
    expect(results).toHaveLength(N);
    await waitUntil('B saw every event', () => seen.length >= N);
    stop();
    const ofIota = seen.filter((e) => e.project_id === 'iota').map((e) => e.seq);
    const ofBeta = seen.filter((e) => e.project_id === 'beta').map((e) => e.seq);
    expect(ofIota).toEqual(Array.from({ length: N / 2 }, (_, i) => i + 1));
    expect(ofBeta).toEqual(Array.from({ length: N / 2 }, (_, i) => i + 1));
    expect(gatewayB.lastSeenSeq('iota')).toBe(N / 2);
    // And each event is the one its command caused.
    const statuses = new Set(seen.map((e) => e.payload.event.to));
    expect(statuses).toEqual(new Set(Array.from({ length: N }, (_, i) => `s${i}`)));
  });

  it('returns a refused command as the same MissionError, code, severity and data', async () => {
    const err = await rejection(gatewayA.execute(move('alpha-1', 'nowhere')));
    expect(err.code).toBe('ILLEGAL_TRANSITION');
    expect(err.severity).toBe('permanent');
    expect(err.message).toBe('A task in todo cannot go to nowhere');
    expect(err.data).toEqual({ state: 'todo', allowed: ['in_progress', 'blocked'] });
  });

  it('returns an unexpected runtime failure as INTERNAL without its detail and reports it on the runtime side', async () => {
    const reported = serviceErrors.length;
    const err = await rejection(gatewayA.execute({ name: 'agent.pause', params: { instance_id: 'shuri:alpha' }, by: owner, principal_key: 'user:1' }));
    expect(err.code).toBe('INTERNAL');
    expect(err.message).not.toContain('disk on fire');
    expect(serviceErrors.length).toBe(reported + 1);
    expect(String(serviceErrors[reported])).toContain('disk on fire');
  });

  it("refuses with FORBIDDEN a command sent on another project's subject, and executes nothing", async () => {
    const before = runtime.received.length;
    const reply = await busA.request('mc.beta.cmd.task.beta-1', JSON.stringify(move('alpha-1', 'done')), { timeoutMs: 5_000 });
    expect(reply.json()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', data: { expected: 'mc.alpha.cmd.task.alpha-1' } } });
    expect(runtime.received.length).toBe(before);
  });

  it('refuses a malformed envelope with INVALID_INPUT, and executes nothing', async () => {
    const before = runtime.received.length;
    const ask = async (body: unknown): Promise<unknown> =>
      (await busA.request('mc.alpha.cmd.task.alpha-1', JSON.stringify(body), { timeoutMs: 5_000 })).json();
    const bad = [
      { ...move('alpha-1', 'done'), params: { task_id: 'alpha-1' } }, // new_status missing
      { ...move('alpha-1', 'done'), name: 'task.teleport' },
      { ...move('alpha-1', 'done'), by: { kind: 'god' } },
      { name: 'task.move', params: { task_id: 'alpha-1', new_status: 'done' }, by: owner }, // no principal_key
      'not an envelope',
    ];
    for (const body of bad) expect(await ask(body)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const notJson = await busA.request('mc.alpha.cmd.task.alpha-1', '{oops', { timeoutMs: 5_000 });
    expect(notJson.json()).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(runtime.received.length).toBe(before);
  });

  it('publishes a group commit spanning projects as one batch per project, header seq = last seq', async () => {
    const got: BusMessage[] = [];
    const sub = busB.subscribe('mc.*.evt', (m) => got.push(m));
    await busB.flush();
    const a1 = runtime.event('gamma', 'gamma-1', 'x');
    const d1 = runtime.event('delta', 'delta-1', 'y');
    const a2 = runtime.event('gamma', 'gamma-2', 'z');
    runtime.commit([a1, d1, a2]);
    await waitUntil('both batches arrived', () => got.length >= 2);
    sub.unsubscribe();
    const bySubject = Object.fromEntries(got.map((m) => [m.subject, { seq: m.headers.seq, events: m.json<CommittedEvent[]>() }]));
    expect(bySubject).toEqual({
      'mc.gamma.evt': { seq: '2', events: [a1, a2] },
      'mc.delta.evt': { seq: '1', events: [d1] },
    });
  });

  it('tells its owner about a gap in seq (a lost batch) and never repeats a seq', async () => {
    const gaps: unknown[] = [];
    const gateway = new RemoteRuntime(busB, { onGap: (g) => gaps.push(g) });
    const seen: number[] = [];
    gateway.onCommitted((events) => seen.push(...events.map((e) => e.seq)));
    await busB.flush();
    const e1 = runtime.event('epsilon', 'epsilon-1', 'a');
    const lost = runtime.event('epsilon', 'epsilon-1', 'b');
    const e3 = runtime.event('epsilon', 'epsilon-1', 'c');
    runtime.commit([e1]);
    await waitUntil('seq 1 arrived', () => seen.length === 1);
    // Seq 2 is "lost" (never published); seq 1 is published again; then seq 3.
    busA.publish('mc.epsilon.evt', JSON.stringify([e1]), { seq: '1' });
    runtime.commit([e3]);
    await waitUntil('seq 3 arrived', () => seen.length === 2);
    gateway.close();
    expect(lost.seq).toBe(2);
    expect(seen).toEqual([1, 3]);
    expect(gaps).toEqual([{ project_id: 'epsilon', expected_seq: 2, received_seq: 3 }]);
  });

  it('rejects with TIMEOUT a command slower than the gateway waits', async () => {
    const impatient = new RemoteRuntime(busA, { timeoutMs: 200 });
    const err = await rejection(impatient.execute(move('alpha-3', 'slow')));
    expect(err.code).toBe('TIMEOUT');
    await new Promise((r) => setTimeout(r, 600)); // let the slow command finish before the next test
  });

  it('shares the commands between two runtime processes in the queue group, each executed once', async () => {
    const secondBus = await transport.connect();
    const second = new RecordingRuntime();
    // This one leaves event publishing to the runtime itself (as one created with the bus does).
    const secondService = serveRuntimeOverBus(second, secondBus, { publishEvents: false });
    await secondBus.flush();
    const published: number[] = [];
    const watch = busB.subscribe('mc.zeta.evt', (m) => published.push(...m.json<CommittedEvent[]>().map((e) => e.seq)));
    await busB.flush();
    const before = runtime.received.length;
    const N = 40;
    await Promise.all(Array.from({ length: N }, (_, i) => gatewayA.execute(move('zeta-1', `q${i}`))));
    const byFirst = runtime.received.slice(before).map((c) => (c.params as { new_status: string }).new_status);
    const bySecond = second.received.map((c) => (c.params as { new_status: string }).new_status);
    expect([...byFirst, ...bySecond].sort()).toEqual(Array.from({ length: N }, (_, i) => `q${i}`).sort());
    expect(byFirst.length).toBeGreaterThan(0);
    expect(bySecond.length).toBeGreaterThan(0);
    await waitUntil("the first runtime's events are published", () => published.length >= byFirst.length);
    await new Promise((r) => setTimeout(r, 100));
    expect(published).toEqual(Array.from({ length: byFirst.length }, (_, i) => i + 1));
    watch.unsubscribe();
    secondService.stop();
    await secondBus.close();
  });

  it('rejects with BUS_UNAVAILABLE when no runtime serves commands', async () => {
    service.stop();
    await runtimeBus.flush();
    const err = await rejection(gatewayA.execute(move('alpha-1', 'done')));
    expect(err.code).toBe('BUS_UNAVAILABLE');
    expect(err.data.no_responders).toBe(true);
  });
});

describe('NATS permissions confine a gateway credential to its project (SPEC §8)', () => {
  // Gateway "a" may only use project a's subjects (and its own reply inboxes); the runtime may use all.
  const CONFIG = `
authorization {
  users = [
    { user: "runtime", password: "runtime-secret" }
    { user: "gateway-a", password: "a-secret", permissions: {
        publish: ["mc.a.>"]
        subscribe: ["mc.a.>", "_INBOX.>"]
    } }
  ]
}
`;
  let server: NatsServerHandle;

  beforeAll(async () => {
    server = await startNatsServer({ config: CONFIG });
  });
  afterAll(() => server.stop());

  it("lets gateway a command project a, while the server itself stops it reaching project b's actors and events", async () => {
    const runtimeBus = createNatsBus({ servers: server.url, user: 'runtime', pass: 'runtime-secret' });
    const problems: { err: unknown; subject: string }[] = [];
    const gatewayBus = createNatsBus({
      servers: server.url,
      user: 'gateway-a',
      pass: 'a-secret',
      onHandlerError: (err, subject) => problems.push({ err, subject }),
    });
    try {
      await Promise.all([runtimeBus.ready(10_000), gatewayBus.ready(10_000)]);
      const runtime = new RecordingRuntime();
      const service = serveRuntimeOverBus(runtime, runtimeBus);
      await runtimeBus.flush();
      const gateway = new RemoteRuntime(gatewayBus, { timeoutMs: 500 });

      expect(await gateway.execute(move('a-1', 'in_progress'))).toMatchObject({ task_id: 'a-1' });

      // Publishing on mc.b.cmd.… is refused by the server, which the client reports at once.
      const err = await rejection(gateway.execute(move('b-1', 'in_progress')));
      expect(err.code).toBe('FORBIDDEN');
      expect(err.data).toMatchObject({ operation: 'publish', subject: 'mc.b.cmd.task.b-1' });
      expect(gatewayBus.breaker().consecutiveFailures).toBe(0);
      expect(runtime.received.map((c) => (c.params as { task_id: string }).task_id)).toEqual(['a-1']);

      // Subscribing to project b is refused too, and nothing of b arrives.
      const ofB: string[] = [];
      gatewayBus.subscribe('mc.b.>', (m) => ofB.push(m.subject));
      await gatewayBus.flush();
      runtime.commit([runtime.event('b', 'b-2', 'x')]);
      const refusedSubscription = (): boolean =>
        problems.some((p) => p.err instanceof MissionError && p.err.code === 'FORBIDDEN' && p.err.data.operation === 'subscription');
      await waitUntil('the server refused the subscription', refusedSubscription);
      await new Promise((r) => setTimeout(r, 100));
      expect(ofB).toEqual([]);
      expect(problems.every((p) => p.err instanceof MissionError && p.err.code === 'FORBIDDEN')).toBe(true);
      service.stop();
    } finally {
      await Promise.all([runtimeBus.close(), gatewayBus.close()]);
    }
  });
});
