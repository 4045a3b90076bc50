import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { packageVersion } from '../../config/index.js';
import { buildMcpServer, MethodRegistry, type RpcResponse } from '../../gateway/index.js';
import { EXIT, UsageError, type CliCommand } from '../command.js';

export const mcpCommand: CliCommand = {
  name: 'mcp',
  summary: "Serve the mission tools over MCP stdio, calling a running server's /rpc with a token",
  usage: ['--token <token> [--url http://127.0.0.1:7400]'],
  details: [
    'For MCP clients that start tools as a process. Standard output carries the MCP protocol;',
    'nothing else is printed there. The token is an agent or driver token (or MC_TOKEN).',
    '',
    'Options:',
    '  --token <token>   bearer token (or MC_TOKEN)',
    '  --url <url>       the Mission Control server (or MC_URL; default http://127.0.0.1:7400)',
  ].join('\n'),
  options: { token: { type: 'string' }, url: { type: 'string' } },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const token = (typeof ctx.values.token === 'string' ? ctx.values.token : undefined) ?? ctx.env.MC_TOKEN;
    if (!token) throw new UsageError('mcp needs --token (or MC_TOKEN)');
    const base = ((typeof ctx.values.url === 'string' ? ctx.values.url : undefined) ?? ctx.env.MC_URL ?? 'http://127.0.0.1:7400').replace(/\/+$/, '');
    let id = 0;
    const call = async (method: string, params: Record<string, unknown>): Promise<RpcResponse> => {
      id += 1;
      const res = await fetch(`${base}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      });
      if (res.status === 401) return { jsonrpc: '2.0', id, error: { code: -32000, message: 'the token was refused', data: { code: 'UNAUTHENTICATED' } } };
      return (await res.json()) as RpcResponse;
    };
    const server = buildMcpServer(new MethodRegistry().tools(), call, packageVersion());
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => (transport.onclose = () => resolve()));
    await server.connect(transport);
    await closed;
    return EXIT.ok;
  },
};
