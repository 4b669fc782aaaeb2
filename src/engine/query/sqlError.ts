import { EngineError, errorMessage, type EngineErrorCode, type SourcePosition } from '../errors.js';
import { codePointWidth } from '../../shared/textWidth.js';
import { lineColumn } from './split.js';

const CODES: [RegExp, EngineErrorCode][] = [
  [/^Parser Error/, 'SQL_PARSE'],
  [/^Binder Error/, 'SQL_BINDER'],
  [/^Catalog Error/, 'SQL_CATALOG'],
  [/^Constraint Error/, 'SQL_CONSTRAINT'],
  [/^Conversion Error/, 'SQL_CONVERSION'],
  [/^INTERRUPT Error/, 'INTERRUPTED'],
  [/^TransactionContext Error: (Current transaction is aborted|Failed to commit)/, 'TRANSACTION_ABORTED'],
  [/^TransactionContext Error: .*Conflict/, 'TRANSACTION_CONFLICT'],
  [/^Missing Extension Error/, 'EXTENSION_MISSING'],
];

/**
 * Turns a DuckDB error raised by statement text `statement`, which starts at `statementStart` in
 * `script`, into an EngineError whose position is in the whole script. DuckDB reports the position
 * only as a rendered "LINE n: <context>" line with a caret under the error; that context is the line
 * of the statement, possibly cut to ~40 display columns either side with "...".
 */
export function sqlError(e: unknown, script: string, statement: string, statementStart: number): EngineError {
  if (e instanceof EngineError) return e;
  const raw = errorMessage(e).replace(/^Failed to extract statements: /, '');
  const code = CODES.find(([re]) => re.test(raw))?.[1] ?? 'SQL_ERROR';
  const rendered = /\n*LINE (\d+): (.*)\n( *)\^\s*$/s.exec(raw);
  let local: number | undefined;
  let message = raw;
  if (rendered) {
    message = raw.slice(0, rendered.index).trimEnd();
    local = locate(
      statement,
      Number(rendered[1]),
      rendered[2]!,
      rendered[3]!.length - `LINE ${rendered[1]}: `.length,
    );
  } else if (code === 'SQL_PARSE' && /at end of input/.test(raw)) {
    local = statement.length;
  }
  let position: SourcePosition | undefined;
  if (local !== undefined) {
    const offset = statementStart + local;
    position = { ...lineColumn(script, offset), offset };
    message = `${message} (line ${position.line}, column ${position.column})`;
  }
  return new EngineError(code, message, position, { cause: e });
}

/** Offset in `statement` of the caret DuckDB drew `caretWidth` display columns into `context`. */
function locate(statement: string, line: number, context: string, caretWidth: number): number | undefined {
  // DuckDB counts '\r' and '\n' each as a line break, so "\r\n" is two lines to it.
  const lines = statement.split(/[\r\n]/);
  if (line < 1 || line > lines.length) return undefined;
  const lineStart = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
  const text = lines[line - 1]!;
  let shown = context;
  let width = caretWidth;
  let from = 0;
  if (shown.startsWith('...') && !text.startsWith('...')) {
    shown = shown.slice(3);
    width -= 3;
  }
  if (shown.endsWith('...') && !text.endsWith(shown)) shown = shown.slice(0, -3);
  if (shown !== text) {
    const at = text.indexOf(shown);
    if (at < 0) return lineStart;
    from = at;
  }
  let i = from;
  while (width > 0 && i < text.length) {
    const cp = text.codePointAt(i)!;
    width -= codePointWidth(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return lineStart + Math.min(i, text.length);
}
