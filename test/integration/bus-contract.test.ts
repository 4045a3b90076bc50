import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { connect as natsConnect } from '@nats-io/transport-node';
import { createNatsBus, type NatsBus } from '../../src/actors/bus/nats.js';
import { cmdProject, cmdTask, events, inbox, projectWildcard, snapshot } from '../../src/actors/bus/subjects.js';
import type { Bus, BusMessage, BusStatus } from '../../src/actors/bus/types.js';
import { memoryTransport, natsTransport, waitUntil, type HandlerErrors } from '../support/bus-transports.js';
import { freePort, startNatsServer, type NatsServerHandle } from '../support/nats.js';

/**
 * One behaviour suite, run against the in-process bus and a real nats-server. The expected
 * behaviour is NATS core's (docs.nats.io: subjects, wildcards, queue groups, request/reply,
 * no responders, headers), restated in each test.
 */
const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rejection(p: Promise<unknown>): Promise<MissionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MissionError);
    return err as MissionError;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): MissionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MissionError);
    return err as MissionError;
  }
  throw new Error('expected a MissionError');
}

describe.each([memoryTransport(), natsTransport()])('bus contract: $name', (harness) => {
  const open: Bus[] = [];
  const connect = async (errors?: HandlerErrors): Promise<Bus> => {
    const bus = await harness.connect(errors);
    open.push(bus);
    return bus;
  };

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  it('delivers a published message with its subject, data and headers to another connection', async () => {
    const [pub, sub] = [await connect(), await connect()];
    const got: BusMessage[] = [];
    sub.subscribe('greet.*', (m) => got.push(m));
    await sub.flush();
    pub.publish('greet.alice', JSON.stringify({ hello: 'alice' }), { seq: '42', 'X-Trace': 'abc' });
    await waitUntil('one message arrived', () => got.length === 1);
    const m = got[0]!;
    expect(m.subject).toBe('greet.alice');
    expect(m.json()).toEqual({ hello: 'alice' });
    expect(m.string()).toBe('{"hello":"alice"}');
    expect(m.headers).toEqual({ seq: '42', 'X-Trace': 'abc' });
    expect(m.respond).toBeUndefined();
  });

  it('matches * to exactly one token and > to one or more trailing tokens', async () => {
    const [pub, sub] = [await connect(), await connect()];
    const published = ['mc.a.evt', 'mc.b.evt', 'mc.a.cmd.project', 'mc.a.cmd.task.a-1', 'mc.a.b.evt', 'mc', 'other.a.evt'];
    // Expected receivers, per the NATS wildcard rules.
    const expected: Record<string, string[]> = {
      'mc.*.evt': ['mc.a.evt', 'mc.b.evt'],
      'mc.>': ['mc.a.evt', 'mc.b.evt', 'mc.a.cmd.project', 'mc.a.cmd.task.a-1', 'mc.a.b.evt'],
      'mc.a.>': ['mc.a.evt', 'mc.a.cmd.project', 'mc.a.cmd.task.a-1', 'mc.a.b.evt'],
      'mc.*.cmd.>': ['mc.a.cmd.project', 'mc.a.cmd.task.a-1'],
      'mc.a.cmd.*': ['mc.a.cmd.project'],
      '*.a.evt': ['mc.a.evt', 'other.a.evt'],
      mc: ['mc'],
    };
    const received: Record<string, string[]> = {};
    for (const pattern of Object.keys(expected)) {
      received[pattern] = [];
      sub.subscribe(pattern, (m) => received[pattern]!.push(m.subject));
    }
    await sub.flush();
    for (const s of published) pub.publish(s, s);
    await waitUntil('every pattern got its messages', () =>
      Object.entries(expected).every(([p, subjects]) => received[p]!.length >= subjects.length),
    );
    await settle();
    expect(received).toEqual(expected);
  });

  it('hands each message to exactly one member of a queue group and to every plain subscriber', async () => {
    const [pub, w1, w2, watcher] = [await connect(), await connect(), await connect(), await connect()];
    const byWorker: number[][] = [[], []];
    const seen: number[] = [];
    w1.subscribe('jobs.*', (m) => byWorker[0]!.push(Number(m.string())), { queue: 'workers' });
    w2.subscribe('jobs.*', (m) => byWorker[1]!.push(Number(m.string())), { queue: 'workers' });
    watcher.subscribe('jobs.>', (m) => seen.push(Number(m.string())));
    await Promise.all([w1.flush(), w2.flush(), watcher.flush()]);
    const N = 60;
    for (let i = 0; i < N; i++) pub.publish(`jobs.${i % 3}`, String(i));
    await waitUntil('all jobs handled', () => byWorker[0]!.length + byWorker[1]!.length >= N && seen.length >= N);
    await settle();
    const handled = [...byWorker[0]!, ...byWorker[1]!].sort((a, b) => a - b);
    expect(handled).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(byWorker[0]!.length).toBeGreaterThan(0);
    expect(byWorker[1]!.length).toBeGreaterThan(0);
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('answers a request from another connection, carrying headers both ways', async () => {
    const [client, server] = [await connect(), await connect()];
    server.subscribe('svc.echo', (m) => m.respond?.(JSON.stringify({ echo: m.json(), asked: m.headers.trace }), { served_by: 'svc' }));
    await server.flush();
    const reply = await client.request('svc.echo', JSON.stringify({ n: 7 }), { timeoutMs: 2_000, headers: { trace: 't-1' } });
    expect(reply.json()).toEqual({ echo: { n: 7 }, asked: 't-1' });
    expect(reply.headers).toEqual({ served_by: 'svc' });
  });

  it('rejects with TIMEOUT when the responder stays silent', async () => {
    const [client, server] = [await connect(), await connect()];
    let asked = 0;
    server.subscribe('svc.silent', () => (asked += 1));
    await server.flush();
    const started = Date.now();
    const err = await rejection(client.request('svc.silent', 'x', { timeoutMs: 250 }));
    const elapsed = Date.now() - started;
    expect(err.code).toBe('TIMEOUT');
    expect(err.severity).toBe('transient');
    expect(asked).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('rejects with BUS_UNAVAILABLE at once when nothing serves the subject', async () => {
    const client = await connect();
    const started = Date.now();
    const err = await rejection(client.request('svc.nobody', 'x', { timeoutMs: 5_000 }));
    expect(err.code).toBe('BUS_UNAVAILABLE');
    expect(err.data.no_responders).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('keeps the publish order for each subscription', async () => {
    const [pub, sub] = [await connect(), await connect()];
    const got: number[] = [];
    sub.subscribe('seq.>', (m) => got.push(Number(m.string())));
    await sub.flush();
    const N = 2_000;
    for (let i = 0; i < N; i++) pub.publish(`seq.${i % 5}`, String(i));
    await waitUntil('all arrived', () => got.length === N);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('never calls a subscriber while its own publish is still running', async () => {
    const bus = await connect();
    let publishing = false;
    const reentered: boolean[] = [];
    bus.subscribe('self.loop', () => reentered.push(publishing));
    await bus.flush();
    publishing = true;
    bus.publish('self.loop', '1');
    bus.publish('self.loop', '2');
    publishing = false;
    await waitUntil('both arrived', () => reentered.length === 2);
    expect(reentered).toEqual([false, false]);
  });

  it('stops delivering after unsubscribe, while other subscriptions go on', async () => {
    const [pub, sub] = [await connect(), await connect()];
    const dropped: string[] = [];
    const kept: string[] = [];
    const s1 = sub.subscribe('u.*', (m) => dropped.push(m.string()));
    sub.subscribe('u.*', (m) => kept.push(m.string()));
    await sub.flush();
    pub.publish('u.x', 'before');
    await waitUntil('first message on both', () => dropped.length === 1 && kept.length === 1);
    s1.unsubscribe();
    await sub.flush();
    pub.publish('u.x', 'after');
    await waitUntil('second message on the kept subscription', () => kept.length === 2);
    await settle();
    expect(dropped).toEqual(['before']);
    expect(kept).toEqual(['before', 'after']);
  });

  it('on close reports "closed", refuses further use with BUS_UNAVAILABLE and leaves other connections working', async () => {
    const [a, b, c] = [await connect(), await connect(), await connect()];
    const statuses: BusStatus[] = [];
    a.onStatus((s) => statuses.push(s));
    const onB: string[] = [];
    b.subscribe('c.x', (m) => onB.push(m.string()));
    await b.flush();
    await a.close();
    expect(a.status()).toBe('closed');
    expect(statuses).toEqual(['closed']);
    expect(thrown(() => a.publish('c.x', 'late')).code).toBe('BUS_UNAVAILABLE');
    expect(thrown(() => a.subscribe('c.x', () => undefined)).code).toBe('BUS_UNAVAILABLE');
    expect((await rejection(a.request('c.x', 'late', { timeoutMs: 500 }))).code).toBe('BUS_UNAVAILABLE');
    await a.close(); // idempotent
    c.publish('c.x', 'still-works');
    await waitUntil('the other connections still talk', () => onB.length === 1);
    expect(onB).toEqual(['still-works']);
  });

  it('rejects a request still waiting for its reply when its connection closes', async () => {
    const [client, server] = [await connect(), await connect()];
    server.subscribe('svc.never', () => undefined);
    await server.flush();
    const pending = client.request('svc.never', 'x', { timeoutMs: 10_000 });
    await settle(50);
    const started = Date.now();
    await client.close();
    const err = await rejection(pending);
    expect(err.code).toBe('BUS_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("isolates projects: a subscriber to mc.a.> receives nothing of project b's subjects", async () => {
    const [pub, watcherA, watcherB] = [await connect(), await connect(), await connect()];
    const ofA: string[] = [];
    const ofB: string[] = [];
    watcherA.subscribe(projectWildcard('a'), (m) => ofA.push(m.subject));
    watcherB.subscribe(projectWildcard('b'), (m) => ofB.push(m.subject));
    await Promise.all([watcherA.flush(), watcherB.flush()]);
    const subjectsOf = (p: string): string[] => [
      cmdTask(p, `${p}-1`),
      cmdProject(p),
      events(p),
      snapshot(p, 'agent', 'shuri'),
      inbox(p, 'shuri'),
    ];
    // b's traffic first, then a's: had any b message reached watcherA, it would precede a's.
    for (const s of subjectsOf('b')) pub.publish(s, 'b');
    for (const s of subjectsOf('ab')) pub.publish(s, 'ab');
    for (const s of subjectsOf('a')) pub.publish(s, 'a');
    await waitUntil("a's traffic arrived", () => ofA.length >= 5 && ofB.length >= 5);
    await settle();
    expect(ofA).toEqual(subjectsOf('a'));
    expect(ofB).toEqual(subjectsOf('b'));
  });

  it('refuses invalid subjects with INVALID_INPUT and publishes nothing', async () => {
    const [pub, sub] = [await connect(), await connect()];
    const got: string[] = [];
    sub.subscribe('>', (m) => got.push(m.subject));
    await sub.flush();
    for (const bad of ['mc.*.evt', 'mc.>', 'mc..evt', '', 'mc a']) {
      expect(thrown(() => pub.publish(bad, 'x')).code).toBe('INVALID_INPUT');
      expect((await rejection(pub.request(bad, 'x', { timeoutMs: 500 }))).code).toBe('INVALID_INPUT');
    }
    for (const bad of ['mc.>.evt', 'mc.a*', '', 'mc..x']) {
      expect(thrown(() => sub.subscribe(bad, () => undefined)).code).toBe('INVALID_INPUT');
    }
    expect(thrown(() => pub.publish('ok.subject', 'x', { 'bad key': 'v' })).code).toBe('INVALID_INPUT');
    expect(thrown(() => pub.publish('ok.subject', 'x', { k: 'line\r\nbreak' })).code).toBe('INVALID_INPUT');
    pub.publish('ok.sentinel', 'x');
    await waitUntil('the sentinel arrived', () => got.length >= 1);
    await settle();
    expect(got).toEqual(['ok.sentinel']);
  });

  it('carries a 512 KiB payload intact and refuses one over the 1 MiB limit with LIMIT_EXCEEDED', async () => {
    const [pub, sub] = [await connect(), await connect()];
    const got: Uint8Array[] = [];
    sub.subscribe('big', (m) => got.push(m.data));
    await sub.flush();
    const half = new Uint8Array(512 * 1024).map((_, i) => i % 251);
    pub.publish('big', half);
    expect(thrown(() => pub.publish('big', new Uint8Array(2 * 1024 * 1024))).code).toBe('LIMIT_EXCEEDED');
    await waitUntil('the payload arrived', () => got.length === 1);
    await settle();
    expect(got).toHaveLength(1);
    expect(Buffer.from(got[0]!).equals(Buffer.from(half))).toBe(true);
  });

  it('reports a throwing handler and keeps delivering to it and to the others', async () => {
    const errors: HandlerErrors = [];
    const [pub, sub] = [await connect(), await connect(errors)];
    const calls: string[] = [];
    const others: string[] = [];
    sub.subscribe('boom', (m) => {
      calls.push(m.string());
      throw new Error(`handler failed on ${m.string()}`);
    });
    sub.subscribe('boom', (m) => others.push(m.string()));
    await sub.flush();
    pub.publish('boom', '1');
    pub.publish('boom', '2');
    await waitUntil('both handlers saw both', () => calls.length === 2 && others.length === 2);
    expect(calls).toEqual(['1', '2']);
    expect(others).toEqual(['1', '2']);
    expect(errors.map((e) => [e.subject, (e.err as Error).message])).toEqual([
      ['boom', 'handler failed on 1'],
      ['boom', 'handler failed on 2'],
    ]);
    expect(sub.status()).toBe('connected');
  });
});

describe('NATS bus: outages, reconnects and the request circuit', () => {
  let server: NatsServerHandle;
  const open: NatsBus[] = [];
  const natsBus = async (opts: Partial<Parameters<typeof createNatsBus>[0]> = {}): Promise<NatsBus> => {
    const bus = createNatsBus({ servers: server.url, reconnectTimeWaitMs: 100, ...opts });
    open.push(bus);
    await bus.ready(10_000);
    return bus;
  };

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server.stop());
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  it('reports reconnecting when the server is killed, reconnects after its restart and traffic resumes', async () => {
    const [pub, sub] = [await natsBus({ breaker: { failureThreshold: 1, cooldownMs: 60_000 } }), await natsBus()];
    const statuses: BusStatus[] = [];
    sub.onStatus((s) => statuses.push(s));
    const got: string[] = [];
    sub.subscribe('life.>', (m) => got.push(m.string()));
    await sub.flush();
    pub.publish('life.before', 'before');
    await waitUntil('the first message', () => got.length === 1);

    const oldPid = server.pid;
    await server.stop('SIGKILL');
    await waitUntil('both clients notice the outage', () => sub.status() === 'reconnecting' && pub.status() === 'reconnecting');
    // While NATS is down a request fails at once instead of waiting out its timeout.
    const started = Date.now();
    const down = await rejection(pub.request('life.svc', 'x', { timeoutMs: 5_000 }));
    expect(down.code).toBe('BUS_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(pub.breaker().state).toBe('open');

    await server.restart();
    expect(server.pid).not.toBe(oldPid);
    await waitUntil('both clients reconnect', () => sub.status() === 'connected' && pub.status() === 'connected', 15_000);
    await sub.flush();
    pub.publish('life.after', 'after');
    await waitUntil('traffic resumes on the old subscription', () => got.length === 2);
    expect(got).toEqual(['before', 'after']);
    expect(statuses).toEqual(['reconnecting', 'connected']);
    // A fresh connection starts with a closed circuit rather than waiting out the cool-down.
    expect(pub.breaker().state).toBe('closed');
  });

  it('fails a request already waiting for its reply as soon as the connection drops, not at its timeout', async () => {
    const [caller, responder] = [await natsBus(), await natsBus()];
    let received = 0;
    responder.subscribe('slow.svc', () => void received++); // takes the request, never answers
    await responder.flush();
    const pending = rejection(caller.request('slow.svc', 'x', { timeoutMs: 20_000 }));
    await waitUntil('the responder has the request', () => received === 1);
    const killedAt = Date.now();
    await server.stop('SIGKILL');
    const err = await pending;
    expect(err.code).toBe('BUS_UNAVAILABLE');
    expect(err.severity).toBe('transient');
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    await server.restart();
    await waitUntil('reconnected', () => caller.status() === 'connected' && responder.status() === 'connected', 15_000);
  });

  it('opens the circuit after consecutive failures, probes after the cool-down and closes on success', async () => {
    const client = await natsBus({ breaker: { failureThreshold: 3, cooldownMs: 400 } });
    const responder = await natsBus();
    expect(client.breaker().state).toBe('closed');
    for (let i = 0; i < 3; i++) {
      expect((await rejection(client.request('svc.flaky', 'x', { timeoutMs: 1_000 }))).data.no_responders).toBe(true);
    }
    expect(client.breaker()).toMatchObject({ name: 'nats', state: 'open', consecutiveFailures: 3, rejected: 0 });

    // A responder appears, but the open circuit refuses without asking NATS.
    let served = 0;
    responder.subscribe('svc.flaky', (m) => {
      served += 1;
      m.respond?.('ok');
    });
    await responder.flush();
    const refused = await rejection(client.request('svc.flaky', 'x', { timeoutMs: 1_000 }));
    expect(refused.code).toBe('BUS_UNAVAILABLE');
    expect(refused.data).toMatchObject({ breaker: 'nats', state: 'open' });
    expect(served).toBe(0);
    expect(client.breaker().rejected).toBe(1);

    await settle(450);
    expect(client.breaker().state).toBe('half-open');
    expect((await client.request('svc.flaky', 'x', { timeoutMs: 1_000 })).string()).toBe('ok');
    expect(served).toBe(1);
    expect(client.breaker()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('does not count an answered request or bad input against the circuit', async () => {
    const client = await natsBus({ breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    const responder = await natsBus();
    responder.subscribe('svc.ok', (m) => m.respond?.('fine'));
    await responder.flush();
    await rejection(client.request('svc.none', 'x', { timeoutMs: 500 }));
    expect((await client.request('svc.ok', 'x', { timeoutMs: 1_000 })).string()).toBe('fine');
    await rejection(client.request('svc.none', 'x', { timeoutMs: 500 }));
    expect((await rejection(client.request('bad.*', 'x', { timeoutMs: 500 }))).code).toBe('INVALID_INPUT');
    expect(client.breaker()).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
  });

  it('starts before the server exists: not ready, refuses traffic, then connects and opens its subscriptions', async () => {
    const port = await freePort();
    const connectErrors: string[] = [];
    const early = createNatsBus({
      servers: `nats://127.0.0.1:${port}`,
      reconnectTimeWaitMs: 100,
      onHandlerError: (_err, subject) => connectErrors.push(subject),
    });
    open.push(early);
    expect(early.status()).toBe('reconnecting');
    expect((await rejection(early.ready(300))).code).toBe('BUS_UNAVAILABLE');
    expect(thrown(() => early.publish('late.x', 'x')).code).toBe('BUS_UNAVAILABLE');
    const got: string[] = [];
    early.subscribe('late.>', (m) => got.push(m.string()));

    const late = await startNatsServer({ port });
    try {
      await early.ready(15_000);
      expect(early.status()).toBe('connected');
      await early.flush();
      const pub = createNatsBus({ servers: late.url });
      open.push(pub);
      await pub.ready(5_000);
      pub.publish('late.hello', 'hello');
      await waitUntil('the subscription made before the connect receives', () => got.length === 1);
      expect(got).toEqual(['hello']);
      // Several failed attempts before the server came up, reported once.
      expect(connectErrors).toEqual(['(connect)']);
      await Promise.all(open.splice(0).map((b) => b.close()));
    } finally {
      await late.stop();
    }
  });
});

describe('NATS bus closed before the server ever answered', () => {
  it('stops trying, reports closed and refuses use at once', async () => {
    const port = await freePort();
    const bus = createNatsBus({ servers: `nats://127.0.0.1:${port}`, reconnectTimeWaitMs: 50, onHandlerError: () => undefined });
    await settle(120);
    const started = Date.now();
    await bus.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(bus.status()).toBe('closed');
    expect((await rejection(bus.ready(5_000))).code).toBe('BUS_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(thrown(() => bus.subscribe('x', () => undefined)).code).toBe('BUS_UNAVAILABLE');
  });
});

describe('nats-server test support', () => {
  it('starts a JetStream-enabled server with its own store and stops it by pid', async () => {
    const js = await startNatsServer({ jetstream: true });
    const pid = js.pid;
    try {
      const nc = await natsConnect({ servers: js.url });
      expect(nc.info?.jetstream).toBe(true);
      await nc.close();
    } finally {
      await js.stop();
    }
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
