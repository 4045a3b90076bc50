import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startHarness, WsClient, type Harness } from './rpc-harness.js';

/**
 * The live feed (SPEC §5 "Feed", DESIGN step 7) over a real WebSocket: replay from `since_seq`
 * then live events with no gap and no duplicate, also while events keep coming during a
 * reconnect; FULL_SYNC_REQUIRED past retention; slow clients closed with 1013; actor snapshots
 * only to watchers.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: 'shuri', name: 'Shuri' }));
  ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'Feed', project_id: 'feed', base_id: ['shuri'] }));
});

afterAll(async () => {
  await h.close();
});

const lastSeq = (): number => (h.store.db.prepare("SELECT last_seq FROM projects WHERE id = 'feed'").get() as { last_seq: number }).last_seq;
const seqs = (c: WsClient): number[] => c.notifications.filter((n) => n.params.project_id === 'feed').map((n) => n.params.seq as number);
const createTask = (title: string): Promise<unknown> => h.rpc(h.adminToken, 'mission.task.create', { project_id: 'feed', title });

describe('mission.subscribe', () => {
  it('replays the log from since_seq, then pushes live events in order', async () => {
    await createTask('before 1');
    await createTask('before 2');
    const client = await WsClient.open(h.wsUrl, h.adminToken);
    try {
      const answer = ok<{ last_seq: number; since_seq: number }>(await client.call('mission.subscribe', { project_id: 'feed', since_seq: 0 }));
      expect(answer.since_seq).toBe(0);
      const upTo = answer.last_seq;
      await client.waitFor(() => seqs(client).length >= upTo);
      // The answer comes first, then the replay.
      expect(client.frames[0]).toBe('answer:1');
      await createTask('live 1');
      await client.waitFor(() => seqs(client).length >= upTo + 1);
      const got = seqs(client);
      expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
      const live = client.notifications.at(-1)!;
      expect(live.method).toBe('mission.task_updated');
      expect((live.params.task as { title: string }).title).toBe('live 1');
    } finally {
      await client.close();
    }
  });

  it('gives a client that reconnects with since_seq each missed event exactly once, while events keep coming', async () => {
    const first = await WsClient.open(h.wsUrl, h.adminToken);
    ok(await first.call('mission.subscribe', { project_id: 'feed' }));
    await createTask('seen');
    await first.waitFor(() => seqs(first).length >= 1);
    const seen = Math.max(...seqs(first));
    await first.close();

    // Produce events continuously: while disconnected, during the replay and after it.
    let producing = true;
    const producer = (async () => {
      let i = 0;
      while (producing) await createTask(`stream ${i++}`);
    })();
    await new Promise((r) => setTimeout(r, 300));
    const second = await WsClient.open(h.wsUrl, h.adminToken);
    ok(await second.call('mission.subscribe', { project_id: 'feed', since_seq: seen }));
    await new Promise((r) => setTimeout(r, 300));
    producing = false;
    await producer;
    const end = lastSeq();
    await second.waitFor(() => seqs(second).includes(end));
    const got = seqs(second);
    expect(got.length).toBeGreaterThan(5);
    expect(got).toEqual(Array.from({ length: end - seen }, (_, i) => seen + 1 + i));
    await second.close();
  });

  it('refuses since_seq older than the retained log with FULL_SYNC_REQUIRED', async () => {
    const small = await startHarness({ limits: { feed_retention_events: 3 } });
    try {
      ok(await small.rpc(small.adminToken, 'mission.project.init', { project_name: 'R', project_id: 'r' }));
      for (let i = 0; i < 6; i++) ok(await small.rpc(small.adminToken, 'mission.task.create', { project_id: 'r', title: `t${i}` }));
      const client = await WsClient.open(small.wsUrl, small.adminToken);
      const old = await client.call('mission.subscribe', { project_id: 'r', since_seq: 1 });
      expect(old.error?.data).toMatchObject({ code: 'FULL_SYNC_REQUIRED', last_seq: 7 });
      const future = await client.call('mission.subscribe', { project_id: 'r', since_seq: 99 });
      expect(future.error?.data?.code).toBe('FULL_SYNC_REQUIRED');
      const recent = ok<{ last_seq: number }>(await client.call('mission.subscribe', { project_id: 'r', since_seq: 4 }));
      await client.waitFor((n) => n.length >= 3);
      expect(client.notifications.map((n) => n.params.seq)).toEqual([5, 6, 7]);
      expect(recent.last_seq).toBe(7);
      // The full-sync path the error points to: a consistent snapshot with its seq.
      const snap = ok<{ last_seq: number; tasks: unknown[] }>(await small.rpc(small.adminToken, 'mission.project.get', { project_id: 'r' }));
      expect(snap.last_seq).toBe(7);
      expect(snap.tasks).toHaveLength(6);
      await client.close();
    } finally {
      await small.close();
    }
  });

  it('refuses mission.subscribe over HTTP (it needs a socket)', async () => {
    expect((await h.rpc(h.adminToken, 'mission.subscribe', { project_id: 'feed' })).error?.data?.code).toBe('INVALID_INPUT');
  });
});

describe('inspector snapshots', () => {
  it('sends mission.actor_snapshot only to clients watching that actor', async () => {
    const task = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'feed', title: 'watched', assignee_id: 'shuri' }));
    const watcher = await WsClient.open(h.wsUrl, h.adminToken);
    const other = await WsClient.open(h.wsUrl, h.adminToken);
    try {
      const watched = ok<{ current: { state_value: unknown; kind: string } }>(await watcher.call('mission.inspect.watch', { actor_id: task.id }));
      expect(watched.current).toMatchObject({ state_value: 'backlog', kind: 'task' });
      ok(await other.call('mission.subscribe', { project_id: 'feed' }));
      ok(await h.rpc(h.adminToken, 'mission.task.move', { task_id: task.id, new_status: 'in_progress' }));
      await watcher.waitFor((n) => n.some((x) => x.method === 'mission.actor_snapshot'));
      await other.waitFor((n) => n.some((x) => x.method === 'mission.task_updated' && (x.params.task as { id: string }).id === task.id));
      const snap = watcher.notifications.find((x) => x.method === 'mission.actor_snapshot')!;
      expect(snap.params).toMatchObject({ actor_id: task.id, actor_kind: 'task', state_value: 'in_progress', project_id: 'feed' });
      expect(other.notifications.some((x) => x.method === 'mission.actor_snapshot')).toBe(false);
      // Not subscribed to the project, the watcher gets no task_updated either.
      expect(watcher.notifications.every((x) => x.method === 'mission.actor_snapshot')).toBe(true);
    } finally {
      await watcher.close();
      await other.close();
    }
  });
});

describe('WebSocket access and limits', () => {
  it('refuses the upgrade without a credential (401) and accepts ?token= and the session cookie', async () => {
    await expect(WsClient.open(h.wsUrl, undefined)).rejects.toMatchObject({ status: 401 });
    await expect(WsClient.open(h.wsUrl, 'mc_wrong', 'query')).rejects.toMatchObject({ status: 401 });
    const byQuery = await WsClient.open(h.wsUrl, h.adminToken, 'query');
    ok(await byQuery.call('mission.project.list'));
    await byQuery.close();
  });

  it('closes a client that stops reading with 1013 before its queue grows without bound', async () => {
    const small = await startHarness({ limits: { max_ws_buffered_bytes: 256 * 1024 } });
    try {
      ok(await small.rpc(small.adminToken, 'mission.project.init', { project_name: 'S', project_id: 's' }));
      const slow = await WsClient.open(small.wsUrl, small.adminToken);
      ok(await slow.call('mission.subscribe', { project_id: 's' }));
      // Stop reading: the kernel buffers fill, then the server's queue.
      (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      const big = 'x'.repeat(60_000);
      for (let i = 0; i < 400 && !slow.closed; i++) {
        await small.rpc(small.adminToken, 'mission.task.create', { project_id: 's', title: `big ${i}`, description: big });
        if (i % 20 === 19) {
          const sessions = small.app.missionFeed.size;
          if (sessions === 0) break;
        }
      }
      expect(small.app.missionFeed.size).toBe(0);
      (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
      await new Promise<void>((resolve) => (slow.closed ? resolve() : slow.socket.once('close', () => resolve())));
      expect(slow.closed?.code).toBe(1013);
      expect(slow.closed?.reason).toMatch(/slow consumer/);
    } finally {
      await small.close();
    }
  });

  it('refuses clients over max_ws_clients with LIMIT_EXCEEDED', async () => {
    const small = await startHarness({ limits: { max_ws_clients: 2 } });
    try {
      const a = await WsClient.open(small.wsUrl, small.adminToken);
      const b = await WsClient.open(small.wsUrl, small.adminToken);
      await expect(WsClient.open(small.wsUrl, small.adminToken)).rejects.toMatchObject({ status: 413 });
      await a.close();
      await b.close();
    } finally {
      await small.close();
    }
  });
});
