import type { Logger } from 'pino';
import { z } from 'zod';
import { isMissionError, MissionError } from '../../core/index.js';
import { authorize } from '../auth/access.js';
import type { Caller } from '../auth/credentials.js';
import type { RateLimiter } from '../auth/rate-limit.js';
import type { FeedSession } from '../feed/session.js';
import type { MethodRegistry } from '../methods/index.js';
import type { Services } from '../registry/method.js';
import type { GatewayMetrics } from '../ops/metrics.js';
import {
  codeErrorResponse,
  errorResponse,
  INVALID_PARAMS,
  INVALID_REQUEST,
  isValidId,
  METHOD_NOT_FOUND,
  missionErrorResponse,
  PARSE_ERROR,
  type RpcId,
  type RpcResponse,
} from './protocol.js';

export interface CallOptions {
  caller: Caller;
  requestId: string;
  session?: FeedSession;
  /** The `Idempotency-Key` header; applies to a single (non-batch) call only. */
  idempotencyHeader?: string;
  /** Collects work to run after the answer is sent; without it the work runs at once. */
  afterAnswer?: (fn: () => void) => void;
}

const MAX_BATCH = 1000;

/**
 * Transport-independent JSON-RPC 2.0 processing: parse, batch, validate against the registry,
 * authorise, run, and map every failure to its code. Never throws; bad input never changes state.
 */
export class RpcDispatcher {
  constructor(
    private readonly registry: MethodRegistry,
    private readonly services: Services,
    private readonly limiter: RateLimiter,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  /** A raw body or WS text frame → the serialised answer, or null when nothing is to be sent. */
  async handleText(text: string, opts: CallOptions): Promise<string | null> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.metrics.countCall('(parse)', 'PARSE_ERROR', 0);
      return JSON.stringify(errorResponse(null, PARSE_ERROR, 'Parse error: the body is not valid JSON'));
    }
    const answer = await this.handleMessage(message, opts);
    return answer === null ? null : JSON.stringify(answer);
  }

  async handleMessage(message: unknown, opts: CallOptions): Promise<RpcResponse | RpcResponse[] | null> {
    if (Array.isArray(message)) {
      if (message.length === 0) return errorResponse(null, INVALID_REQUEST, 'Invalid Request: empty batch');
      if (message.length > MAX_BATCH) return codeErrorResponse(null, 'LIMIT_EXCEEDED', `a batch holds at most ${MAX_BATCH} calls`, { max_batch: MAX_BATCH });
      const { idempotencyHeader: _header, ...batchOpts } = opts;
      const answers = await Promise.all(message.map((m) => this.handleOne(m, batchOpts)));
      const sent = answers.filter((a): a is RpcResponse => a !== null);
      return sent.length > 0 ? sent : null;
    }
    return this.handleOne(message, opts);
  }

  private async handleOne(raw: unknown, opts: CallOptions): Promise<RpcResponse | null> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return errorResponse(null, INVALID_REQUEST, 'Invalid Request: expected an object');
    }
    const req = raw as Record<string, unknown>;
    const hasId = 'id' in req;
    const id: RpcId = hasId && isValidId(req.id) ? req.id : null;
    if (req.jsonrpc !== '2.0' || typeof req.method !== 'string' || (hasId && !isValidId(req.id))) {
      return errorResponse(id, INVALID_REQUEST, "Invalid Request: needs jsonrpc '2.0', a string method and a string, number or null id");
    }
    if (req.params !== undefined && (typeof req.params !== 'object' || req.params === null)) {
      return errorResponse(id, INVALID_REQUEST, 'Invalid Request: params must be an object');
    }
    const answer = await this.call(id, req.method, req.params, opts);
    // A notification (no id) gets no answer, whatever happened.
    return hasId ? answer : null;
  }

  private async call(id: RpcId, name: string, rawParams: unknown, opts: CallOptions): Promise<RpcResponse> {
    const started = performance.now();
    let code = 'ok';
    try {
      if (!this.limiter.take(opts.caller.principalKey)) {
        code = 'RATE_LIMITED';
        return codeErrorResponse(id, 'RATE_LIMITED', 'Too many requests for this credential; retry later');
      }
      const def = this.registry.get(name);
      if (!def) {
        code = 'METHOD_NOT_FOUND';
        return errorResponse(id, METHOD_NOT_FOUND, `Method not found: ${name.slice(0, 100)}`);
      }
      if (Array.isArray(rawParams)) {
        code = 'INVALID_PARAMS';
        return errorResponse(id, INVALID_PARAMS, 'Invalid params: pass params by name (an object)');
      }
      const parsed = def.params.safeParse(rawParams ?? {});
      if (!parsed.success) {
        code = 'INVALID_PARAMS';
        return errorResponse(id, INVALID_PARAMS, 'Invalid params', { issues: parsed.error.issues });
      }
      const params = parsed.data as Record<string, unknown>;
      const access = authorize(def, params, opts.caller.principal, this.services);
      const paramKey = typeof params.idempotency_key === 'string' ? params.idempotency_key : undefined;
      const idempotencyKey = def.sideEffect ? (paramKey ?? opts.idempotencyHeader) : undefined;
      const result = await def.handler(params, {
        principal: opts.caller.principal,
        principalKey: opts.caller.principalKey,
        by: access.by,
        agent: access.agent,
        projectId: access.projectId,
        idempotencyKey,
        requestId: opts.requestId,
        services: this.services,
        session: opts.session,
        afterAnswer: opts.afterAnswer ?? ((fn) => fn()),
      });
      return { jsonrpc: '2.0', id, result: result ?? null };
    } catch (err) {
      if (isMissionError(err)) {
        code = err.code;
        if (err.code === 'INTERNAL') this.logger.error({ err, method: name, reqId: opts.requestId }, 'internal error in mission method');
        return missionErrorResponse(id, err);
      }
      if (err instanceof z.ZodError) {
        code = 'INVALID_PARAMS';
        return errorResponse(id, INVALID_PARAMS, 'Invalid params', { issues: err.issues });
      }
      code = 'INTERNAL';
      this.logger.error({ err, method: name, reqId: opts.requestId }, 'unexpected error in mission method');
      return missionErrorResponse(id, new MissionError('INTERNAL', 'Internal error; see the server log', { request_id: opts.requestId }));
    } finally {
      this.metrics.countCall(this.registry.get(name)?.name ?? '(unknown)', code, performance.now() - started);
    }
  }
}
