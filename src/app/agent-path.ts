import type { FastifyInstance } from 'fastify';
import { MissionError, missionErrorFromJSON } from '../core/index.js';

interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string; data?: { code?: string } & Record<string, unknown> };
}

/**
 * Mission methods called in-process exactly as a real agent calls them over HTTP: the request goes
 * through the gateway's whole `/rpc` route (credential, validation, roles, rate limit, runtime)
 * by Fastify's `inject`, without a socket. The simulated squad uses it with its pulse token.
 */
export function agentMethodPath(app: FastifyInstance): (name: string, params: Record<string, unknown>, context: { instanceId: string; token?: string }) => Promise<unknown> {
  let nextId = 1;
  return async (name, params, context) => {
    if (!context.token) throw new MissionError('UNAUTHENTICATED', `no pulse credential for ${context.instanceId}`);
    const res = await app.inject({
      method: 'POST',
      url: '/rpc',
      headers: { authorization: `Bearer ${context.token}`, 'content-type': 'application/json' },
      payload: { jsonrpc: '2.0', id: nextId++, method: name, params },
    });
    if (res.statusCode === 401) throw new MissionError('UNAUTHENTICATED', `pulse credential of ${context.instanceId} refused`);
    const reply = res.json<RpcReply>();
    if (reply.error) {
      const data = reply.error.data ?? {};
      throw missionErrorFromJSON({ code: data.code ?? 'INVALID_INPUT', message: reply.error.message, data });
    }
    return reply.result;
  };
}
