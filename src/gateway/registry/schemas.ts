import { z } from 'zod';
import { TASK_STATUS_NAMES } from '../../core/index.js';

/**
 * Result shapes of the registry: the read models of `src/core/views.ts`, titled so the generated
 * docs name them, and the small answers several methods share.
 */
const statusName = z.enum(TASK_STATUS_NAMES as [string, ...string[]]);
const ms = z.number().int();

export const taskView = z.object({
  id: z.string(),
  project_id: z.string(),
  title: z.string(),
  description: z.string(),
  status: statusName,
  status_code: z.number().int(),
  priority: z.number().int(),
  assignee_id: z.string().nullable(),
  depends_on: z.array(z.string()),
  version: z.number().int(),
  blocked_reason: z.string().nullable(),
  blocked_from: statusName.nullable(),
  attempts: z.number().int(),
  created_at: ms,
  updated_at: ms,
}).meta({ title: 'TaskView' });

export const agentView = z.object({
  id: z.string(),
  soul_id: z.string(),
  project_id: z.string(),
  name: z.string(),
  role: z.string(),
  state: z.string(),
  working: z.boolean(),
  current_task_id: z.string().nullable(),
  soul_version: z.number().int(),
  pulse_slot: z.number().int(),
  last_pulse_at: ms.nullable(),
  next_pulse_at: ms.nullable(),
  last_seen_at: ms.nullable(),
  deadman_at: ms.nullable(),
  driver: z.string(),
}).meta({ title: 'AgentView' });

export const projectView = z.object({
  id: z.string(),
  name: z.string(),
  settings: z.object({
    pulse_interval: z.number(),
    pulse_timeout: z.number(),
    deadman_timeout: z.number(),
    max_attempts: z.number(),
    require_review: z.boolean(),
    driver: z.string(),
  }).meta({ title: 'ProjectSettings' }),
  archived: z.boolean(),
  last_seq: z.number().int(),
  created_at: ms,
  updated_at: ms,
}).meta({ title: 'ProjectView' });

export const soulView = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  skills: z.array(z.string()),
  version: z.number().int(),
  soul_md: z.string(),
}).meta({ title: 'SoulView' });

export const taskEventView = z.object({
  id: z.number().int(),
  task_id: z.string(),
  instance_id: z.string().nullable(),
  kind: z.enum(['log', 'help', 'answer', 'comment', 'system']),
  thought: z.string(),
  action: z.string(),
  created_at: ms,
}).meta({ title: 'TaskEventView' });

export const committedEvent = z.object({
  project_id: z.string(),
  seq: z.number().int(),
  ts: ms,
  type: z.string(),
  actor_kind: z.enum(['task', 'agent', 'project']),
  actor_id: z.string(),
  payload: z.object({
    event: z.looseObject({ type: z.string() }),
    by: z.object({ kind: z.string(), id: z.string().optional() }),
    state_value: z.unknown(),
    view: z.unknown().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  }),
  idempotency_key: z.string().nullable(),
}).meta({ title: 'CommittedEvent' });

/** One entry of a folder listing in an agent's scope (`mission.fs.list`). */
export const folderEntry = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['file', 'dir', 'other']),
  size: z.number().int(),
  modified_at: z.number(),
}).meta({ title: 'FolderEntry' });

/** One project document for humans (`mission.doc.list`). */
export const projectDoc = z.object({
  name: z.string(),
  kind: z.enum(['kanban', 'chronicle', 'context', 'daily', 'soul', 'working', 'learned']),
  size: z.number().int(),
  modified_at: z.number(),
}).meta({ title: 'ProjectDoc' });

/** What an actor's read model is, whichever kind it is (the inspector's answers). */
export const actorView = z.union([taskView, agentView, projectView]);

/** An acknowledgement with nothing more to say (the change is in the feed). */
export const ok = z.object({ ok: z.literal(true) });

/** The read models the generated docs describe field by field, in this order. */
export const READ_MODELS: readonly z.ZodObject[] = [taskView, agentView, projectView, projectView.shape.settings, soulView, taskEventView, committedEvent, folderEntry, projectDoc];
