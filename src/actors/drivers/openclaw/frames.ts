import { z } from 'zod';

/**
 * OpenClaw Gateway protocol 4 frames, as recorded from a real gateway (npm `openclaw` 2026.9.6,
 * /work/shared/openclaw/*). Not JSON-RPC: `req` / `res` / `event`, and one `req` may get two
 * `res` frames with the same id (`agent`: accepted, then final).
 */
export const PROTOCOL_VERSION = 4;

export const gatewayErrorSchema = z
  .object({
    code: z.string(),
    message: z.string(),
    retryable: z.boolean().optional(),
    retryAfterMs: z.number().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
export type GatewayError = z.infer<typeof gatewayErrorSchema>;

export const frameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('req'), id: z.string(), method: z.string(), params: z.unknown().optional() }).passthrough(),
  z
    .object({ type: z.literal('res'), id: z.string(), ok: z.boolean(), payload: z.unknown().optional(), error: gatewayErrorSchema.optional() })
    .passthrough(),
  z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown().optional(), seq: z.number().optional() }).passthrough(),
]);
export type Frame = z.infer<typeof frameSchema>;
export type ResFrame = Extract<Frame, { type: 'res' }>;
export type EventFrame = Extract<Frame, { type: 'event' }>;

/** The parts of `hello-ok` the driver relies on; the rest is kept as is. */
export const helloOkSchema = z
  .object({
    type: z.literal('hello-ok'),
    protocol: z.number(),
    server: z.object({ version: z.string() }).passthrough().optional(),
    features: z.object({ methods: z.array(z.string()), events: z.array(z.string()).optional() }).passthrough(),
    auth: z.object({ role: z.string().optional(), scopes: z.array(z.string()).optional() }).passthrough().optional(),
    policy: z.object({ tickIntervalMs: z.number().optional(), maxPayload: z.number().optional() }).passthrough().optional(),
  })
  .passthrough();
export type HelloOk = z.infer<typeof helloOkSchema>;

/** The operator scopes a backend client needs; without them every call fails FORBIDDEN. */
export const OPERATOR_SCOPES = ['operator.read', 'operator.write', 'operator.admin'] as const;

export interface ConnectParams {
  minProtocol: number;
  maxProtocol: number;
  client: { id: 'gateway-client'; version: string; platform: 'linux'; mode: 'backend' };
  role: 'operator';
  scopes: string[];
  caps: string[];
  auth: { token: string };
}

/** `connect` as the gateway accepts it: unknown fields are rejected, so nothing else goes in. */
export function connectParams(token: string, clientVersion: string): ConnectParams {
  return {
    minProtocol: PROTOCOL_VERSION,
    maxProtocol: PROTOCOL_VERSION,
    client: { id: 'gateway-client', version: clientVersion, platform: 'linux', mode: 'backend' },
    role: 'operator',
    scopes: [...OPERATOR_SCOPES],
    // Tool start/result events reach the client only with this capability.
    caps: ['tool-events'],
    auth: { token },
  };
}

/** Session key of one instance: `agent:<agentId>:<key>`, the agent being the soul. */
export function sessionKeyFor(soulId: string, projectId: string): string {
  return `agent:${soulId}:mc-${projectId}`;
}

/** The instance a session key names (`agent:<soul>:mc-<project>` → `<soul>:<project>`), or null. */
export function instanceFromSessionKey(key: string): string | null {
  const m = /^agent:([a-z0-9][a-z0-9-]{0,39}):mc-([a-z0-9][a-z0-9-]{0,39})$/.exec(key);
  return m ? `${m[1]}:${m[2]}` : null;
}
