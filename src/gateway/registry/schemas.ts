import { z } from 'zod';
import { TASK_STATUS_NAMES } from '../../core/index.js';

/** Result shapes of the registry (read models of `src/core/views.ts`), for docs and manifests. */
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
});

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
});

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
  }),
  archived: z.boolean(),
  last_seq: z.number().int(),
  created_at: ms,
  updated_at: ms,
});

export const soulView = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  skills: z.array(z.string()),
  version: z.number().int(),
  soul_md: z.string(),
});

export const taskEventView = z.object({
  id: z.number().int(),
  task_id: z.string(),
  instance_id: z.string().nullable(),
  kind: z.string(),
  thought: z.string(),
  action: z.string(),
  created_at: ms,
});

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
});

/** Whatever the runtime answers for a command (a read model or an acknowledgement). */
export const commandResult = z.unknown();
export const ok = z.object({ ok: z.literal(true) });
