import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeOpenClaw } from '../support/fake-openclaw.js';

/**
 * The gateway double must refuse what the real gateway refused in the recordings
 * (/work/shared/openclaw/negtest.out, misc-test.out); the strings below are copied from them.
 */
const TOKEN = 'fake-gateway-token';
let gateway: FakeOpenClaw | null = null;
afterEach(async () => {
  await gateway?.stop();
  gateway = null;
});

interface Session {
  frames: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
  next(match: (f: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  ws: WebSocket;
}

function open(url: string): Session {
  const ws = new WebSocket(url);
  const frames: Record<string, unknown>[] = [];
  const waiters: { match: (f: Record<string, unknown>) => boolean; resolve: (f: Record<string, unknown>) => void }[] = [];
  ws.on('message', (d) => {
    const f = JSON.parse(String(d)) as Record<string, unknown>;
    frames.push(f);
    for (const w of [...waiters]) {
      if (!w.match(f)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(f);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return {
    frames,
    closed,
    ws,
    send: (frame) => (ws.readyState === WebSocket.OPEN ? ws.send(JSON.stringify(frame)) : ws.once('open', () => ws.send(JSON.stringify(frame)))),
    next: (match) => {
      const seen = frames.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

const connect = (overrides: Record<string, unknown> = {}) => ({
  type: 'req',
  id: 'c1',
  method: 'connect',
  params: {
    minProtocol: 4,
    maxProtocol: 4,
    client: { id: 'gateway-client', version: 't', platform: 'linux', mode: 'backend' },
    role: 'operator',
    scopes: ['operator.read', 'operator.write', 'operator.admin'],
    auth: { token: TOKEN },
    ...overrides,
  },
});
const resFor = (id: string) => (f: Record<string, unknown>) => f.type === 'res' && f.id === id;

describe('fake OpenClaw gateway reproduces the recorded handshake', () => {
  it('sends connect.challenge first, then hello-ok with features and policy', async () => {
    gateway = await FakeOpenClaw.start({ token: TOKEN });
    const s = open(gateway.url);
    const challenge = await s.next((f) => f.type === 'event');
    expect(challenge).toMatchObject({ event: 'connect.challenge', payload: { nonce: expect.any(String), ts: expect.any(Number) } });
    s.send(connect());
    const res = await s.next(resFor('c1'));
    expect(res).toMatchObject({ ok: true, payload: { type: 'hello-ok', protocol: 4, policy: { tickIntervalMs: 30000 }, auth: { scopes: ['operator.read', 'operator.write', 'operator.admin'] } } });
    const methods = (res.payload as { features: { methods: string[] } }).features.methods;
    expect(methods).toHaveLength(466);
    s.ws.close();
  });

  it('wrong token: INVALID_REQUEST with AUTH_TOKEN_MISMATCH, then close 1008', async () => {
    gateway = await FakeOpenClaw.start({ token: TOKEN });
    const s = open(gateway.url);
    s.send(connect({ auth: { token: 'wrong' } }));
    const res = await s.next(resFor('c1'));
    expect(res.error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'unauthorized: gateway token mismatch (provide gateway auth token)',
      details: { code: 'AUTH_TOKEN_MISMATCH', authReason: 'token_mismatch', canRetryWithDeviceToken: false, recommendedNextStep: 'update_auth_credentials' },
    });
    expect((await s.closed).code).toBe(1008);
  });

  it('protocol 3..3: PROTOCOL_MISMATCH, close 1002; protocol 3..5 is accepted', async () => {
    gateway = await FakeOpenClaw.start({ token: TOKEN });
    const s = open(gateway.url);
    s.send(connect({ minProtocol: 3, maxProtocol: 3 }));
    const res = await s.next(resFor('c1'));
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'protocol mismatch', details: { code: 'PROTOCOL_MISMATCH', expectedProtocol: 4 } });
    expect((await s.closed).code).toBe(1002);
    const ok = open(gateway.url);
    ok.send(connect({ minProtocol: 3, maxProtocol: 5 }));
    expect(await ok.next(resFor('c1'))).toMatchObject({ ok: true });
    ok.ws.close();
  });

  it('no auth: NOT_PAIRED / DEVICE_IDENTITY_REQUIRED; an unknown field: refused at root', async () => {
    gateway = await FakeOpenClaw.start({ token: TOKEN });
    const a = open(gateway.url);
    a.send(connect({ auth: undefined }));
    expect((await a.next(resFor('c1'))).error).toMatchObject({ code: 'NOT_PAIRED', message: 'device identity required', details: { code: 'DEVICE_IDENTITY_REQUIRED' } });
    expect((await a.closed).code).toBe(1008);
    const b = open(gateway.url);
    b.send(connect({ foo: 1 }));
    expect((await b.next(resFor('c1'))).error).toMatchObject({ code: 'INVALID_REQUEST', message: "invalid connect params: at root: unexpected property 'foo'" });
    expect((await b.closed).code).toBe(1008);
  });

  it('without scopes the connection opens but calls fail FORBIDDEN / MISSING_SCOPE', async () => {
    gateway = await FakeOpenClaw.start({ token: TOKEN });
    const s = open(gateway.url);
    s.send(connect({ scopes: undefined }));
    expect(await s.next(resFor('c1'))).toMatchObject({ ok: true, payload: { auth: { scopes: [] } } });
    s.send({ type: 'req', id: 'l1', method: 'agents.list', params: {} });
    expect((await s.next(resFor('l1'))).error).toMatchObject({ code: 'FORBIDDEN', message: 'missing scope: operator.read', details: { code: 'MISSING_SCOPE', missingScope: 'operator.read' } });
    s.ws.close();
  });

  it('answers startup UNAVAILABLE as recorded, and param errors as recorded', async () => {
    gateway = await FakeOpenClaw.start({ token: TOKEN, unavailableConnects: 1 });
    const s = open(gateway.url);
    s.send(connect());
    expect((await s.next(resFor('c1'))).error).toEqual({ code: 'UNAVAILABLE', message: 'gateway starting; retry shortly', retryable: true, retryAfterMs: 500, details: { reason: 'startup-sidecars' } });
    s.ws.close();
    const t = open(gateway.url);
    t.send(connect());
    await t.next(resFor('c1'));
    t.send({ type: 'req', id: 'a1', method: 'sessions.abort', params: { sessionKey: 'agent:main:x' } });
    expect((await t.next(resFor('a1'))).error).toMatchObject({ code: 'INVALID_REQUEST', message: "invalid sessions.abort params: at root: unexpected property 'sessionKey'" });
    t.send({ type: 'req', id: 'a2', method: 'sessions.abort', params: { key: 'agent:main:x' } });
    expect((await t.next(resFor('a2'))).payload).toEqual({ ok: true, abortedRunId: null, status: 'no-active-run' });
    t.send({ type: 'req', id: 'a3', method: 'agent', params: { message: 'hi', agentId: 'main', sessionKey: 'agent:main:x' } });
    expect((await t.next(resFor('a3'))).error).toMatchObject({ message: "invalid agent params: must have required property 'idempotencyKey'" });
    t.send({ type: 'req', id: 'a4', method: 'no.such.method', params: {} });
    expect((await t.next(resFor('a4'))).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown method: no.such.method' });
    t.ws.close();
  });

  it('agent: accepted, streamed events, then a second res with the same id; a reused key replays', async () => {
    gateway = await FakeOpenClaw.start({ token: TOKEN, runDurationMs: 50 });
    const s = open(gateway.url);
    s.send(connect());
    await s.next(resFor('c1'));
    s.send({ type: 'req', id: 'r1', method: 'agent', params: { message: 'hello', agentId: 'main', sessionKey: 'agent:main:mc-t', idempotencyKey: 'k1' } });
    expect((await s.next(resFor('r1'))).payload).toMatchObject({ runId: 'k1', status: 'accepted' });
    const final = await s.next((f) => f.type === 'res' && f.id === 'r1' && (f.payload as { status?: string }).status === 'ok');
    expect(final.payload).toMatchObject({ runId: 'k1', status: 'ok', summary: 'completed' });
    expect(s.frames.some((f) => f.event === 'chat' && (f.payload as { state?: string }).state === 'final')).toBe(true);
    expect(s.frames.some((f) => f.event === 'agent' && (f.payload as { stream?: string }).stream === 'lifecycle')).toBe(true);
    // The replay follows DESIGN.md's rule, not a recording (misc-test.out stops before its replay frames).
    s.send({ type: 'req', id: 'r2', method: 'agent', params: { message: 'hello again', agentId: 'main', sessionKey: 'agent:main:mc-t', idempotencyKey: 'k1' } });
    expect((await s.next(resFor('r2'))).payload).toMatchObject({ runId: 'k1', status: 'ok' });
    expect(gateway.runCount()).toBe(1);
    s.ws.close();
  });
});
