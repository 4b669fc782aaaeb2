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
  | 'DATABASE_INVALID'
  | 'TABLE_EXISTS'
  | 'IMPORT_MISMATCH'
  | 'COLUMNS_MISMATCH'
  | 'CONFIRMATION_REQUIRED'
  | 'RESULT_NOT_FOUND'
  | 'SESSION_CLOSED'
  | 'SESSION_BUSY'
  | 'IMPORT_FAILED'
  | 'EXPORT_FAILED'
  | 'FILE_NOT_FOUND'
  | 'INTERNAL_FILE_REFUSED'
  | 'FILE_NOT_ALLOWED'
  | 'SETTING_LOCKED'
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
  | 'AUTH_RATE_LIMITED'
  | 'AUTH_EMAIL_INVALID'
  | 'MAIL_FAILED'
  | 'NAME_INVALID'
  | 'NAME_TAKEN'
  | 'NOT_FOUND'
  | 'MOVE_INVALID'
  | 'INVALID_ARGUMENT'
  | 'FORMAT_FAILED'
  | 'TIMEOUT'
  | 'SERVICE_UNAVAILABLE'
  | 'SERVICE_REFUSED';

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

const STACK_FRAME = /^\s+at .*(?::\d+:\d+\)?|\((?:native|<anonymous>)\))$/;
const DUCKDB_KIND = /^([A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)* Error): /;

/**
 * What a log may say about an error: its class, code (EngineError's, a system errno, DuckDB's error kind
 * such as "Parser Error"), position and stack frames, then the same for its cause. Never the message:
 * DuckDB's messages quote SQL and values, and other messages can carry names a user typed.
 */
export function errorLogText(e: unknown, depth = 0): string {
  if (!(e instanceof Error)) return `a thrown ${e === null ? 'null' : typeof e}`;
  const parts = [e.name];
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) parts.push(code);
  const kind = DUCKDB_KIND.exec(e.message)?.[1];
  if (kind && kind !== e.name) parts.push(`(${kind})`);
  if (e instanceof EngineError && e.position)
    parts.push(`at line ${e.position.line}, column ${e.position.column}`);
  let text = parts.join(' ');
  // V8 starts a stack with "Name: message" (the message may span lines); keep only the frames after it.
  const stack = e.stack ?? '';
  const at = e.message ? stack.indexOf(e.message) : -1;
  const frames = (at >= 0 ? stack.slice(at + e.message.length) : stack)
    .split('\n')
    .filter((line) => STACK_FRAME.test(line));
  if (frames.length > 0) text += `\n${frames.join('\n')}`;
  if (e.cause !== undefined && depth < 4) text += `\ncaused by ${errorLogText(e.cause, depth + 1)}`;
  return text;
}
