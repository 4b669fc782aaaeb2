/** Stable error codes the engine reports; callers switch on these, users read the message. */
export type EngineErrorCode =
  | 'SQL_PARSE'
  | 'SQL_BINDER'
  | 'SQL_CATALOG'
  | 'SQL_CONSTRAINT'
  | 'SQL_CONVERSION'
  | 'SQL_ERROR'
  | 'INTERRUPTED'
  | 'TRANSACTION_ABORTED'
  | 'TRANSACTION_CONFLICT'
  | 'WAREHOUSE_LOCKED'
  | 'WAREHOUSE_CLOSED'
  | 'WAREHOUSE_READ_ONLY'
  | 'WAREHOUSE_INVALID'
  | 'DATABASE_NAME_INVALID'
  | 'DATABASE_EXISTS'
  | 'DATABASE_NOT_FOUND'
  | 'DATABASE_IN_USE'
  | 'TABLE_EXISTS'
  | 'IMPORT_MISMATCH'
  | 'CONFIRMATION_REQUIRED'
  | 'RESULT_NOT_FOUND'
  | 'SESSION_CLOSED'
  | 'SESSION_BUSY'
  | 'IMPORT_FAILED'
  | 'EXPORT_FAILED'
  | 'FILE_NOT_FOUND'
  | 'INTERNAL_FILE_REFUSED'
  | 'EXTENSION_MISSING'
  | 'EXTENSION_INSTALL_FAILED'
  | 'ENCRYPTION_UNAVAILABLE'
  | 'NATIVE_LOAD_FAILED'
  | 'KEY_MISSING'
  | 'KEY_WRONG'
  | 'KEY_INVALID'
  | 'STORE_CORRUPT'
  | 'STORE_LOCKED'
  | 'NOT_SIGNED_IN'
  | 'AUTH_CODE_WRONG'
  | 'AUTH_CODE_EXPIRED'
  | 'AUTH_CODE_USED'
  | 'AUTH_RATE_LIMITED'
  | 'AUTH_EMAIL_INVALID'
  | 'MAIL_FAILED'
  | 'NAME_INVALID'
  | 'NAME_TAKEN'
  | 'NOT_FOUND'
  | 'MOVE_INVALID'
  | 'INVALID_ARGUMENT'
  | 'FORMAT_FAILED'
  | 'TIMEOUT';

/** Where in the submitted script an error happened (1-based line and column). */
export interface SourcePosition {
  line: number;
  column: number;
  /** 0-based character offset in the whole script. */
  offset: number;
}

/** The one error type the engine throws: a stable code, a message for the user, an optional position. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly position?: SourcePosition,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `e` is an EngineError, optionally with the given code. */
export function isEngineError(e: unknown, code?: EngineErrorCode): e is EngineError {
  return e instanceof EngineError && (code === undefined || e.code === code);
}

/** The message of any thrown value, for logs and user messages. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
