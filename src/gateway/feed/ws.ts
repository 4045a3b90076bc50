import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { ERRORS } from '../../core/index.js';
import { presentedToken, sendUnauthenticated } from '../auth/authenticate.js';
import { bearerOf, type Caller, type CredentialResolver } from '../auth/credentials.js';
import type { RpcDispatcher } from '../rpc/dispatch.js';
import { codeErrorResponse } from '../rpc/protocol.js';
import type { FeedHub } from './hub.js';
import type { FeedSink } from './session.js';

export interface WsOptions {
  dispatcher: RpcDispatcher;
  resolver: CredentialResolver;
  hub: FeedHub;
  maxClients: () => number;
  maxMessageBytes: () => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    mcCaller?: Caller;
    mcToken?: string;
  }
}

function cameFromCookie(req: FastifyRequest): boolean {
  const query = (req.query as Record<string, unknown> | undefined)?.token;
  return bearerOf(req.headers.authorization) === undefined && typeof query !== 'string';
}

function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true; // not a browser
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * A dropped client that stops reading cannot complete the closing handshake; `ws` would hold its
 * socket and unsent buffers for 30 s. Ours get this long to read the close frame, then go.
 */
const CLOSE_GRACE_MS = 10_000;

function closingWithin(socket: WebSocket, graceMs: number): FeedSink {
  return {
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    get readyState() {
      return socket.readyState;
    },
    send: (data, cb) => socket.send(data, cb),
    close: (code, reason) => {
      socket.close(code, reason);
      const timer = setTimeout(() => socket.terminate(), graceMs);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    },
  };
}

/**
 * `/ws`: the same JSON-RPC requests as `/rpc`, plus server notifications (the feed). Authenticated
 * at the upgrade by cookie, bearer or `?token=`; refused before the upgrade when over the limit.
 */
export async function wsPlugin(app: FastifyInstance, opts: WsOptions): Promise<void> {
  app.get(
    '/ws',
    {
      websocket: true,
      preValidation: async (req, reply) => {
        const token = presentedToken(req, true);
        const caller = opts.resolver.resolve(token);
        if (!caller || token === undefined) return sendUnauthenticated(reply);
        // A cookie rides along on any page's WebSocket: only our own origin may use it (no CSWSH).
        if (cameFromCookie(req) && !sameOrigin(req.headers.origin, req.headers.host)) {
          return reply.code(403).send(codeErrorResponse(null, 'FORBIDDEN', 'cross-origin WebSocket with a session cookie'));
        }
        if (opts.hub.size >= opts.maxClients()) {
          return reply.code(ERRORS.LIMIT_EXCEEDED.httpStatus).send(codeErrorResponse(null, 'LIMIT_EXCEEDED', 'too many WebSocket clients', { max_ws_clients: opts.maxClients() }));
        }
        req.mcCaller = caller;
        req.mcToken = token;
      },
    },
    (socket: WebSocket, req) => {
      const token = req.mcToken!;
      let requests = 0;
      const session = opts.hub.open(closingWithin(socket, CLOSE_GRACE_MS));
      socket.on('close', () => session.dispose());
      socket.on('error', () => session.dispose());
      socket.on('message', (data, isBinary) => {
        const text = isBinary ? '' : data.toString();
        if (text.length > opts.maxMessageBytes()) {
          session.sendText(JSON.stringify(codeErrorResponse(null, 'LIMIT_EXCEEDED', `a message holds at most ${opts.maxMessageBytes()} bytes`)));
          return;
        }
        // Re-checked per message: a revoked token or ended session stops working at once.
        const caller = opts.resolver.resolve(token);
        if (!caller) {
          session.close(1008, 'UNAUTHENTICATED: the credential was revoked or expired');
          return;
        }
        requests += 1;
        const afterAnswer: (() => void)[] = [];
        void opts.dispatcher
          .handleText(text, { caller, requestId: `${req.id}.${requests}`, session, afterAnswer: (fn) => afterAnswer.push(fn) })
          .then((answer) => {
            if (answer !== null) session.sendText(answer);
            // A subscribe's replay follows its answer, so the client always sees the answer first.
            for (const fn of afterAnswer) fn();
          });
      });
    },
  );
}
