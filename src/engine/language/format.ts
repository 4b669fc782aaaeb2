import { EngineError } from '../errors.js';
import { splitStatements } from '../../shared/sqlLexer.js';

/** How SQL is formatted. */
export interface FormatOptions {
  /** Spaces per indent level (ignored with `useTabs`). */
  tabWidth: number;
  useTabs: boolean;
  /** Case of keywords and type names; `preserve` keeps what the user wrote. */
  keywordCase: 'preserve' | 'upper' | 'lower';
}

/** A replacement of `[start, end)` of the original text. */
export interface FormatEdit {
  start: number;
  end: number;
  text: string;
}

/** Formats a whole script with sql-formatter's DuckDB dialect; a parse failure is a FORMAT_FAILED error. */
export async function formatSql(text: string, options: FormatOptions): Promise<string> {
  const { format } = await import('sql-formatter');
  try {
    return format(text, {
      language: 'duckdb',
      tabWidth: Math.max(1, Math.min(options.tabWidth, 16)),
      useTabs: options.useTabs,
      keywordCase: options.keywordCase,
      dataTypeCase: options.keywordCase,
      paramTypes: { positional: true, numbered: ['$'], named: ['$'] },
    });
  } catch (e) {
    // sql-formatter appends hundreds of lines of grammar trace after the first line.
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new EngineError('FORMAT_FAILED', `Cannot format this SQL: ${first}`, undefined, { cause: e });
  }
}

/**
 * Formats the statements that `[start, end)` touches (whole statements, their `;` included), so a
 * range format never cuts a statement. Undefined when the range holds no statement.
 */
export async function formatRange(
  text: string,
  start: number,
  end: number,
  options: FormatOptions,
): Promise<FormatEdit | undefined> {
  const touched = splitStatements(text).filter(
    (s) => s.start < Math.max(end, start + 1) && s.terminatorEnd > start,
  );
  if (touched.length === 0) return undefined;
  const from = touched[0]!.start;
  const to = touched.at(-1)!.terminatorEnd;
  const formatted = await formatSql(text.slice(from, to), options);
  const indent = /[ \t]*$/.exec(text.slice(text.lastIndexOf('\n', from - 1) + 1, from))?.[0] ?? '';
  const indented = formatted
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : indent + line))
    .join('\n');
  return { start: from, end: to, text: indented };
}
