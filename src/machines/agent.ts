import { assign, setup } from 'xstate';
import type { By } from '../core/index.js';
import { isHumanWriter, isOperator, isRuntime, isSelf } from './who.js';

/**
 * The agent instance lifecycle (SPEC §4). Pure: every time arrives in an event (`at`), deadlines
 * are absolute times in context (`next_pulse_at`, `deadman_at`) that the runtime arms timers
 * from, so nothing is lost on restore (DESIGN "Timers are durable by design").
 *
 * `active` has two substates, `idle` and `pulsing` (one pulse in flight). "Working" (holds an
 * in-progress task) is orthogonal to both and is derived: `current_task_id !== null`.
 * The pulse in flight is tracked by `pulse_id` in every state, not only in `active.pulsing`:
 * an agent that asks for help, is paused or expires mid-pulse still gets that pulse's
 * `pulse_end`, which then only clears `pulse_id`.
 *
 * Who: the runtime drives pulses, schedules, deadman and provisioning; the agent itself (or the
 * runtime on its behalf) reports signs of life, syncs, help requests and task holdings; pause,
 * resume, upgrade and destroy are an operator's (human admin/owner) or the runtime's.
 */
export const MACHINE_ID = 'agent';
export const MACHINE_VERSION = 1;

export interface AgentInput {
  id: string; // <soul_id>:<project_id>
  soul_id: string;
  project_id: string;
  soul_version: number;
  is_lead: boolean;
}

export type PulseOutcomeName = 'ok' | 'failed' | 'timeout' | 'aborted';
/** Where an upgrade returns to once applied. */
export type UpgradeReturn = 'active' | 'paused' | 'blocked';

export interface AgentContext extends AgentInput {
  current_task_id: string | null;
  last_seen_at: number | null;
  last_pulse_at: number | null;
  /** The pulse in flight, or null. */
  pulse_id: string | null;
  last_pulse_outcome: PulseOutcomeName | null;
  next_pulse_at: number | null;
  deadman_at: number | null;
  /** The task the agent asked help for while `blocked`. */
  blocked_task_id: string | null;
  pending_soul_version: number | null;
  upgrade_return: UpgradeReturn | null;
}

interface WithBy {
  by: By;
}
export type AgentStatusReport = 'idle' | 'working' | 'distilling' | 'blocked';
export type AgentEvent =
  | ({ type: 'provisioned'; next_pulse_at?: number | null } & WithBy)
  | ({ type: 'pulse_start'; pulse_id: string; at: number; next_pulse_at: number | null } & WithBy)
  | ({ type: 'pulse_end'; pulse_id: string; at: number; outcome: PulseOutcomeName } & WithBy)
  /** Any tool call of the agent; the runtime may push the deadman deadline with it. */
  | ({ type: 'sign_of_life'; at: number; deadman_at?: number | null } & WithBy)
  /** `mission.agent.sync`: a sign of life; which task it holds is decided by task_taken/released. */
  | ({
      type: 'sync';
      at: number;
      status: AgentStatusReport;
      current_task_id?: string | null;
      deadman_at?: number | null;
    } & WithBy)
  | ({ type: 'task_taken'; task_id: string; at: number; deadman_at: number | null } & WithBy)
  | ({ type: 'task_released'; task_id: string } & WithBy)
  | ({ type: 'pause' } & WithBy)
  | ({ type: 'resume'; at: number; next_pulse_at: number | null } & WithBy)
  | ({ type: 'upgrade'; soul_version: number } & WithBy)
  | ({ type: 'upgraded' } & WithBy)
  | ({ type: 'destroy' } & WithBy)
  | ({ type: 'deadman_expire'; at: number } & WithBy)
  | ({ type: 'help_requested'; task_id: string } & WithBy)
  | ({ type: 'help_answered'; task_id: string } & WithBy)
  | ({ type: 'schedule'; next_pulse_at: number | null } & WithBy);

export type AgentEventType = AgentEvent['type'];

/** The transitions every living state shares: bookkeeping that never changes the state. */
const bookkeeping = {
  sign_of_life: { guard: 'bySelfOrRuntime', actions: 'recordSignOfLife' },
  sync: { guard: 'bySelfOrRuntime', actions: 'recordSignOfLife' },
  schedule: { guard: 'byRuntime', actions: 'recordSchedule' },
  task_taken: { guard: 'bySelfOrRuntime', actions: 'holdTask' },
  task_released: { guard: 'releasesHeldTask', actions: 'releaseTask' },
  destroy: { target: '#agent.destroyed', guard: 'byOperatorOrRuntime', actions: 'stopClocks' },
} as const;

/** A pulse that ends outside `active.pulsing` only clears the pulse in flight. */
const lingeringPulseEnd = { pulse_end: { guard: 'endsPulseInFlight', actions: 'endPulse' } } as const;

export const agentMachine = setup({
  types: {} as { context: AgentContext; events: AgentEvent; input: AgentInput },
  guards: {
    byRuntime: ({ event }) => isRuntime(event.by),
    bySelfOrRuntime: ({ context, event }) => isRuntime(event.by) || isSelf(event.by, context.id),
    byOperatorOrRuntime: ({ event }) => isRuntime(event.by) || isOperator(event.by),
    /** A human's answer (member+) reaches the agent, or the runtime relays it. */
    answersHelp: ({ context, event }) =>
      event.type === 'help_answered' &&
      event.task_id === context.blocked_task_id &&
      (isRuntime(event.by) || isHumanWriter(event.by)),
    /** Only the pulse in flight can end; a stale or foreign pulse_id is refused. */
    endsPulseInFlight: ({ context, event }) =>
      event.type === 'pulse_end' &&
      isRuntime(event.by) &&
      context.pulse_id !== null &&
      event.pulse_id === context.pulse_id,
    /** A new pulse only when none is in flight (a pulse never starts twice). */
    startsPulse: ({ context, event }) =>
      event.type === 'pulse_start' && isRuntime(event.by) && context.pulse_id === null,
    releasesHeldTask: ({ context, event }) =>
      event.type === 'task_released' &&
      event.task_id === context.current_task_id &&
      (isRuntime(event.by) || isSelf(event.by, context.id)),
    asksHelp: ({ context, event }) =>
      event.type === 'help_requested' && (isRuntime(event.by) || isSelf(event.by, context.id)),
    /** Only the runtime, only for an agent holding a task, never before the deadline. */
    deadmanDue: ({ context, event }) =>
      event.type === 'deadman_expire' &&
      isRuntime(event.by) &&
      context.current_task_id !== null &&
      context.deadman_at !== null &&
      event.at >= context.deadman_at,
    /** The runtime applied the new SOUL.md; the agent returns to where the upgrade found it. */
    upgradeReturnsTo: ({ context, event }, params: { state: UpgradeReturn }) =>
      isRuntime(event.by) && context.upgrade_return === params.state,
  },
  actions: {
    recordSignOfLife: assign(({ context, event }) => {
      if (event.type !== 'sign_of_life' && event.type !== 'sync') return {};
      return {
        last_seen_at: Math.max(context.last_seen_at ?? event.at, event.at),
        deadman_at:
          event.deadman_at !== undefined && context.current_task_id !== null
            ? event.deadman_at
            : context.deadman_at,
      };
    }),
    recordSchedule: assign({
      next_pulse_at: ({ context, event }) =>
        event.type === 'schedule' ? event.next_pulse_at : context.next_pulse_at,
    }),
    recordProvisioned: assign({
      next_pulse_at: ({ context, event }) =>
        event.type === 'provisioned' && event.next_pulse_at !== undefined
          ? event.next_pulse_at
          : context.next_pulse_at,
    }),
    holdTask: assign(({ context, event }) =>
      event.type === 'task_taken'
        ? {
            current_task_id: event.task_id,
            deadman_at: event.deadman_at,
            last_seen_at: Math.max(context.last_seen_at ?? event.at, event.at),
          }
        : {},
    ),
    releaseTask: assign({ current_task_id: null, deadman_at: null }),
    beginPulse: assign(({ event }) =>
      event.type === 'pulse_start'
        ? { pulse_id: event.pulse_id, last_pulse_at: event.at, next_pulse_at: event.next_pulse_at }
        : {},
    ),
    endPulse: assign(({ context, event }) => ({
      pulse_id: null,
      last_pulse_outcome: event.type === 'pulse_end' ? event.outcome : context.last_pulse_outcome,
    })),
    recordHelpRequest: assign({
      blocked_task_id: ({ context, event }) =>
        event.type === 'help_requested' ? event.task_id : context.blocked_task_id,
    }),
    clearHelpRequest: assign({ blocked_task_id: null }),
    stopPulses: assign({ next_pulse_at: null }),
    recordResume: assign({
      next_pulse_at: ({ context, event }) =>
        event.type === 'resume' ? event.next_pulse_at : context.next_pulse_at,
    }),
    /** The deadman took the task back (the task actor gets its own deadman_expire). */
    loseTask: assign({ current_task_id: null, deadman_at: null }),
    beginUpgrade: assign(({ event }, params: { from: UpgradeReturn }) =>
      event.type === 'upgrade'
        ? { pending_soul_version: event.soul_version, upgrade_return: params.from }
        : {},
    ),
    applyUpgrade: assign(({ context }) => ({
      soul_version: context.pending_soul_version ?? context.soul_version,
      pending_soul_version: null,
      upgrade_return: null,
    })),
    stopClocks: assign({
      next_pulse_at: null,
      deadman_at: null,
      current_task_id: null,
      blocked_task_id: null,
    }),
  },
}).createMachine({
  id: MACHINE_ID,
  context: ({ input }) => ({
    ...input,
    current_task_id: null,
    last_seen_at: null,
    last_pulse_at: null,
    pulse_id: null,
    last_pulse_outcome: null,
    next_pulse_at: null,
    deadman_at: null,
    blocked_task_id: null,
    pending_soul_version: null,
    upgrade_return: null,
  }),
  initial: 'provisioning',
  states: {
    provisioning: {
      on: {
        provisioned: { target: 'active', guard: 'byRuntime', actions: 'recordProvisioned' },
        schedule: bookkeeping.schedule,
        destroy: bookkeeping.destroy,
      },
    },
    active: {
      initial: 'idle',
      on: {
        ...bookkeeping,
        help_requested: { target: 'blocked', guard: 'asksHelp', actions: 'recordHelpRequest' },
        pause: { target: 'paused', guard: 'byOperatorOrRuntime', actions: 'stopPulses' },
        upgrade: {
          target: 'upgrading',
          guard: 'byOperatorOrRuntime',
          actions: { type: 'beginUpgrade', params: { from: 'active' } },
        },
        deadman_expire: { target: 'expired', guard: 'deadmanDue', actions: 'loseTask' },
      },
      states: {
        idle: {
          on: {
            pulse_start: { target: 'pulsing', guard: 'startsPulse', actions: 'beginPulse' },
            // A resume (or answer) during a pulse lands here with the pulse still in flight: its
            // end must still clear pulse_id, or no pulse could ever start again.
            ...lingeringPulseEnd,
          },
        },
        pulsing: {
          on: { pulse_end: { target: 'idle', guard: 'endsPulseInFlight', actions: 'endPulse' } },
        },
      },
    },
    blocked: {
      on: {
        ...bookkeeping,
        ...lingeringPulseEnd,
        help_answered: { target: 'active', guard: 'answersHelp', actions: 'clearHelpRequest' },
        resume: {
          target: 'active',
          guard: 'byOperatorOrRuntime',
          actions: ['clearHelpRequest', 'recordResume'],
        },
        pause: { target: 'paused', guard: 'byOperatorOrRuntime', actions: 'stopPulses' },
        upgrade: {
          target: 'upgrading',
          guard: 'byOperatorOrRuntime',
          actions: { type: 'beginUpgrade', params: { from: 'blocked' } },
        },
      },
    },
    paused: {
      on: {
        ...bookkeeping,
        ...lingeringPulseEnd,
        // An answer while paused is kept out of the way; the agent stays paused.
        help_answered: { guard: 'answersHelp', actions: 'clearHelpRequest' },
        resume: {
          target: 'active',
          guard: 'byOperatorOrRuntime',
          actions: ['clearHelpRequest', 'recordResume'],
        },
        upgrade: {
          target: 'upgrading',
          guard: 'byOperatorOrRuntime',
          actions: { type: 'beginUpgrade', params: { from: 'paused' } },
        },
      },
    },
    upgrading: {
      on: {
        ...bookkeeping,
        ...lingeringPulseEnd,
        upgraded: [
          {
            target: 'paused',
            guard: { type: 'upgradeReturnsTo', params: { state: 'paused' } },
            actions: 'applyUpgrade',
          },
          {
            target: 'blocked',
            guard: { type: 'upgradeReturnsTo', params: { state: 'blocked' } },
            actions: 'applyUpgrade',
          },
          {
            target: 'active',
            guard: { type: 'upgradeReturnsTo', params: { state: 'active' } },
            actions: 'applyUpgrade',
          },
        ],
      },
    },
    expired: {
      on: {
        ...bookkeeping,
        ...lingeringPulseEnd,
        // The instance is pulsed again on its normal schedule; that pulse revives it.
        pulse_start: { target: 'active.pulsing', guard: 'startsPulse', actions: 'beginPulse' },
        resume: { target: 'active', guard: 'byOperatorOrRuntime', actions: 'recordResume' },
        pause: { target: 'paused', guard: 'byOperatorOrRuntime', actions: 'stopPulses' },
        upgrade: {
          target: 'upgrading',
          guard: 'byOperatorOrRuntime',
          actions: { type: 'beginUpgrade', params: { from: 'active' } },
        },
      },
    },
    destroyed: { type: 'final' },
  },
});

export type AgentMachine = typeof agentMachine;
