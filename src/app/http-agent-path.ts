import { MissionError, missionErrorFromJSON } from '../core/index.js';

interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string; data?: { code?: string } & Record<string, unknown> };
}

/**
 * Mission methods called over HTTP on a gateway (`POST <gatewayUrl>/rpc`) with the pulse token,
 * for a runtime process without a gateway of its own (role runtime): the simulated squad then
 * takes the same path as an external agent.
 */
export function httpMethodPath(
  gatewayUrl: string,
  timeoutMs = 30_000,
): (name: string, params: Record<string, unknown>, context: { instanceId: string; token?: string }) => Promise<unknown> {
  const endpoint = new URL('/rpc', gatewayUrl).toString();
  let nextId = 1;
  return async (name, params, context) => {
    if (!context.token) throw new MissionError('UNAUTHENTICATED', `no pulse credential for ${context.instanceId}`);
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${context.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: name, params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new MissionError('BUS_UNAVAILABLE', `gateway ${endpoint} unreachable: ${err instanceof Error ? err.message : String(err)}`, { url: endpoint });
    }
    if (res.status === 401) throw new MissionError('UNAUTHENTICATED', `pulse credential of ${context.instanceId} refused`);
    const reply = (await res.json()) as RpcReply;
    if (reply.error) {
      const data = reply.error.data ?? {};
      throw missionErrorFromJSON({ code: data.code ?? 'INVALID_INPUT', message: reply.error.message, data });
    }
    return reply.result;
  };
}
