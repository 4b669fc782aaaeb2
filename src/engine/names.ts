import { EngineError } from './errors.js';

const DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;
const RESERVED = new Set(['memory', 'system', 'temp', 'main', 'information_schema', 'pg_catalog']);

/** Prefix of every database and file the warehouse keeps for itself. */
export const INTERNAL_PREFIX = 'mdw_';

/** Throws DATABASE_NAME_INVALID unless `name` is a name a user may give a database. */
export function checkDatabaseName(name: string): void {
  const allowed =
    'Database names use letters, digits, "_" and "-" (1 to 63 characters), and may not be memory, system, temp, main or start with "mdw_".';
  if (!DATABASE_NAME.test(name)) {
    throw new EngineError('DATABASE_NAME_INVALID', `"${name}" is not a valid database name. ${allowed}`);
  }
  const lower = name.toLowerCase();
  if (RESERVED.has(lower) || lower.startsWith(INTERNAL_PREFIX)) {
    throw new EngineError('DATABASE_NAME_INVALID', `"${name}" is reserved. ${allowed}`);
  }
}

/** Quotes an SQL identifier (doubling embedded double quotes). Every identifier reaches SQL through this. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes an SQL string literal (doubling embedded single quotes). */
export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Quotes a dotted name part by part: ["db", "s", "t"] -> "db"."s"."t". */
export function quoteQualified(parts: readonly string[]): string {
  return parts.map(quoteIdent).join('.');
}
