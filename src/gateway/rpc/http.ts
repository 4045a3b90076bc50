import type { FastifyInstance } from 'fastify';
import { authenticate, sendUnauthenticated } from '../auth/authenticate.js';
import type { CredentialResolver } from '../auth/credentials.js';
import type { RpcDispatcher } from './dispatch.js';
import { codeErrorResponse, errorResponse, PARSE_ERROR } from './protocol.js';

export interface HttpRpcOptions {
  dispatcher: RpcDispatcher;
  resolver: CredentialResolver;
  maxBodyBytes: number;
}

/**
 * `POST /rpc`: JSON-RPC 2.0 over HTTP, single or batch (SPEC §5). The body is taken as text so a
 * parse error is a JSON-RPC -32700, not a Fastify 400; everything but a bad credential is HTTP 200.
 */
export async function httpRpcPlugin(app: FastifyInstance, opts: HttpRpcOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: opts.maxBodyBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: { code?: string; statusCode?: number }, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(200).send(codeErrorResponse(null, 'LIMIT_EXCEEDED', `the request body exceeds ${opts.maxBodyBytes} bytes`, { max_bytes: opts.maxBodyBytes }));
    }
    if (err.code?.startsWith('FST_ERR_CTP') || err.statusCode === 400) {
      return reply.code(200).send(errorResponse(null, PARSE_ERROR, 'Parse error: the body could not be read'));
    }
    app.log.error({ err }, 'rpc transport error');
    return reply.code(200).send(codeErrorResponse(null, 'INTERNAL', 'Internal error; see the server log'));
  });

  app.post('/rpc', async (req, reply) => {
    const caller = authenticate(opts.resolver, req, false);
    if (!caller) return sendUnauthenticated(reply);
    const header = req.headers['idempotency-key'];
    const text = typeof req.body === 'string' ? req.body : '';
    const answer = await opts.dispatcher.handleText(text, {
      caller,
      requestId: req.id,
      ...(typeof header === 'string' && header.length > 0 && header.length <= 200 ? { idempotencyHeader: header } : {}),
    });
    if (answer === null) return reply.code(204).send();
    return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(answer);
  });
}
