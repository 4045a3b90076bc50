/**
 * The one error registry (SPEC §5, §10). Every application error the product can return has a
 * stable code here, with its severity, the HTTP status it maps to outside JSON-RPC, and a
 * default message a user can act on. `test/unit/errors.test.ts` checks each code is documented.
 */
export type ErrorSeverity = 'transient' | 'permanent' | 'degraded';

export interface ErrorDefinition {
  severity: ErrorSeverity;
  /** HTTP status for non-JSON-RPC routes (JSON-RPC answers are HTTP 200 except UNAUTHENTICATED). */
  httpStatus: number;
  message: string;
}

export const ERRORS = {
  ILLEGAL_TRANSITION: { severity: 'permanent', httpStatus: 409, message: 'The actor refused this event in its current state' },
  NOT_FOUND: { severity: 'permanent', httpStatus: 404, message: 'No such resource' },
  FORBIDDEN: { severity: 'permanent', httpStatus: 403, message: 'Your role does not allow this' },
  UNAUTHENTICATED: { severity: 'permanent', httpStatus: 401, message: 'A valid credential is required' },
  CONFLICT: { severity: 'permanent', httpStatus: 409, message: 'The resource changed or already exists' },
  LOCK_TIMEOUT: { severity: 'transient', httpStatus: 503, message: 'A file lock could not be acquired in time' },
  PATH_OUTSIDE_SCOPE: { severity: 'permanent', httpStatus: 403, message: 'The path is outside the project scope or not allowed' },
  FULL_SYNC_REQUIRED: { severity: 'permanent', httpStatus: 410, message: 'The requested sequence is older than the retained log; reload the project' },
  RATE_LIMITED: { severity: 'transient', httpStatus: 429, message: 'Too many requests; retry later' },
  LIMIT_EXCEEDED: { severity: 'permanent', httpStatus: 413, message: 'A configured limit would be exceeded' },
  INVALID_INPUT: { severity: 'permanent', httpStatus: 400, message: 'The input is not valid' },
  DISK_FULL: { severity: 'degraded', httpStatus: 507, message: 'The disk is full; writes are refused until space returns' },
  STORE_BUSY: { severity: 'transient', httpStatus: 503, message: 'The database is locked by another process' },
  STORE_UNAVAILABLE: { severity: 'degraded', httpStatus: 503, message: 'The database cannot be used' },
  BUS_UNAVAILABLE: { severity: 'transient', httpStatus: 503, message: 'The message bus is unreachable' },
  DRIVER_UNAVAILABLE: { severity: 'transient', httpStatus: 503, message: 'The agent runtime is unreachable or its circuit is open' },
  DRIVER_RUN_FAILED: { severity: 'permanent', httpStatus: 502, message: 'The agent run ended in failure (non-zero exit or failed run)' },
  DRIVER_AUTH_FAILED: { severity: 'permanent', httpStatus: 502, message: 'The agent runtime refused our credential; update the driver configuration' },
  DRIVER_DEGRADED: { severity: 'degraded', httpStatus: 503, message: 'The agent runtime lacks a capability this needs' },
  TIMEOUT: { severity: 'transient', httpStatus: 504, message: 'The operation did not finish in time' },
  SHUTTING_DOWN: { severity: 'transient', httpStatus: 503, message: 'The server is shutting down' },
  CONFIG_INVALID: { severity: 'permanent', httpStatus: 500, message: 'The configuration is not valid' },
  DATA_DIR_LOCKED: { severity: 'permanent', httpStatus: 500, message: 'Another server owns this data directory' },
  MIGRATION_CHECKSUM_MISMATCH: { severity: 'permanent', httpStatus: 500, message: 'An applied migration file was edited' },
  DATABASE_TOO_NEW: { severity: 'permanent', httpStatus: 500, message: 'The database was migrated by a newer version of Mission Control' },
  BACKUP_INVALID: { severity: 'permanent', httpStatus: 400, message: 'The backup archive is corrupt or incomplete' },
  INTERNAL: { severity: 'permanent', httpStatus: 500, message: 'Internal error' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

/** An application error as a value: code, severity, message and optional structured data. */
export class MissionError extends Error {
  readonly code: ErrorCode;
  readonly severity: ErrorSeverity;
  readonly data: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, data: Record<string, unknown> = {}) {
    super(message ?? ERRORS[code].message);
    this.name = 'MissionError';
    this.code = code;
    this.severity = ERRORS[code].severity;
    this.data = data;
  }

  toJSON(): { code: ErrorCode; severity: ErrorSeverity; message: string; data: Record<string, unknown> } {
    return { code: this.code, severity: this.severity, message: this.message, data: this.data };
  }
}

export function isMissionError(err: unknown): err is MissionError {
  return err instanceof MissionError;
}

/** Rebuilds a MissionError from its JSON form (e.g. a reply over NATS). */
export function missionErrorFromJSON(json: { code: string; message: string; data?: Record<string, unknown> }): MissionError {
  const code = (json.code in ERRORS ? json.code : 'INTERNAL') as ErrorCode;
  return new MissionError(code, json.message, json.data ?? {});
}
