import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { MethodDef } from '../registry/method.js';
import type { RpcResponse } from '../rpc/protocol.js';

/** Calls one mission method on behalf of the MCP client (in-process dispatcher, or a remote /rpc). */
export type MissionCall = (method: string, params: Record<string, unknown>) => Promise<RpcResponse>;

function toToolResult(answer: RpcResponse): CallToolResult {
  if ('error' in answer) {
    const body = { ok: false, error: { code: answer.error.data?.code ?? answer.error.code, message: answer.error.message, data: answer.error.data ?? {} } };
    return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }] };
  }
  return { content: [{ type: 'text', text: JSON.stringify(answer.result) }] };
}

/** An MCP server whose tools are the registry's agent tools (SPEC §5 "Tool manifest"). */
export function buildMcpServer(tools: readonly MethodDef[], call: MissionCall, version: string): McpServer {
  const server = new McpServer({ name: 'mission-control', version });
  for (const def of tools) {
    server.registerTool(
      def.tool!,
      { description: `${def.description} (${def.name})`, inputSchema: def.params },
      async (args: unknown) => toToolResult(await call(def.name, (args ?? {}) as Record<string, unknown>)),
    );
  }
  return server;
}
