import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StandupScheduler, utcDate } from '../../src/actors/index.js';
import { Workspace } from '../../src/workspace/index.js';
import { ok, startHarness, WsClient, type Harness } from './rpc-harness.js';

/**
 * The daily standup reaches people over the real gateway: a subscriber of the project's feed
 * receives `mission.event.broadcast {type: 'standup.written', data}` with the summary, and the
 * written `daily/YYYY-MM-DD.md` reads back through `mission.doc.get`.
 */
let h: Harness;
let client: WsClient;

beforeAll(async () => {
  h = await startHarness();
  const admin = (method: string, params: Record<string, unknown>): Promise<unknown> => h.rpc(h.adminToken, method, params).then(ok);
  await admin('mission.soul.create', { soul_id: 'ana', name: 'Ana', role: 'engineer' });
  await admin('mission.project.init', { project_name: 'Feed', project_id: 'feed', base_id: ['ana'] });
  await admin('mission.task.create', { project_id: 'feed', title: 'Wire the feed', assignee_id: 'ana' });
  await admin('mission.task.move', { task_id: 'feed-1', new_status: 'in_progress' });
  await admin('mission.task.create', { project_id: 'feed', title: 'Ship it', assignee_id: 'ana' });
  await admin('mission.task.move', { task_id: 'feed-2', new_status: 'in_progress' });
  await admin('mission.task.move', { task_id: 'feed-2', new_status: 'done' });
  client = await WsClient.open(h.wsUrl, h.adminToken);
  ok(await client.call('mission.subscribe', { project_id: 'feed', since_seq: 0 }));
}, 60_000);

afterAll(async () => {
  await client?.close();
  await h?.close();
});

describe('the standup in the feed', () => {
  it('is broadcast to subscribers with its summary and readable as a project document', async () => {
    const workspace = new Workspace({ dataDir: h.dataDir });
    const scheduler = new StandupScheduler(h.runtime, { writeDaily: (p, at, text) => workspace.appendDaily(p, at, { author: 'standup', text }) });
    const written = await scheduler.writeNow('feed');
    const name = `daily/${utcDate(written.standup.at)}.md`;
    expect(written.name).toBe(name);

    await client.waitFor((ns) => ns.some((n) => n.method === 'mission.event.broadcast' && n.params.type === 'standup.written'));
    const note = client.notifications.find((n) => n.params.type === 'standup.written')!;
    expect(note.params.project_id).toBe('feed');
    expect(note.params.seq).toBe(written.seq);
    const data = note.params.data as { detail: Record<string, unknown> };
    expect(data.detail).toMatchObject({ name, summary: '1 completed, 1 in progress, 0 blocked, 0 needs review, 0 key decisions' });

    const doc = ok<{ content: string }>(await h.rpc(h.adminToken, 'mission.doc.get', { project_id: 'feed', name }));
    expect(doc.content).toContain('**Completed (1)**\n- feed-2 Ship it (ana)');
    expect(doc.content).toContain('**In progress (1)**\n- feed-1 Wire the feed (ana)');
  });
});
