import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance } from 'fastify';
import { authenticate, sendUnauthenticated } from '../auth/authenticate.js';
import type { CredentialResolver } from '../auth/credentials.js';
import type { MethodRegistry } from '../methods/index.js';
import type { RpcDispatcher } from '../rpc/dispatch.js';
import { errorResponse } from '../rpc/protocol.js';
import { buildMcpServer } from './server.js';

export interface McpRouteOptions {
  registry: MethodRegistry;
  dispatcher: RpcDispatcher;
  resolver: CredentialResolver;
  version: string;
}

/**
 * `/mcp`: MCP over Streamable HTTP, stateless (a fresh server + transport per request), for
 * agent and driver tokens. Tool calls go through the same dispatcher as `/rpc`.
 */
export async function mcpPlugin(app: FastifyInstance, opts: McpRouteOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 4 * 1024 * 1024 }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(null, undefined);
    }
  });

  app.all('/mcp', async (req, reply) => {
    const caller = authenticate(opts.resolver, req, false);
    if (!caller) return sendUnauthenticated(reply);
    if (caller.principal.kind !== 'agent' && caller.principal.kind !== 'driver') {
      return reply.code(403).send(errorResponse(null, -32000, 'the MCP endpoint serves agent and driver credentials', { code: 'FORBIDDEN', severity: 'permanent' }));
    }
    let calls = 0;
    const server = buildMcpServer(
      opts.registry.tools(),
      async (method, params) => {
        calls += 1;
        const answer = await opts.dispatcher.handleMessage({ jsonrpc: '2.0', id: calls, method, params }, { caller, requestId: `${req.id}.${calls}` });
        return answer as Exclude<typeof answer, null | unknown[]>;
      },
      opts.version,
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    reply.raw.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req.raw, reply.raw, req.body);
  });
}
