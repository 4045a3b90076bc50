import { describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import {
  cmdAgent,
  cmdProject,
  cmdTask,
  events,
  inbox,
  parseSubject,
  projectWildcard,
  snapshot,
  sys,
} from '../../src/actors/bus/subjects.js';
import { assertPublishSubject, assertSubscribePattern, matchTokens } from '../../src/actors/bus/subject-match.js';

// The subject table of DESIGN "Bus and subjects", written out by hand.
const SUBJECTS: [string, () => string, string][] = [
  ['task command', () => cmdTask('vanguard', 'vanguard-12'), 'mc.vanguard.cmd.task.vanguard-12'],
  ['agent command', () => cmdAgent('vanguard', 'shuri'), 'mc.vanguard.cmd.agent.shuri'],
  ['project command', () => cmdProject('vanguard'), 'mc.vanguard.cmd.project'],
  ['committed events', () => events('vanguard'), 'mc.vanguard.evt'],
  ['task snapshot', () => snapshot('vanguard', 'task', 'vanguard-3'), 'mc.vanguard.snap.task.vanguard-3'],
  ['agent snapshot', () => snapshot('vanguard', 'agent', 'shuri'), 'mc.vanguard.snap.agent.shuri'],
  ['agent inbox', () => inbox('vanguard', 'shuri'), 'mc.vanguard.inbox.shuri'],
  ['node presence', () => sys('presence', 'node_1'), 'mc.sys.presence.node_1'],
  ['project wildcard', () => projectWildcard('vanguard'), 'mc.vanguard.>'],
];

function invalidInput(fn: () => unknown): MissionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MissionError);
    expect((err as MissionError).code).toBe('INVALID_INPUT');
    return err as MissionError;
  }
  throw new Error('expected INVALID_INPUT, nothing was thrown');
}

describe('subject builders', () => {
  it.each(SUBJECTS)('builds the %s subject', (_what, build, expected) => {
    expect(build()).toBe(expected);
  });

  // Each of these would add a token or turn a literal subject into a wildcard.
  const HOSTILE = ['a.b', '*', '>', 'a*', 'a>', 'a b', '', 'a\nb', 'é'];

  it.each(HOSTILE)('refuses the id %j in every position', (bad) => {
    invalidInput(() => cmdTask(bad, 'x-1'));
    invalidInput(() => cmdTask('p', bad));
    invalidInput(() => cmdAgent(bad, 'shuri'));
    invalidInput(() => cmdAgent('p', bad));
    invalidInput(() => cmdProject(bad));
    invalidInput(() => events(bad));
    invalidInput(() => snapshot(bad, 'task', 'x'));
    invalidInput(() => snapshot('p', 'task', bad));
    invalidInput(() => inbox(bad, 'shuri'));
    invalidInput(() => inbox('p', bad));
    invalidInput(() => sys('presence', bad));
    invalidInput(() => projectWildcard(bad));
  });

  it('names the offending field in the error', () => {
    expect(invalidInput(() => cmdTask('p', 'p.1')).data).toEqual({ task_id: 'p.1' });
    expect(invalidInput(() => inbox('a>b', 's')).data).toEqual({ project_id: 'a>b' });
  });

  it('refuses "sys" as a project token because mc.sys.> belongs to the nodes', () => {
    invalidInput(() => events('sys'));
    invalidInput(() => projectWildcard('sys'));
  });

  it('refuses a snapshot kind other than task or agent', () => {
    invalidInput(() => snapshot('p', 'project' as 'task', 'p'));
  });

  it('reads subjects back into their parts', () => {
    expect(parseSubject('mc.vanguard.cmd.task.vanguard-12')).toEqual({ kind: 'command', projectId: 'vanguard', target: 'task', id: 'vanguard-12' });
    expect(parseSubject('mc.vanguard.cmd.agent.shuri')).toEqual({ kind: 'command', projectId: 'vanguard', target: 'agent', id: 'shuri' });
    expect(parseSubject('mc.vanguard.cmd.project')).toEqual({ kind: 'command', projectId: 'vanguard', target: 'project', id: null });
    expect(parseSubject('mc.vanguard.evt')).toEqual({ kind: 'events', projectId: 'vanguard' });
    expect(parseSubject('mc.sys.cmd.soul')).toEqual({ kind: 'sys-command', family: 'soul' });
    expect(parseSubject('mc.vanguard.inbox.shuri')).toEqual({ kind: 'inbox', projectId: 'vanguard', soulId: 'shuri' });
    expect(parseSubject('mc.vanguard.cmd.task')).toBeNull();
    expect(parseSubject('other.vanguard.evt')).toBeNull();
    expect(parseSubject('mc.vanguard.cmd.task.a.b')).toBeNull();
  });
});

describe('NATS subject matching', () => {
  // From the NATS documentation on wildcards: `*` is exactly one token, `>` one or more at the end.
  const MATCHES: [pattern: string, subject: string, matches: boolean][] = [
    ['mc.a.evt', 'mc.a.evt', true],
    ['mc.a.evt', 'mc.b.evt', false],
    ['mc.*.evt', 'mc.a.evt', true],
    ['mc.*.evt', 'mc.a.b.evt', false],
    ['mc.*.evt', 'mc.evt', false],
    ['mc.>', 'mc.a', true],
    ['mc.>', 'mc.a.b.c', true],
    ['mc.>', 'mc', false],
    ['mc.a.>', 'mc.a.cmd.task.a-1', true],
    ['mc.a.>', 'mc.ab.evt', false],
    ['mc.a.>', 'mc.b.evt', false],
    ['mc.*.cmd.>', 'mc.a.cmd.project', true],
    ['mc.*.cmd.>', 'mc.a.cmd', false],
    ['mc.*.cmd.>', 'mc.sys.cmd.soul', true],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['>', 'a.b', true],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
  ];

  it.each(MATCHES)('%s against %s → %s', (pattern, subject, expected) => {
    expect(matchTokens(assertSubscribePattern(pattern), assertPublishSubject(subject).split('.'))).toBe(expected);
  });

  it.each(['a..b', '.a', 'a.', '', 'a b', 'a.>.b', 'a.b*', 'a.>x'])('refuses the pattern %j', (pattern) => {
    invalidInput(() => assertSubscribePattern(pattern));
  });

  it.each(['a.*', 'a.>', '*', 'a..b', '', 'a b'])('refuses publishing to %j', (subject) => {
    invalidInput(() => assertPublishSubject(subject));
  });
});
