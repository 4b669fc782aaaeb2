import type { ChartData, ChartSpec } from './chart.js';

/**
 * A JSON-safe cell. Scalars that JSON cannot hold exactly (BIGINT and wider integers, DECIMAL, NaN and
 * infinities, temporal types, UUID, BLOB, BIT, INTERVAL) arrive as strings in DuckDB's own VARCHAR form;
 * LIST and ARRAY as arrays; STRUCT as objects; MAP as arrays of {key, value}; UNION as its member value.
 * The column's DuckDB type travels beside the cell so the grid can display and align it.
 */
export type Cell = null | boolean | number | string | Cell[] | { [key: string]: Cell };

/** Coarse family of a DuckDB type, for alignment, sorting UI and filters. */
export type ColumnKind =
  'integer' | 'decimal' | 'float' | 'boolean' | 'text' | 'temporal' | 'binary' | 'nested' | 'other';

/** One column of a result: name, DuckDB type text (e.g. "DECIMAL(18,3)") and its family. */
export interface ResultColumn {
  name: string;
  type: string;
  kind: ColumnKind;
}

/** Sort of a kept result by one column. */
export interface SortSpec {
  column: number;
  direction: 'asc' | 'desc';
}

/** A filter on one column of a kept result. Values are text; the engine casts them to the column type. */
export type FilterSpec =
  | { column: number; op: 'equals'; value: string }
  | { column: number; op: 'contains'; value: string }
  | { column: number; op: 'range'; min?: string; max?: string }
  | { column: number; op: 'isNull' }
  | { column: number; op: 'notNull' };

/** A view over a kept result: sort plus filters (all filters must hold). */
export interface ResultView {
  sort?: SortSpec[];
  filters?: FilterSpec[];
}

/** What a consumer learns about a result before asking for rows. */
export interface ResultSummary {
  resultId: string;
  columns: ResultColumn[];
  /** Rows kept so far; final when `complete`. */
  rowCount: number;
  complete: boolean;
  elapsedMs: number;
}

/** A window of rows of a (possibly sorted/filtered) result. */
export interface ResultPage {
  resultId: string;
  offset: number;
  rows: Cell[][];
  /** Rows in the view (after filters); final when the result is complete. */
  totalRows: number;
}

/** Summary statistics of one column of a kept result, computed by DuckDB. */
export interface ColumnStats {
  column: number;
  type: string;
  count: number;
  nulls: number;
  distinctEstimate: number;
  min: string | null;
  max: string | null;
  mean: number | null;
  histogram: { label: string; count: number }[];
}

/** Anything the grid can page through: a kept result in the engine, or the host's proxy of one. */
export interface ResultSource {
  summary(): ResultSummary;
  /** Rows [offset, offset + limit) of the result seen through `view`. */
  page(offset: number, limit: number, view?: ResultView): Promise<ResultPage>;
  /** Statistics of one column over the whole kept result (filters of `view` applied). */
  stats(column: number, view?: ResultView): Promise<ColumnStats>;
  /** What a chart of the whole result (filters of `view` applied) draws; absent where charts are not offered. */
  chart?(spec: ChartSpec, view?: ResultView): Promise<ChartData>;
}
