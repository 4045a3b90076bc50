import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS } from '../../core/index.js';
import { bearerOf, SESSION_COOKIE, type Caller, type CredentialResolver } from './credentials.js';

/** Where a request may carry its credential: bearer header, session cookie, or `?token=` (WS only). */
export function presentedToken(req: FastifyRequest, allowQuery: boolean): string | undefined {
  const bearer = bearerOf(req.headers.authorization);
  if (bearer) return bearer;
  const cookie = req.cookies?.[SESSION_COOKIE];
  if (cookie) return cookie;
  if (allowQuery) {
    const q = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof q === 'string') return q;
  }
  return undefined;
}

/** SPEC §5: a missing or invalid credential is HTTP 401 (with a JSON-RPC shaped body). */
export function sendUnauthenticated(reply: FastifyReply): FastifyReply {
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer')
    .send({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: ERRORS.UNAUTHENTICATED.message, data: { code: 'UNAUTHENTICATED', severity: ERRORS.UNAUTHENTICATED.severity } },
    });
}

export function authenticate(resolver: CredentialResolver, req: FastifyRequest, allowQuery: boolean): Caller | undefined {
  return resolver.resolve(presentedToken(req, allowQuery));
}
