import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagesRepo, NotificationsRepo, ProjectsRepo, SubscriptionsRepo, TasksRepo, openStore, type Store } from '../../src/store/index.js';
import { assignmentSubscription, commentFanout, messageRecipients, parseMentions } from '../../src/workspace/index.js';

/** SPEC §5 mission.message.send (to a soul or @all), @mentions, and thread subscriptions. */
const TEAM = ['shuri', 'jarvis', 'friday', 'vision-2'];

describe('parseMentions', () => {
  const cases: [string, string, string | null, string[]][] = [
    ['a plain mention', 'hey @shuri, look', null, ['shuri']],
    ['several, in order of first mention, once each', '@jarvis then @shuri and @jarvis again', null, ['jarvis', 'shuri']],
    ['case does not matter', 'ping @Shuri', null, ['shuri']],
    ['trailing punctuation', 'done (@friday). thanks @vision-2!', null, ['friday', 'vision-2']],
    ['a dash ending a clause', 'ask @shuri- she knows', null, ['shuri']],
    ['unknown names are ignored', '@thanos and @shuri', null, ['shuri']],
    ['a longer unknown name is not a known one', '@shuri-bot please', null, []],
    ['e-mail addresses are not mentions', 'mail ops@shuri.dev', null, []],
    ['@all is everyone but the author', '@all standup in 5', 'jarvis', ['shuri', 'friday', 'vision-2']],
    ['the author is never mentioned', '@jarvis note to self, @shuri fyi', 'jarvis', ['shuri']],
    ['inline code is quoted, not addressed', 'run `notify @shuri` then tell @friday', null, ['friday']],
    ['fenced code is quoted, not addressed', '```\n@jarvis\n```\n@vision-2', null, ['vision-2']],
    ['no mention at all', 'nothing here @', null, []],
  ];
  it.each(cases)('%s', (_label, text, author, expected) => {
    expect(parseMentions(text, TEAM, { author })).toEqual(expected);
  });

  it('accepts any slug when the team is not known (the runtime filters later)', () => {
    expect(parseMentions('@someone and @all and @Shuri', null)).toEqual(['someone', 'shuri']);
  });
});

describe('messageRecipients', () => {
  it('sends to one soul, and notifies the mentioned ones as mentions', () => {
    expect(messageRecipients({ to: 'shuri', text: 'can you and @friday pair? cc @shuri', authorSoul: 'jarvis', projectSouls: TEAM })).toEqual([
      { soul_id: 'shuri', kind: 'message' },
      { soul_id: 'friday', kind: 'mention' },
    ]);
  });

  it('sends @all to every instance but the author', () => {
    expect(messageRecipients({ to: '@all', text: 'standup', authorSoul: 'jarvis', projectSouls: TEAM }).map((r) => r.soul_id)).toEqual(['shuri', 'friday', 'vision-2']);
    // A human author is nobody's instance: everyone hears it.
    expect(messageRecipients({ to: '@all', text: 'hi', authorSoul: null, projectSouls: TEAM })).toHaveLength(4);
  });

  it('refuses an unknown addressee (NOT_FOUND) and messaging oneself (INVALID_INPUT)', () => {
    expect(() => messageRecipients({ to: 'thanos', text: 'x', authorSoul: 'jarvis', projectSouls: TEAM })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => messageRecipients({ to: 'jarvis', text: 'x', authorSoul: 'jarvis', projectSouls: TEAM })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('thread subscriptions', () => {
  it('commenting subscribes the author, mentions subscribe and notify, other subscribers get the comment', () => {
    const fanout = commentFanout({
      author: 'jarvis:vanguard',
      mentioned: ['friday:vanguard'],
      subscribers: ['shuri:vanguard', 'user:3', 'jarvis:vanguard', 'friday:vanguard'],
    });
    expect(fanout.subscribe).toEqual([
      { subscriber: 'jarvis:vanguard', reason: 'commented' },
      { subscriber: 'friday:vanguard', reason: 'mentioned' },
    ]);
    expect(fanout.notify).toEqual([
      { recipient: 'friday:vanguard', kind: 'mention' },
      { recipient: 'shuri:vanguard', kind: 'comment' },
    ]);
    expect(assignmentSubscription('shuri:vanguard')).toEqual([{ subscriber: 'shuri:vanguard', reason: 'assigned' }]);
    expect(assignmentSubscription(null)).toEqual([]);
  });
});

describe('messages, notifications and subscriptions repos (real SQLite)', () => {
  let dataDir: string;
  let store: Store;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'mc-messages-'));
    store = await openStore({ dataDir });
    const at = Date.UTC(2026, 0, 22);
    new ProjectsRepo(store.db).insert({ id: 'vanguard', name: 'Vanguard', settings: {}, at });
    // A backlog task's row: id, project, title, description, status 0, priority 3, no assignee,
    // no dependencies, version 1, not blocked, 0 attempts, no review, 3 attempts allowed, no
    // help answer, machine v1, seq 0, created and updated at `at`.
    new TasksRepo(store.db).upsertRecord(['vanguard-1', 'vanguard', 'T', '', 0, 3, null, '[]', 1, null, null, 0, 0, 3, null, 1, 0, at, at]);
  });
  afterAll(() => {
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores a message with its mentions and returns a thread oldest first', () => {
    const messages = new MessagesRepo(store.db);
    const a = messages.insert({ projectId: 'vanguard', taskId: 'vanguard-1', authorKind: 'agent', authorId: 'jarvis:vanguard', to: null, text: 'first @shuri', mentions: ['shuri'], at: 1 });
    const b = messages.insert({ projectId: 'vanguard', taskId: 'vanguard-1', authorKind: 'user', authorId: 'alice', to: null, text: 'second', mentions: [], at: 2 });
    expect(messages.get(a)).toMatchObject({ id: a, author_id: 'jarvis:vanguard', mentions: ['shuri'], task_id: 'vanguard-1' });
    expect(messages.thread('vanguard-1').map((m) => m.id)).toEqual([a, b]);
    expect(messages.thread('vanguard-1', 1).map((m) => m.id)).toEqual([b]);
  });

  it('keeps notifications pending per instance until marked delivered, inside the caller\u2019s transaction', () => {
    const notes = new NotificationsRepo(store.db);
    const ids = store.db.transaction(() => [
      notes.insert({ projectId: 'vanguard', recipient: 'shuri:vanguard', kind: 'mention', messageId: null, taskId: null, body: 'one', at: 1 }),
      notes.insert({ projectId: 'vanguard', recipient: 'shuri:vanguard', kind: 'message', messageId: null, taskId: null, body: 'two', at: 2 }),
      notes.insert({ projectId: 'vanguard', recipient: 'friday:vanguard', kind: 'message', messageId: null, taskId: null, body: 'other', at: 3 }),
    ])();
    expect(notes.pending('shuri:vanguard').map((n) => n.body)).toEqual(['one', 'two']);
    expect(notes.countPending('shuri:vanguard')).toBe(2);
    // Another recipient's id is not touched.
    expect(notes.markDelivered('shuri:vanguard', [ids[0]!, ids[2]!], 10)).toBe(1);
    expect(notes.pending('shuri:vanguard').map((n) => n.body)).toEqual(['two']);
    expect(notes.pending('friday:vanguard').map((n) => n.body)).toEqual(['other']);
    expect(notes.markDeliveredUpTo('shuri:vanguard', ids[1]!, 11)).toBe(1);
    expect(notes.countPending('shuri:vanguard')).toBe(0);
    // A rolled-back transaction leaves no notification behind.
    expect(() => store.db.transaction(() => {
      notes.insert({ projectId: 'vanguard', recipient: 'shuri:vanguard', kind: 'message', messageId: null, taskId: null, body: 'lost', at: 4 });
      throw new Error('rollback');
    })()).toThrow('rollback');
    expect(notes.countPending('shuri:vanguard')).toBe(0);
  });

  it('subscribes once per thread, keeping the first reason', () => {
    const subs = new SubscriptionsRepo(store.db);
    expect(subs.subscribe('vanguard-1', 'shuri:vanguard', 'assigned', 1)).toBe(true);
    expect(subs.subscribe('vanguard-1', 'shuri:vanguard', 'commented', 2)).toBe(false);
    expect(subs.subscribe('vanguard-1', 'user:3', 'commented', 3)).toBe(true);
    expect(subs.subscribers('vanguard-1').map((s) => [s.subscriber, s.reason])).toEqual([
      ['shuri:vanguard', 'assigned'],
      ['user:3', 'commented'],
    ]);
    expect(subs.unsubscribe('vanguard-1', 'user:3')).toBe(true);
    expect(subs.subscribers('vanguard-1')).toHaveLength(1);
  });
});
