import { Type, type TSchema } from 'typebox';
import { defineToolPlugin } from 'openclaw/plugin-sdk/tool-plugin';
import { jsonResult } from 'openclaw/plugin-sdk/tool-results';
import { runTool, type MissionConfig, type ToolName } from './mission-client.js';

/**
 * Mission Control's mission tools for agents running in OpenClaw. Each call goes to Mission
 * Control's `/rpc` with the plugin's `driver` credential, naming the instance from the session
 * the call came from (`agent:<soul>:mc-<project>` → `<soul>:<project>`). Tool names and
 * parameters are Mission Control's stable tool API (SPEC §5).
 *
 * Tools use the `factory` form of defineToolPlugin: a plain `execute(params, config, context)`
 * gets no session (its context is {api, signal, toolCallId}), while a factory receives the
 * runtime tool context with `sessionKey` (OpenClaw 2026.9.6 plugin-sdk typings).
 */
const configSchema = Type.Object(
  {
    url: Type.String({ description: 'Mission Control base URL, e.g. http://127.0.0.1:8080' }),
    token: Type.String({ description: 'A Mission Control driver credential (secret)' }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000, description: 'Per-call timeout' })),
  },
  { additionalProperties: false },
);

const TASK_ID = '^[a-z0-9][a-z0-9-]{0,39}-[1-9][0-9]{0,9}$';
const taskId = Type.String({ pattern: TASK_ID, description: 'Task id, <project>-<n>' });
const optionalTask = Type.Optional(Type.String({ pattern: TASK_ID, description: 'Task id; default: your current task' }));

interface ToolSpec {
  name: ToolName;
  label: string;
  description: string;
  parameters: TSchema;
}

/** One tool bound to the session that assembles it; the result keeps OpenClaw's `ok`/`status`/`error`. */
function missionTool(spec: ToolSpec) {
  return {
    ...spec,
    factory: ({ config, toolContext }: { config: MissionConfig; toolContext: { sessionKey?: string } }) => ({
      name: spec.name,
      label: spec.label,
      description: spec.description,
      parameters: spec.parameters,
      execute: async (_toolCallId: string, params: unknown) =>
        jsonResult(await runTool(config, spec.name, (params ?? {}) as Record<string, unknown>, toolContext.sessionKey)),
    }),
  };
}

export default defineToolPlugin({
  id: 'mission-control',
  name: 'Mission Control',
  description: 'Report thoughts, ask for help, keep memory and move tasks on the Mission Control board.',
  configSchema,
  tools: (tool) => [
    tool(missionTool({
      name: 'log_event',
      label: 'Log event',
      description: 'Record what you think and what you do next in the task thought stream. Call it before taking any other action.',
      parameters: Type.Object({ thought: Type.String({ minLength: 1 }), action: Type.String({ minLength: 1 }), task_id: optionalTask }, { additionalProperties: false }),
    })),
    tool(missionTool({
      name: 'request_help',
      label: 'Request help',
      description: 'Block your task and ask a human for help; the answer reaches you on a later pulse.',
      parameters: Type.Object({ issue: Type.String({ minLength: 1 }), task_id: optionalTask }, { additionalProperties: false }),
    })),
    tool(missionTool({
      name: 'distill_memory',
      label: 'Distill memory',
      description: 'Move what matters from working notes into learned.md (after finishing a task).',
      parameters: Type.Object({ summary: Type.String({ minLength: 1 }), archive_working_notes: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    })),
    tool(missionTool({
      name: 'update_chronicle',
      label: 'Update chronicle',
      description: "Add to the project's CHRONICLE.md narrative.",
      parameters: Type.Object({ summary: Type.String({ minLength: 1 }), technical_debt: Type.Optional(Type.String()) }, { additionalProperties: false }),
    })),
    tool(missionTool({
      name: 'task_list',
      label: 'List tasks',
      description: "List your project's tasks, optionally by status (backlog, in_progress, review, done, blocked, archived) or assignee.",
      parameters: Type.Object(
        { status: Type.Optional(Type.Array(Type.String())), assignee_id: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) },
        { additionalProperties: false },
      ),
    })),
    tool(missionTool({
      name: 'task_move',
      label: 'Move task',
      description: 'Move one of your tasks to a new status (e.g. in_progress, review, done, blocked with a reason).',
      parameters: Type.Object({ task_id: taskId, new_status: Type.String({ minLength: 1 }), reason: Type.Optional(Type.String()) }, { additionalProperties: false }),
    })),
    tool(missionTool({
      name: 'task_comment',
      label: 'Comment on task',
      description: 'Add a comment to a task.',
      parameters: Type.Object({ task_id: taskId, text: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    })),
    tool(missionTool({
      name: 'message_send',
      label: 'Send message',
      description: "Send a message to another agent of the project (its soul id) or to everyone ('@all').",
      parameters: Type.Object({ to: Type.String({ minLength: 1 }), text: Type.String({ minLength: 1 }), task_id: optionalTask }, { additionalProperties: false }),
    })),
  ],
});
