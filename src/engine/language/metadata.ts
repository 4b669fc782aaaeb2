import type { DuckDBConnection } from '@duckdb/node-api';

/** Kind of a DuckDB function as completion and hover show it. */
export type FunctionKind = 'scalar' | 'aggregate' | 'macro' | 'table';

/** One overload of a function. */
export interface FunctionSignature {
  /** As shown: `name(a VARCHAR, b BIGINT) → VARCHAR`. */
  label: string;
  parameters: { name: string; type: string | null }[];
  /** Type of the repeated last argument, when the function takes any number of them. */
  varargs: string | null;
  returnType: string | null;
}

/** A function (all overloads of one name) from `duckdb_functions()`. */
export interface FunctionInfo {
  name: string;
  kind: FunctionKind;
  description: string | null;
  signatures: FunctionSignature[];
  examples: string[];
}

/** Keywords from `duckdb_keywords()`, upper case, and the reserved ones (which need quoting as names). */
export interface KeywordInfo {
  all: string[];
  reserved: Set<string>;
}

type Row = Record<string, unknown>;

const MAX_SIGNATURES = 12;

/** Loads every function of the instance (built-in, extensions, the user's macros), keyed by lower-case name. */
export async function loadFunctions(c: DuckDBConnection): Promise<Map<string, FunctionInfo>> {
  const rows = (
    await c.runAndReadAll(
      `SELECT function_name, function_type, description, return_type, parameters, parameter_types, varargs, examples
         FROM duckdb_functions()
        WHERE function_type IN ('scalar', 'aggregate', 'macro', 'table', 'table_macro')
          AND regexp_matches(function_name, '^[A-Za-z_][A-Za-z0-9_]*$')
        ORDER BY function_name, len(parameters)`,
    )
  ).getRowObjectsJson() as Row[];
  const byName = new Map<string, FunctionInfo>();
  for (const r of rows) {
    const name = String(r.function_name);
    const key = name.toLowerCase();
    const type = String(r.function_type);
    const kind: FunctionKind =
      type === 'aggregate'
        ? 'aggregate'
        : type.startsWith('table')
          ? 'table'
          : type === 'macro'
            ? 'macro'
            : 'scalar';
    let info = byName.get(key);
    if (!info) {
      info = { name, kind, description: null, signatures: [], examples: [] };
      byName.set(key, info);
    }
    if (!info.description && typeof r.description === 'string' && r.description)
      info.description = r.description;
    if (info.examples.length === 0 && Array.isArray(r.examples))
      info.examples = r.examples.map(String).slice(0, 3);
    const names = Array.isArray(r.parameters) ? r.parameters.map(String) : [];
    const types = Array.isArray(r.parameter_types) ? r.parameter_types : [];
    const parameters = names.map((n, i) => {
      const t = types[i];
      return {
        name: n,
        type: t === null || t === undefined || (t === 'ANY' && kind === 'macro') ? null : String(t),
      };
    });
    const varargs = r.varargs === null || r.varargs === undefined ? null : String(r.varargs);
    const returnType = r.return_type === null || r.return_type === undefined ? null : String(r.return_type);
    const label = signatureLabel(name, parameters, varargs, returnType);
    if (info.signatures.length < MAX_SIGNATURES && !info.signatures.some((s) => s.label === label)) {
      info.signatures.push({ label, parameters, varargs, returnType });
    }
  }
  return byName;
}

/** Loads DuckDB's keywords. */
export async function loadKeywords(c: DuckDBConnection): Promise<KeywordInfo> {
  const rows = (
    await c.runAndReadAll(
      'SELECT keyword_name, keyword_category FROM duckdb_keywords() ORDER BY keyword_name',
    )
  ).getRows();
  const all = rows.map((r) => String(r[0]).toUpperCase());
  const reserved = new Set(rows.filter((r) => r[1] === 'reserved').map((r) => String(r[0]).toUpperCase()));
  return { all, reserved };
}

/** `name(a VARCHAR, b) → TYPE`; the parameter texts are the substrings signature help highlights. */
export function signatureLabel(
  name: string,
  parameters: { name: string; type: string | null }[],
  varargs: string | null,
  returnType: string | null,
): string {
  const args = parameters.map(parameterLabel);
  if (varargs) args.push(`${varargs}...`);
  return `${name}(${args.join(', ')})${returnType ? ` → ${returnType}` : ''}`;
}

/** Text of one parameter inside a signature label. */
export function parameterLabel(p: { name: string; type: string | null }): string {
  return p.type ? `${p.name} ${p.type}` : p.name;
}
