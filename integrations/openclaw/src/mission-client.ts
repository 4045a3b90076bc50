/**
 * Calls Mission Control's JSON-RPC endpoint (`POST <url>/rpc`) for one agent instance, with the
 * gateway's `driver` credential, and shapes the answer the way OpenClaw reads a tool result:
 * top-level `ok` / `status` / `error` decide whether the call succeeded. No OpenClaw import here,
 * so this part runs and is tested on any Node.
 */
export interface MissionConfig {
  /** Base URL of Mission Control, e.g. http://127.0.0.1:8080 */
  url: string;
  /** A `driver` credential of Mission Control (mission-control token create --driver …). */
  token: string;
  timeoutMs?: number;
}

export type ToolResult =
  | { ok: true; status: 'ok'; result: unknown }
  | { ok: false; status: 'error'; error: { code: string; message: string; severity?: string } };

export interface Instance {
  /** `<soul>:<project>`, the Mission Control instance id. */
  instanceId: string;
  soulId: string;
  projectId: string;
}

const SESSION_KEY = /^agent:([a-z0-9][a-z0-9-]{0,39}):mc-([a-z0-9][a-z0-9-]{0,39})$/;

/** `agent:<soul>:mc-<project>` → the instance; null for a session Mission Control did not start. */
export function instanceFromSessionKey(sessionKey: string | undefined): Instance | null {
  const m = sessionKey ? SESSION_KEY.exec(sessionKey) : null;
  if (!m || !m[1] || !m[2]) return null;
  return { instanceId: `${m[1]}:${m[2]}`, soulId: m[1], projectId: m[2] };
}

let nextId = 1;

export async function callMission(config: MissionConfig, method: string, params: Record<string, unknown>): Promise<ToolResult> {
  if (!config.url || !config.token) {
    return fail('CONFIG_INVALID', 'The Mission Control plugin needs `url` and `token` in plugins.entries.<id>.config');
  }
  const endpoint = `${config.url.replace(/\/+$/, '')}/rpc`;
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${config.token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
      signal: AbortSignal.timeout(config.timeoutMs ?? 15_000),
    });
  } catch (err) {
    return fail('DRIVER_UNAVAILABLE', `Mission Control at ${endpoint} is unreachable: ${err instanceof Error ? err.message : String(err)}`, 'transient');
  }
  if (response.status === 401) return fail('UNAUTHENTICATED', 'Mission Control refused the plugin token (HTTP 401): check the driver credential');
  let body: { result?: unknown; error?: { code?: number; message?: string; data?: { code?: string; severity?: string } } };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    return fail('INTERNAL', `Mission Control answered HTTP ${response.status} without JSON`);
  }
  if (body.error) {
    const code = body.error.data?.code ?? `JSONRPC_${body.error.code ?? 'ERROR'}`;
    return fail(code, body.error.message ?? 'error', body.error.data?.severity);
  }
  return { ok: true, status: 'ok', result: body.result ?? null };
}

function fail(code: string, message: string, severity?: string): ToolResult {
  return { ok: false, status: 'error', error: severity ? { code, message, severity } : { code, message } };
}

/** One tool = one mission method; `project` adds the session's project where the method needs it. */
export interface ToolBinding {
  method: string;
  withProject?: boolean;
}

export const TOOL_METHODS = {
  log_event: { method: 'mission.control.log_event' },
  request_help: { method: 'mission.control.request_help' },
  distill_memory: { method: 'mission.control.distill_memory' },
  update_chronicle: { method: 'mission.control.update_chronicle' },
  task_list: { method: 'mission.task.list', withProject: true },
  task_move: { method: 'mission.task.move' },
  task_comment: { method: 'mission.task.comment' },
  message_send: { method: 'mission.message.send', withProject: true },
} as const satisfies Record<string, ToolBinding>;
export type ToolName = keyof typeof TOOL_METHODS;

/** Runs one tool call for the session that made it (the instance is never taken from the model). */
export async function runTool(config: MissionConfig, tool: ToolName, params: Record<string, unknown>, sessionKey: string | undefined): Promise<ToolResult> {
  const instance = instanceFromSessionKey(sessionKey);
  if (!instance) {
    return fail('FORBIDDEN', `This session (${sessionKey ?? 'unknown'}) is not a Mission Control instance session (agent:<soul>:mc-<project>)`);
  }
  const binding: ToolBinding = TOOL_METHODS[tool];
  const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  return callMission(config, binding.method, {
    ...clean,
    ...(binding.withProject ? { project_id: instance.projectId } : {}),
    instance_id: instance.instanceId,
  });
}
