import { ERRORS, type ErrorCode, type MissionError } from '../../core/index.js';

/** JSON-RPC 2.0 wire shapes and error codes (SPEC §5 "Errors"). */
export type RpcId = string | number | null;

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const APPLICATION_ERROR = -32000;

export interface RpcError {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

export type RpcResponse = { jsonrpc: '2.0'; id: RpcId; result: unknown } | { jsonrpc: '2.0'; id: RpcId; error: RpcError };

export function errorResponse(id: RpcId, code: number, message: string, data?: Record<string, unknown>): RpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** An application error: -32000 with the stable `data.code` and `data.severity`. */
export function missionErrorResponse(id: RpcId, err: MissionError): RpcResponse {
  return errorResponse(id, APPLICATION_ERROR, err.message, { ...err.data, code: err.code, severity: err.severity });
}

export function codeErrorResponse(id: RpcId, code: ErrorCode, message?: string, data: Record<string, unknown> = {}): RpcResponse {
  return errorResponse(id, APPLICATION_ERROR, message ?? ERRORS[code].message, { ...data, code, severity: ERRORS[code].severity });
}

export function isValidId(id: unknown): id is RpcId {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}
