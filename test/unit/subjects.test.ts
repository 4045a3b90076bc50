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
import { commandSubject } from '../../src/actors/bus/command-route.js';
import type { By, CommandEnvelope, CommandName } from '../../src/core/index.js';

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

describe('command routing (the actor whose subject a command travels on)', () => {
  const human: By = { kind: 'human', userId: 1, username: 'ada', role: 'owner' };
  const agent: By = { kind: 'agent', instanceId: 'shuri:vanguard', soulId: 'shuri', isLead: false };
  const env = (name: CommandName, params: Record<string, unknown>, by: By = human): CommandEnvelope =>
    ({ name, params, by, principal_key: 'user:1' }) as CommandEnvelope;

  // DESIGN step 3: task commands go to the task, instance commands to the agent, the rest to the project.
  const ROUTES: [CommandName, Record<string, unknown>, By, string][] = [
    ['task.move', { task_id: 'vanguard-12', new_status: 'done' }, human, 'mc.vanguard.cmd.task.vanguard-12'],
    ['task.assign', { task_id: 'vanguard-12', assignee_id: 'shuri' }, human, 'mc.vanguard.cmd.task.vanguard-12'],
    ['task.update', { task_id: 'ops-team-7', title: 't' }, human, 'mc.ops-team.cmd.task.ops-team-7'],
    ['task.comment', { task_id: 'vanguard-1', text: 'hi' }, agent, 'mc.vanguard.cmd.task.vanguard-1'],
    ['task.answer_help', { task_id: 'vanguard-1', answer: 'yes' }, human, 'mc.vanguard.cmd.task.vanguard-1'],
    ['task.create', { project_id: 'vanguard', title: 't' }, human, 'mc.vanguard.cmd.project'],
    ['project.init', { project_name: 'Vanguard Ops' }, human, 'mc.vanguard-ops.cmd.project'],
    ['project.init', { project_name: 'Vanguard Ops', project_id: 'vg' }, human, 'mc.vg.cmd.project'],
    ['project.archive', { project_id: 'vanguard' }, human, 'mc.vanguard.cmd.project'],
    ['project.delete', { project_id: 'vanguard' }, human, 'mc.vanguard.cmd.project'],
    ['agent.create', { project_id: 'vanguard', soul_id: 'shuri' }, human, 'mc.vanguard.cmd.agent.shuri'],
    ['agent.pause', { instance_id: 'shuri:vanguard' }, human, 'mc.vanguard.cmd.agent.shuri'],
    ['agent.sync', { instance_id: 'shuri:vanguard', status: 'idle' }, agent, 'mc.vanguard.cmd.agent.shuri'],
    ['agent.pulse_now', { instance_id: 'okoye:vanguard' }, human, 'mc.vanguard.cmd.agent.okoye'],
    ['control.log_event', { task_id: 'vanguard-3', thought: 't', action: 'a' }, agent, 'mc.vanguard.cmd.task.vanguard-3'],
    ['control.log_event', { thought: 't', action: 'a' }, agent, 'mc.vanguard.cmd.agent.shuri'],
    ['control.log_event', { thought: 't', action: 'a', instance_id: 'okoye:wakanda' }, { kind: 'runtime' }, 'mc.wakanda.cmd.agent.okoye'],
    ['control.request_help', { issue: 'stuck' }, agent, 'mc.vanguard.cmd.agent.shuri'],
    ['control.distill_memory', { summary: 's' }, agent, 'mc.vanguard.cmd.agent.shuri'],
    ['control.update_chronicle', { summary: 's' }, agent, 'mc.vanguard.cmd.project'],
    ['message.send', { to: '@all', text: 'hi' }, agent, 'mc.vanguard.cmd.project'],
    ['message.send', { project_id: 'wakanda', to: 'shuri', text: 'hi' }, human, 'mc.wakanda.cmd.project'],
    ['soul.create', { soul_id: 'shuri', name: 'Shuri' }, human, 'mc.sys.cmd.soul'],
    ['soul.update', { soul_id: 'shuri', name: 'Shuri' }, human, 'mc.sys.cmd.soul'],
    ['inspect.send', { actor_id: 'vanguard-4', event: { type: 'start' } }, human, 'mc.vanguard.cmd.task.vanguard-4'],
    ['inspect.send', { actor_id: 'shuri:vanguard', event: { type: 'pause' } }, human, 'mc.vanguard.cmd.agent.shuri'],
  ];

  it.each(ROUTES)('%s %j by %j → %s', (name, params, by, expected) => {
    expect(commandSubject(env(name, params, by))).toBe(expected);
  });

  it('refuses an instance-scoped command that names no instance', () => {
    invalidInput(() => commandSubject(env('control.distill_memory', { summary: 's' }, human)));
  });

  it('refuses a task id that would break the subject', () => {
    invalidInput(() => commandSubject(env('task.move', { task_id: 'a.b-1', new_status: 'done' })));
    invalidInput(() => commandSubject(env('task.move', { task_id: 'sys-1', new_status: 'done' })));
  });
});
