// Compare of two kept results, computed by DuckDB over their kept tables (never in JS). The
// differences become a kept result of their own, so the grid pages, sorts, filters, charts and exports
// them like any other.
import type { DuckDBConnection } from '@duckdb/node-api';
import { EngineError, errorMessage } from '../errors.js';
import { quoteIdent, quoteString } from '../names.js';
import { columnKind, toCell, typeText } from '../values.js';
import { KeptResult, type KeptColumn, type ResultStore } from './keptResult.js';

/** Labels of the `_diff` column, one per kind of difference. */
export const DIFF_LABELS = {
  onlyInA: 'only in A',
  onlyInB: 'only in B',
  changedA: 'changed (A)',
  changedB: 'changed (B)',
} as const;

/** What to compare: key columns (names of A's columns; none: whole rows as multisets). */
export interface CompareOptions {
  keys?: readonly string[];
  /** Aborting interrupts DuckDB (INTERRUPTED; nothing is kept). */
  signal?: AbortSignal;
}

/** How many rows differ, by kind. */
export interface CompareCounts {
  /** Rows of A with no match in B (with duplicates: each extra copy counts). */
  onlyInA: number;
  /** Rows of B with no match in A. */
  onlyInB: number;
  /** Matched pairs (same keys) whose other columns differ; each is two rows of the differences. */
  changed: number;
  /** Rows of A / of B whose key an earlier row of the same result has (such rows are matched pair by pair). */
  duplicateKeys: { a: number; b: number };
}

/** The differences of a compare: a kept result with a `_diff` column first, and the counts. */
export interface CompareResult {
  result: KeptResult;
  counts: CompareCounts;
  /** Key columns used (empty: whole rows). */
  keys: string[];
}

/** Where the compare keeps its result: the session's store, the new result's id and first-page size. */
export interface CompareTarget {
  store: ResultStore;
  id: string;
  pageSize: number;
  /** Tab title and history text of the differences. */
  title: string;
}

/** Pairs A's columns with B's by name (ignoring case, as DuckDB does); COLUMNS_MISMATCH says what differs. */
export function matchColumns(
  a: readonly KeptColumn[],
  b: readonly KeptColumn[],
): { a: number; b: number; column: KeptColumn }[] {
  const byName = new Map<string, number>();
  b.forEach((c, j) => byName.set(c.exportName.toLowerCase(), j));
  const pairs: { a: number; b: number; column: KeptColumn }[] = [];
  const problems: string[] = [];
  const onlyA: string[] = [];
  a.forEach((c, i) => {
    const j = byName.get(c.exportName.toLowerCase());
    if (j === undefined) {
      onlyA.push(c.exportName);
      return;
    }
    byName.delete(c.exportName.toLowerCase());
    if (c.type !== b[j]!.type) problems.push(`"${c.exportName}" (A: ${c.type}, B: ${b[j]!.type})`);
    else pairs.push({ a: i, b: j, column: c });
  });
  const onlyB = [...byName.keys()].map((k) => b[byName.get(k)!]!.exportName);
  if (onlyA.length) problems.push(`only in A: ${onlyA.map((n) => `"${n}"`).join(', ')}`);
  if (onlyB.length) problems.push(`only in B: ${onlyB.map((n) => `"${n}"`).join(', ')}`);
  if (problems.length) {
    throw new EngineError(
      'COLUMNS_MISMATCH',
      `These results cannot be compared: their columns must have the same names and types. ${problems.join('; ')}.`,
    );
  }
  return pairs;
}

/** The SQL that writes the differences of A and B into `target` (columns c0 = _diff, c1… = A's). */
export function compareSql(
  a: KeptResult,
  b: KeptResult,
  keys: readonly string[],
  target: string,
): { sql: string; keyIndexes: number[] } {
  const pairs = matchColumns(a.columns, b.columns);
  const keyIndexes = keys.map((k) => {
    const i = pairs.findIndex((p) => p.column.exportName.toLowerCase() === k.toLowerCase());
    if (i < 0) throw new EngineError('INVALID_ARGUMENT', `There is no column "${k}" to match rows by.`);
    return i;
  });
  if (new Set(keyIndexes).size !== keyIndexes.length)
    throw new EngineError('INVALID_ARGUMENT', 'Each key column may be named once.');
  const q = quoteIdent;
  const label = (l: string): string => quoteString(l);
  const out = pairs.map((_, i) => q(`x${i}`));
  const fromA = pairs.map((p, i) => `${q(`c${p.a}`)} AS ${q(`x${i}`)}`).join(', ');
  const fromB = pairs.map((p, i) => `${q(`c${p.b}`)} AS ${q(`x${i}`)}`).join(', ');
  if (keyIndexes.length === 0) {
    // Multiset difference: each distinct row with (copies in A) − (copies in B); a positive surplus is
    // that many rows only in A, a negative one only in B. NULLs group together, as EXCEPT ALL has them.
    const grouped =
      `SELECT ${out.join(', ')}, sum(${q('s')})::BIGINT AS ${q('n')} FROM (` +
      `SELECT ${fromA}, 1 AS ${q('s')} FROM ${a.tableName} UNION ALL SELECT ${fromB}, -1 AS ${q('s')} FROM ${b.tableName}` +
      `) GROUP BY ${out.join(', ')} HAVING sum(${q('s')}) <> 0`;
    const expanded = `SELECT CASE WHEN ${q('n')} > 0 THEN ${label(DIFF_LABELS.onlyInA)} ELSE ${label(DIFF_LABELS.onlyInB)} END AS ${q('d')}, ${out.join(', ')}, unnest(range(abs(${q('n')}))) AS ${q('r')} FROM (${grouped})`;
    const cols = [`${q('d')} AS ${q('c0')}`, ...out.map((x, i) => `${x} AS ${q(`c${i + 1}`)}`)];
    return { sql: `CREATE TABLE ${target} AS SELECT ${cols.join(', ')} FROM (${expanded})`, keyIndexes };
  }
  // Keyed: a full outer join on the keys (NULL keys match NULL keys); a pair whose other columns differ
  // becomes two rows (A's, then B's), sorted by key so they sit together.
  const isKey = new Set(keyIndexes);
  const on = keyIndexes.map((i) => `${q('a')}.${q(`x${i}`)} IS NOT DISTINCT FROM ${q('b')}.${q(`x${i}`)}`);
  const differ = pairs
    .map((_, i) => i)
    .filter((i) => !isKey.has(i))
    .map((i) => `${q('a')}.${q(`x${i}`)} IS DISTINCT FROM ${q('b')}.${q(`x${i}`)}`);
  const joined =
    `SELECT ${pairs.map((_, i) => `${q('a')}.${q(`x${i}`)} AS ${q(`a${i}`)}, ${q('b')}.${q(`x${i}`)} AS ${q(`b${i}`)}`).join(', ')}, ` +
    `${q('a')}.${q('mdw_in')} IS NOT NULL AS ${q('ina')}, ${q('b')}.${q('mdw_in')} IS NOT NULL AS ${q('inb')} ` +
    `FROM (SELECT ${fromA}, true AS ${q('mdw_in')} FROM ${a.tableName}) ${q('a')} ` +
    `FULL OUTER JOIN (SELECT ${fromB}, true AS ${q('mdw_in')} FROM ${b.tableName}) ${q('b')} ON ${on.join(' AND ')} ` +
    `WHERE ${q('a')}.${q('mdw_in')} IS NULL OR ${q('b')}.${q('mdw_in')} IS NULL${differ.length ? ` OR ${differ.join(' OR ')}` : ''}`;
  const sides = `SELECT *, unnest(CASE WHEN ${q('ina')} AND ${q('inb')} THEN [1, 2] WHEN ${q('ina')} THEN [1] ELSE [2] END) AS ${q('side')} FROM (${joined})`;
  const diff = `CASE WHEN ${q('side')} = 1 THEN (CASE WHEN ${q('inb')} THEN ${label(DIFF_LABELS.changedA)} ELSE ${label(DIFF_LABELS.onlyInA)} END) ELSE (CASE WHEN ${q('ina')} THEN ${label(DIFF_LABELS.changedB)} ELSE ${label(DIFF_LABELS.onlyInB)} END) END`;
  const cols = [
    `${diff} AS ${q('c0')}`,
    ...pairs.map(
      (_, i) => `CASE WHEN ${q('side')} = 1 THEN ${q(`a${i}`)} ELSE ${q(`b${i}`)} END AS ${q(`c${i + 1}`)}`,
    ),
  ];
  const order = [...keyIndexes.map((i) => `${q(`c${i + 1}`)} NULLS LAST`), q('side')].join(', ');
  return {
    sql: `CREATE TABLE ${target} AS SELECT ${cols.join(', ')} FROM (${sides}) ORDER BY ${order}`,
    keyIndexes,
  };
}

/**
 * Compares kept results A and B (both complete; columns equal by name and type) on a connection of its
 * own and keeps the differences as a new result in `target.store`: `_diff` first ('only in A', 'only in
 * B', 'changed (A)', 'changed (B)'), then A's columns. With `keys`, rows are matched on those columns;
 * without, whole rows are compared as multisets (duplicates count).
 */
export async function compareResults(
  a: KeptResult,
  b: KeptResult,
  options: CompareOptions,
  target: CompareTarget,
): Promise<CompareResult> {
  const started = Date.now();
  for (const r of [a, b]) {
    if (r.isReleased)
      throw new EngineError(
        'RESULT_NOT_FOUND',
        `Result ${r.id} is no longer kept; run it again to compare it.`,
      );
  }
  await Promise.all([a.whenComplete(), b.whenComplete()]);
  for (const [r, name] of [
    [a, 'A'],
    [b, 'B'],
  ] as const) {
    if (r.cancelled || r.error)
      throw new EngineError(
        'INVALID_ARGUMENT',
        `Result ${name} was ${r.cancelled ? 'cancelled' : 'stopped by an error'} before all its rows were kept; run it again to compare it.`,
      );
  }
  const keys = [...(options.keys ?? [])];
  if (keys.some((k) => typeof k !== 'string' || !k))
    throw new EngineError('INVALID_ARGUMENT', 'Key columns are named by text.');
  const { store } = target;
  const table = store.nextTable();
  const qualified = store.qualified(table);
  const { sql, keyIndexes } = compareSql(a, b, keys, qualified);
  const pairs = matchColumns(a.columns, b.columns);
  const connection = await store.connections.connect();
  const abort = (): void => connection.interrupt();
  options.signal?.addEventListener('abort', abort);
  try {
    if (options.signal?.aborted) throw new EngineError('INTERRUPTED', 'Cancelled.');
    await connection.run(sql);
    const counts = await readCounts(connection, qualified, a, b, pairs, keyIndexes);
    const first = await connection.runAndReadAll(
      `SELECT * FROM ${qualified} WHERE rowid < ${target.pageSize} ORDER BY rowid`,
    );
    const types = first.columnTypes();
    const diffName = freeName(
      '_diff',
      pairs.map((p) => p.column.exportName),
    );
    const columns: KeptColumn[] = [
      {
        name: diffName,
        type: typeText(types[0]!),
        kind: columnKind(types[0]!),
        duckdbType: types[0]!,
        exportName: diffName,
      },
      ...pairs.map((p) => ({ ...p.column })),
    ];
    const firstPage = first
      .getRows()
      .map((row) => row.map((v, i) => toCell(v, columns[i]!.duckdbType, store.cellContext)));
    const result = new KeptResult(target.id, target.title, columns, firstPage, store, table, started);
    result.progress(counts.onlyInA + counts.onlyInB + 2 * counts.changed);
    result.end({});
    return { result, counts, keys: keyIndexes.map((i) => pairs[i]!.column.exportName) };
  } catch (e) {
    await connection.run(`DROP TABLE IF EXISTS ${qualified}`).catch(() => undefined);
    if (e instanceof EngineError) throw e;
    if (options.signal?.aborted || /interrupt/i.test(errorMessage(e)))
      throw new EngineError('INTERRUPTED', 'Cancelled.', undefined, { cause: e });
    throw new EngineError('SQL_ERROR', `Compare failed: ${errorMessage(e).split('\n')[0]}`, undefined, {
      cause: e,
    });
  } finally {
    options.signal?.removeEventListener('abort', abort);
    store.connections.release(connection);
  }
}

async function readCounts(
  c: DuckDBConnection,
  table: string,
  a: KeptResult,
  b: KeptResult,
  pairs: { a: number; b: number }[],
  keyIndexes: number[],
): Promise<CompareCounts> {
  const rows = (
    await c.runAndReadAll(`SELECT ${quoteIdent('c0')}, count(*)::BIGINT FROM ${table} GROUP BY ALL`)
  ).getRows();
  const n = (label: string): number => Number(rows.find(([l]) => l === label)?.[1] ?? 0);
  let duplicateKeys = { a: 0, b: 0 };
  if (keyIndexes.length) {
    // Rows whose key another row of the same result already has (a struct counts NULL keys as values).
    const dup = (r: KeptResult, side: 'a' | 'b'): string => {
      const cols = keyIndexes.map((i) => quoteIdent(`c${pairs[i]![side]}`)).join(', ');
      return `(SELECT (count(*) - count(DISTINCT row(${cols})))::BIGINT FROM ${r.tableName})`;
    };
    const [[da, db]] = (await c.runAndReadAll(`SELECT ${dup(a, 'a')}, ${dup(b, 'b')}`)).getRows() as [
      [bigint, bigint],
    ];
    duplicateKeys = { a: Number(da), b: Number(db) };
  }
  return {
    onlyInA: n(DIFF_LABELS.onlyInA),
    onlyInB: n(DIFF_LABELS.onlyInB),
    changed: n(DIFF_LABELS.changedA),
    duplicateKeys,
  };
}

/** `base`, or `base_1`, `base_2`… when a column already has that name (ignoring case). */
function freeName(base: string, taken: readonly string[]): string {
  const lower = new Set(taken.map((t) => t.toLowerCase()));
  let name = base;
  for (let i = 1; lower.has(name.toLowerCase()); i++) name = `${base}_${i}`;
  return name;
}
