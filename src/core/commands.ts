import { z } from 'zod';
import { SLUG_RE } from './ids.js';
import type { By } from './principal.js';

/**
 * Params of every side-effecting mission method (SPEC §5), validated at the gateway and carried
 * as plain JSON to the runtime (in-process, or over NATS `mc.<project>.cmd.*`). The gateway's
 * method registry uses these schemas as its `params`; queries have their schemas in the registry.
 * The key is the method name without the `mission.` prefix.
 */
const slug = z.string().regex(SLUG_RE, 'must be a slug: [a-z0-9][a-z0-9-]{0,39}');
const taskId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}-[1-9][0-9]{0,9}$/, 'must look like <project_id>-<n>');
const instanceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}:[a-z0-9][a-z0-9-]{0,39}$/, 'must look like <soul_id>:<project_id>');
const text = (max: number) => z.string().min(1).max(max);
/** Agents acting through a `driver` credential name the instance in each call. */
const actingInstance = { instance_id: instanceId.optional() };

export const settingsPatch = z
  .object({
    pulse_interval: z.number().int().min(1).max(86_400),
    pulse_timeout: z.number().int().min(1).max(86_400),
    deadman_timeout: z.number().int().min(1).max(7 * 86_400),
    max_attempts: z.number().int().min(1).max(100),
    require_review: z.boolean(),
    driver: z.string().min(1).max(64),
  })
  .partial()
  .strict();

export const COMMAND_PARAMS = {
  'soul.create': z.object({
    soul_id: slug,
    name: text(120),
    role: z.string().max(64).optional(),
    skills: z.array(z.string().min(1).max(64)).max(64).optional(),
    soul_md: z.string().max(256_000).optional(),
  }),
  'soul.update': z.object({
    soul_id: slug,
    name: text(120).optional(),
    role: z.string().max(64).optional(),
    skills: z.array(z.string().min(1).max(64)).max(64).optional(),
    soul_md: z.string().max(256_000).optional(),
  }),
  'project.init': z.object({
    project_name: text(120),
    project_id: slug.optional(),
    base_id: z.union([slug, z.array(slug).max(200)]).optional(),
    settings: settingsPatch.optional(),
  }),
  'project.archive': z.object({ project_id: slug }),
  'project.delete': z.object({ project_id: slug }),
  'task.create': z.object({
    project_id: slug,
    title: text(500),
    description: z.string().max(64_000).optional(),
    assignee_id: slug.nullable().optional(),
    priority: z.number().int().min(1).max(5).optional(),
    depends_on: z.array(taskId).max(100).optional(),
    ...actingInstance,
  }),
  'task.move': z.object({
    task_id: taskId,
    new_status: z.union([z.string().min(1).max(32), z.number().int()]),
    reason: z.string().max(4_000).optional(),
    ...actingInstance,
  }),
  'task.assign': z.object({ task_id: taskId, assignee_id: slug.nullable(), ...actingInstance }),
  'task.update': z.object({
    task_id: taskId,
    title: text(500).optional(),
    description: z.string().max(64_000).optional(),
    priority: z.number().int().min(1).max(5).optional(),
    depends_on: z.array(taskId).max(100).optional(),
    expected_version: z.number().int().min(1).optional(),
    ...actingInstance,
  }),
  'task.comment': z.object({ task_id: taskId, text: text(16_000), ...actingInstance }),
  'task.answer_help': z.object({ task_id: taskId, answer: text(16_000) }),
  'agent.sync': z.object({
    instance_id: instanceId,
    current_task_id: taskId.nullable().optional(),
    status: z.enum(['idle', 'working', 'distilling', 'blocked']),
  }),
  'agent.create': z.object({ project_id: slug, soul_id: slug }),
  'agent.pause': z.object({ instance_id: instanceId }),
  'agent.resume': z.object({ instance_id: instanceId }),
  'agent.upgrade': z.object({ instance_id: instanceId, soul_version: z.number().int().min(1).optional() }),
  'agent.destroy': z.object({ instance_id: instanceId }),
  'agent.pulse_now': z.object({ instance_id: instanceId }),
  'control.log_event': z.object({ task_id: taskId.optional(), thought: text(16_000), action: text(4_000), ...actingInstance }),
  'control.request_help': z.object({ task_id: taskId.optional(), issue: text(16_000), ...actingInstance }),
  'control.distill_memory': z.object({
    summary: text(64_000),
    archive_working_notes: z.boolean().optional(),
    ...actingInstance,
  }),
  'control.update_chronicle': z.object({ summary: text(64_000), technical_debt: z.string().max(16_000).optional(), ...actingInstance }),
  'message.send': z.object({
    project_id: slug.optional(),
    to: z.string().regex(/^(@all|[a-z0-9][a-z0-9-]{0,39})$/, "must be a soul id or '@all'"),
    text: text(16_000),
    task_id: taskId.optional(),
    ...actingInstance,
  }),
  'inspect.send': z.object({ actor_id: z.string().min(1).max(120), event: z.object({ type: z.string().min(1).max(64) }).passthrough() }),
} as const;

export type CommandName = keyof typeof COMMAND_PARAMS;
export type CommandParams<N extends CommandName> = z.infer<(typeof COMMAND_PARAMS)[N]>;

/** A command as it travels from the gateway to the runtime. */
export interface CommandEnvelope<N extends CommandName = CommandName> {
  name: N;
  params: CommandParams<N>;
  by: By;
  /** Client-supplied key (param or Idempotency-Key header); scoped to the credential. */
  idempotency_key?: string;
  /** Who holds the idempotency key (e.g. 'user:3', 'agent:shuri:vanguard', 'driver:oc1'). */
  principal_key: string;
  request_id?: string;
}

/** The runtime as the gateway sees it: commands in, committed events out. */
export interface MissionRuntime {
  /** Applies a command; resolves after its events are committed; rejects with MissionError. */
  execute<N extends CommandName>(command: CommandEnvelope<N>): Promise<unknown>;
  /** Called after each group commit with the committed events, in seq order per project. */
  onCommitted(listener: (events: import('./views.js').CommittedEvent[]) => void): () => void;
}
