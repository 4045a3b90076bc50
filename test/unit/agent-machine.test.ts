import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { AgentState, By } from '../../src/core/index.js';
import {
  agentMachine,
  agentStateOf,
  toAgentView,
  type AgentEvent,
  type AgentEventType,
} from '../../src/machines/index.js';

const ID = 'shuri:vanguard';
const BY = {
  self: { kind: 'agent', instanceId: ID, soulId: 'shuri', isLead: false },
  other: { kind: 'agent', instanceId: 'friday:vanguard', soulId: 'friday', isLead: false },
  lead: { kind: 'agent', instanceId: 'jarvis:vanguard', soulId: 'jarvis', isLead: true },
  member: { kind: 'human', userId: 2, username: 'pepper', role: 'member' },
  owner: { kind: 'human', userId: 3, username: 'tony', role: 'owner' },
  viewer: { kind: 'human', userId: 4, username: 'happy', role: 'viewer' },
  runtime: { kind: 'runtime' },
} as const satisfies Record<string, By>;
type Who = keyof typeof BY;
const WHO = Object.keys(BY) as Who[];
const RT = BY.runtime;

type Setup = AgentState;
const SETUPS: Setup[] = [
  'provisioning',
  'idle',
  'pulsing',
  'blocked',
  'paused',
  'upgrading',
  'expired',
  'destroyed',
];

/**
 * Reaches each state the way the runtime would. Every living state but `expired` holds task
 * vanguard-1 (deadman due at t=1000); `pulsing` has pulse-1 in flight; `blocked` asked help
 * on vanguard-1; `expired` lost its task to the deadman.
 */
function agentIn(state: Setup) {
  const actor = createActor(agentMachine, {
    input: { id: ID, soul_id: 'shuri', project_id: 'vanguard', soul_version: 1, is_lead: false },
  }).start();
  const send = (e: AgentEvent): void => actor.send(e);
  if (state === 'destroyed') send({ type: 'destroy', by: RT });
  if (state !== 'provisioning' && state !== 'destroyed') {
    send({ type: 'provisioned', by: RT, next_pulse_at: 500 });
    send({ type: 'task_taken', by: RT, task_id: 'vanguard-1', at: 100, deadman_at: 1000 });
  }
  if (state === 'pulsing')
    send({ type: 'pulse_start', by: RT, pulse_id: 'pulse-1', at: 500, next_pulse_at: 60_500 });
  if (state === 'blocked') send({ type: 'help_requested', by: BY.self, task_id: 'vanguard-1' });
  if (state === 'paused') send({ type: 'pause', by: BY.owner });
  if (state === 'upgrading') send({ type: 'upgrade', by: BY.owner, soul_version: 2 });
  if (state === 'expired') send({ type: 'deadman_expire', by: RT, at: 2000 });
  expect(agentStateOf(actor.getSnapshot())).toBe(state);
  return actor;
}

/** One well-formed instance of every event, sent by a sender SPEC §4 allows. */
const EVENTS: Record<AgentEventType, AgentEvent> = {
  provisioned: { type: 'provisioned', by: RT },
  pulse_start: { type: 'pulse_start', by: RT, pulse_id: 'pulse-2', at: 60_500, next_pulse_at: 120_500 },
  pulse_end: { type: 'pulse_end', by: RT, pulse_id: 'pulse-1', at: 3000, outcome: 'ok' },
  sign_of_life: { type: 'sign_of_life', by: BY.self, at: 3000 },
  sync: { type: 'sync', by: BY.self, at: 3000, status: 'working', current_task_id: 'vanguard-1' },
  task_taken: { type: 'task_taken', by: RT, task_id: 'vanguard-2', at: 3000, deadman_at: 9000 },
  task_released: { type: 'task_released', by: RT, task_id: 'vanguard-1' },
  pause: { type: 'pause', by: BY.owner },
  resume: { type: 'resume', by: BY.owner, at: 3000, next_pulse_at: 60_500 },
  upgrade: { type: 'upgrade', by: BY.owner, soul_version: 2 },
  upgraded: { type: 'upgraded', by: RT },
  destroy: { type: 'destroy', by: BY.owner },
  deadman_expire: { type: 'deadman_expire', by: RT, at: 5000 },
  help_requested: { type: 'help_requested', by: BY.self, task_id: 'vanguard-1' },
  help_answered: { type: 'help_answered', by: BY.member, task_id: 'vanguard-1' },
  schedule: { type: 'schedule', by: RT, next_pulse_at: 90_000 },
};
const EVENT_TYPES = Object.keys(EVENTS) as AgentEventType[];

/**
 * SPEC §4, by hand: the state after each event in each state; a missing entry means refused.
 * Bookkeeping events (signs of life, schedule, task holdings) keep the state.
 */
const NEXT: Record<Setup, Partial<Record<AgentEventType, AgentState>>> = {
  provisioning: { provisioned: 'idle', schedule: 'provisioning', destroy: 'destroyed' },
  idle: {
    pulse_start: 'pulsing',
    sign_of_life: 'idle',
    sync: 'idle',
    task_taken: 'idle',
    task_released: 'idle',
    pause: 'paused',
    upgrade: 'upgrading',
    destroy: 'destroyed',
    deadman_expire: 'expired',
    help_requested: 'blocked',
    schedule: 'idle',
  },
  pulsing: {
    pulse_end: 'idle',
    sign_of_life: 'pulsing',
    sync: 'pulsing',
    task_taken: 'pulsing',
    task_released: 'pulsing',
    pause: 'paused',
    upgrade: 'upgrading',
    destroy: 'destroyed',
    deadman_expire: 'expired',
    help_requested: 'blocked',
    schedule: 'pulsing',
  },
  blocked: {
    sign_of_life: 'blocked',
    sync: 'blocked',
    task_taken: 'blocked',
    task_released: 'blocked',
    pause: 'paused',
    resume: 'idle',
    upgrade: 'upgrading',
    destroy: 'destroyed',
    help_answered: 'idle',
    schedule: 'blocked',
  },
  paused: {
    sign_of_life: 'paused',
    sync: 'paused',
    task_taken: 'paused',
    task_released: 'paused',
    resume: 'idle',
    upgrade: 'upgrading',
    destroy: 'destroyed',
    schedule: 'paused',
  },
  upgrading: {
    sign_of_life: 'upgrading',
    sync: 'upgrading',
    task_taken: 'upgrading',
    task_released: 'upgrading',
    upgraded: 'idle',
    destroy: 'destroyed',
    schedule: 'upgrading',
  },
  expired: {
    pulse_start: 'pulsing',
    sign_of_life: 'expired',
    sync: 'expired',
    task_taken: 'expired',
    pause: 'paused',
    resume: 'idle',
    upgrade: 'upgrading',
    destroy: 'destroyed',
    schedule: 'expired',
  },
  destroyed: {},
};

describe('agent machine: every state × every event against SPEC §4', () => {
  for (const state of SETUPS) {
    for (const type of EVENT_TYPES) {
      const expected = NEXT[state][type];
      it(`${expected ? 'accepts' : 'refuses'} ${type} in ${state}${expected ? ` → ${expected}` : ''}`, () => {
        const actor = agentIn(state);
        const before = actor.getSnapshot();
        expect(before.can(EVENTS[type])).toBe(expected !== undefined);
        // A destroyed actor is stopped: XState drops (and warns about) anything sent to it.
        if (before.status === 'done') return;
        actor.send(EVENTS[type]);
        const after = actor.getSnapshot();
        if (expected) {
          expect(agentStateOf(after)).toBe(expected);
        } else {
          expect(after.value).toEqual(before.value);
          expect(after.context).toEqual(before.context);
        }
      });
    }
  }
});

/** Who may send each event (SPEC §4 + the brief): checked in a state where the event is legal. */
const WHO_MAY: Record<AgentEventType, { state: Setup; who: Who[] }> = {
  provisioned: { state: 'provisioning', who: ['runtime'] },
  pulse_start: { state: 'idle', who: ['runtime'] },
  pulse_end: { state: 'pulsing', who: ['runtime'] },
  schedule: { state: 'idle', who: ['runtime'] },
  upgraded: { state: 'upgrading', who: ['runtime'] },
  deadman_expire: { state: 'idle', who: ['runtime'] },
  sign_of_life: { state: 'idle', who: ['self', 'runtime'] },
  sync: { state: 'idle', who: ['self', 'runtime'] },
  task_taken: { state: 'idle', who: ['self', 'runtime'] },
  task_released: { state: 'idle', who: ['self', 'runtime'] },
  help_requested: { state: 'idle', who: ['self', 'runtime'] },
  pause: { state: 'idle', who: ['owner', 'runtime'] },
  resume: { state: 'paused', who: ['owner', 'runtime'] },
  upgrade: { state: 'idle', who: ['owner', 'runtime'] },
  destroy: { state: 'idle', who: ['owner', 'runtime'] },
  help_answered: { state: 'blocked', who: ['member', 'owner', 'runtime'] },
};

describe('agent machine: who may send each event', () => {
  for (const type of EVENT_TYPES) {
    for (const who of WHO) {
      const { state, who: allowed } = WHO_MAY[type];
      const legal = allowed.includes(who);
      it(`${legal ? 'accepts' : 'refuses'} ${type} from ${who}`, () => {
        const snapshot = agentIn(state).getSnapshot();
        expect(snapshot.can({ ...EVENTS[type], by: BY[who] } as AgentEvent)).toBe(legal);
      });
    }
  }
});

describe('agent machine guards and context', () => {
  it('refuses a pulse_end for another pulse id, and a second pulse while one is in flight', () => {
    const actor = agentIn('pulsing');
    actor.send({ type: 'pulse_end', by: RT, pulse_id: 'pulse-0', at: 900, outcome: 'ok' });
    actor.send({ type: 'pulse_start', by: RT, pulse_id: 'pulse-3', at: 900, next_pulse_at: 2000 });
    expect(agentStateOf(actor.getSnapshot())).toBe('pulsing');
    expect(actor.getSnapshot().context.pulse_id).toBe('pulse-1');
    actor.send({ type: 'pulse_end', by: RT, pulse_id: 'pulse-1', at: 900, outcome: 'timeout' });
    expect(actor.getSnapshot().context).toMatchObject({
      pulse_id: null,
      last_pulse_outcome: 'timeout',
      last_pulse_at: 500,
      next_pulse_at: 60_500,
    });
  });

  it('never fires the deadman early, nor for an agent holding no task', () => {
    const actor = agentIn('idle');
    actor.send({ type: 'deadman_expire', by: RT, at: 999 });
    expect(agentStateOf(actor.getSnapshot())).toBe('idle');
    actor.send({ type: 'task_released', by: RT, task_id: 'vanguard-1' });
    actor.send({ type: 'deadman_expire', by: RT, at: 5000 });
    expect(agentStateOf(actor.getSnapshot())).toBe('idle');
  });

  it('pushes the deadman on a sign of life while working, and expiry takes the task away', () => {
    const actor = agentIn('idle');
    actor.send({ type: 'sign_of_life', by: BY.self, at: 800, deadman_at: 1800 });
    expect(actor.getSnapshot().context).toMatchObject({
      last_seen_at: 800,
      deadman_at: 1800,
      current_task_id: 'vanguard-1',
    });
    actor.send({ type: 'deadman_expire', by: RT, at: 1500 });
    expect(agentStateOf(actor.getSnapshot())).toBe('idle');
    actor.send({ type: 'deadman_expire', by: RT, at: 1800 });
    expect(agentStateOf(actor.getSnapshot())).toBe('expired');
    expect(actor.getSnapshot().context).toMatchObject({ current_task_id: null, deadman_at: null });
  });

  it('returns an expired agent to active.pulsing on its next scheduled pulse', () => {
    const actor = agentIn('expired');
    actor.send({ type: 'pulse_start', by: RT, pulse_id: 'pulse-7', at: 60_500, next_pulse_at: 120_500 });
    expect(actor.getSnapshot().value).toEqual({ active: 'pulsing' });
  });

  it('keeps the pulse in flight when help is asked mid-pulse, and ends it while blocked', () => {
    const actor = agentIn('pulsing');
    actor.send({ type: 'help_requested', by: BY.self, task_id: 'vanguard-1' });
    expect(agentStateOf(actor.getSnapshot())).toBe('blocked');
    expect(actor.getSnapshot().context).toMatchObject({ pulse_id: 'pulse-1', blocked_task_id: 'vanguard-1' });
    actor.send({ type: 'pulse_start', by: RT, pulse_id: 'pulse-2', at: 1, next_pulse_at: 2 });
    expect(actor.getSnapshot().context.pulse_id).toBe('pulse-1');
    actor.send({ type: 'pulse_end', by: RT, pulse_id: 'pulse-1', at: 700, outcome: 'ok' });
    expect(agentStateOf(actor.getSnapshot())).toBe('blocked');
    expect(actor.getSnapshot().context.pulse_id).toBeNull();
    actor.send({ type: 'help_answered', by: BY.member, task_id: 'vanguard-9' });
    expect(agentStateOf(actor.getSnapshot())).toBe('blocked');
    actor.send({ type: 'help_answered', by: BY.member, task_id: 'vanguard-1' });
    expect(agentStateOf(actor.getSnapshot())).toBe('idle');
    expect(actor.getSnapshot().context.blocked_task_id).toBeNull();
  });

  it('keeps in-progress work across an upgrade and returns to where the upgrade found it', () => {
    for (const from of ['idle', 'paused', 'blocked'] as const) {
      const actor = agentIn(from);
      actor.send({ type: 'upgrade', by: BY.owner, soul_version: 4 });
      expect(actor.getSnapshot().context).toMatchObject({
        pending_soul_version: 4,
        soul_version: 1,
        current_task_id: 'vanguard-1',
      });
      actor.send({ type: 'upgraded', by: RT });
      expect(agentStateOf(actor.getSnapshot())).toBe(from);
      expect(actor.getSnapshot().context).toMatchObject({
        soul_version: 4,
        pending_soul_version: null,
        current_task_id: 'vanguard-1',
      });
    }
  });

  it('stops scheduling on pause and re-arms on resume', () => {
    const actor = agentIn('idle');
    actor.send({ type: 'pause', by: BY.owner });
    expect(actor.getSnapshot().context.next_pulse_at).toBeNull();
    actor.send({ type: 'resume', by: RT, at: 4000, next_pulse_at: 64_000 });
    expect(actor.getSnapshot().context.next_pulse_at).toBe(64_000);
  });

  it('is final once destroyed, with no deadline left', () => {
    const actor = agentIn('pulsing');
    actor.send({ type: 'destroy', by: BY.owner });
    const s = actor.getSnapshot();
    expect(s.status).toBe('done');
    expect(s.context).toMatchObject({ next_pulse_at: null, deadman_at: null, current_task_id: null });
  });

  it('serialises its definition to JSON listing every state', () => {
    const json = JSON.parse(JSON.stringify(agentMachine.toJSON())) as {
      states: Record<string, { states: Record<string, unknown> }>;
    };
    expect(Object.keys(json.states).sort()).toEqual([
      'active',
      'blocked',
      'destroyed',
      'expired',
      'paused',
      'provisioning',
      'upgrading',
    ]);
    expect(Object.keys(json.states.active?.states ?? {}).sort()).toEqual(['idle', 'pulsing']);
  });

  it('renders an AgentView with working derived from the held task', () => {
    const view = toAgentView(agentIn('pulsing').getSnapshot(), {
      name: 'Shuri',
      role: 'engineer',
      pulse_slot: 17,
      driver: 'simulated',
    });
    expect(view).toEqual({
      id: ID,
      soul_id: 'shuri',
      project_id: 'vanguard',
      name: 'Shuri',
      role: 'engineer',
      state: 'pulsing',
      working: true,
      current_task_id: 'vanguard-1',
      soul_version: 1,
      pulse_slot: 17,
      last_pulse_at: 500,
      next_pulse_at: 60_500,
      last_seen_at: 100,
      deadman_at: 1000,
      driver: 'simulated',
    });
  });
});
