import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type {
  Cell,
  ColumnStats,
  FilterSpec,
  ResultColumn,
  ResultPage,
  ResultSource,
  ResultSummary,
  ResultView,
  SortSpec,
} from '../../shared/results.js';
import { EngineError, errorMessage } from '../errors.js';
import { quoteIdent, quoteString } from '../names.js';
import { toCell, type CellContext } from '../values.js';

/** Most rows one page request may ask for. */
export const MAX_PAGE_ROWS = 100_000;
const HISTOGRAM_BINS = 10;

/** Serializes work on one connection: DuckDB connections run one statement at a time. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after everything queued before it. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * Where a session keeps its results: one schema in the instance's own results database, a connection
 * that appends into it and a connection that reads pages out of it. Neither is the session's own
 * connection, so a kept result is readable while a later statement runs.
 */
export class ResultStore {
  private tableCount = 0;
  /** Guards the reader connection. */
  readonly reads = new Mutex();

  private constructor(
    readonly writer: DuckDBConnection,
    readonly reader: DuckDBConnection,
    readonly catalog: string,
    readonly schema: string,
    readonly cellContext: CellContext,
  ) {}

  /** Creates the session's schema in the results database `catalog`. */
  static async create(
    writer: DuckDBConnection,
    reader: DuckDBConnection,
    catalog: string,
    schema: string,
    cellContext: CellContext,
  ): Promise<ResultStore> {
    await writer.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(catalog)}.${quoteIdent(schema)}`);
    return new ResultStore(writer, reader, catalog, schema, cellContext);
  }

  /** A fresh table name in the session's schema. */
  nextTable(): string {
    return `r${++this.tableCount}`;
  }

  /** The qualified SQL name of table `name` in the session's schema. */
  qualified(name: string): string {
    return `${quoteIdent(this.catalog)}.${quoteIdent(this.schema)}.${quoteIdent(name)}`;
  }

  /** Drops the session's schema and every result in it. */
  async drop(): Promise<void> {
    await this.writer.run(
      `DROP SCHEMA IF EXISTS ${quoteIdent(this.catalog)}.${quoteIdent(this.schema)} CASCADE`,
    );
  }
}

/** A column of a kept result with its DuckDB type object (for conversion and CASTs). */
export interface KeptColumn extends ResultColumn {
  duckdbType: DuckDBType;
  /** Unique name used for exports ("a", "a_1", …). */
  exportName: string;
}

/**
 * A statement's rows, kept in a table of the results database. The first page was converted when the
 * statement produced it; every other page, sort, filter and statistic is computed by DuckDB over the
 * table. Sorted copies are cached per sort so paging a sorted result stays cheap.
 */
export class KeptResult implements ResultSource {
  /** Rows appended and committed so far (the final count once complete). */
  private keptRows = 0;
  private isComplete = false;
  private wasCancelled = false;
  private failure: EngineError | undefined;
  private released = false;
  private elapsed = 0;
  private readonly sorted = new Map<string, Promise<string>>();
  private readonly counts = new Map<string, number>();
  private readonly finished: Promise<void>;
  private finish!: () => void;
  /** Settles once the results table exists and holds the first page's chunks. */
  private tableReady: Promise<void> = Promise.resolve();

  constructor(
    /** Stable id of this result within its session. */
    readonly id: string,
    /** The statement text that produced the rows. */
    readonly sql: string,
    readonly columns: readonly KeptColumn[],
    /** The first rows, converted as soon as DuckDB produced them. */
    readonly firstPage: Cell[][],
    private readonly store: ResultStore,
    private readonly table: string,
    private readonly startedAt: number,
  ) {
    this.finished = new Promise((resolve) => (this.finish = resolve));
  }

  /** True once every row is kept (or keeping stopped on cancel or error). */
  get complete(): boolean {
    return this.isComplete;
  }

  /** True when a cancel stopped the statement before all its rows were kept. */
  get cancelled(): boolean {
    return this.wasCancelled;
  }

  /** Why keeping stopped early, if it failed. */
  get error(): EngineError | undefined {
    return this.failure;
  }

  /** Rows kept so far; final when {@link complete}. */
  get rowCount(): number {
    return this.keptRows;
  }

  /** Resolves when keeping has ended (complete, cancelled or failed). */
  whenComplete(): Promise<void> {
    return this.finished;
  }

  /** The SQL name of the table holding the rows (for export). */
  get tableName(): string {
    return this.store.qualified(this.table);
  }

  /** @internal Called by the session while keeping rows. */
  progress(rows: number): void {
    this.keptRows = rows;
    this.elapsed = Date.now() - this.startedAt;
  }

  /** @internal Called by the session when keeping ends. */
  end(outcome: { cancelled?: boolean; error?: EngineError }): void {
    this.isComplete = true;
    this.wasCancelled = outcome.cancelled === true;
    this.failure = outcome.error;
    this.elapsed = Date.now() - this.startedAt;
    this.finish();
  }

  summary(): ResultSummary {
    return {
      resultId: this.id,
      columns: this.columns.map(({ name, type, kind }) => ({ name, type, kind })),
      rowCount: this.keptRows,
      complete: this.isComplete,
      elapsedMs: this.elapsed,
    };
  }

  async page(offset: number, limit: number, view: ResultView = {}): Promise<ResultPage> {
    this.assertUsable();
    if (
      !Number.isInteger(offset) ||
      offset < 0 ||
      !Number.isInteger(limit) ||
      limit < 0 ||
      limit > MAX_PAGE_ROWS
    ) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `A page needs a whole offset ≥ 0 and 0 to ${MAX_PAGE_ROWS} rows (got offset ${offset}, limit ${limit}).`,
      );
    }
    const hasView = (view.sort?.length ?? 0) > 0 || (view.filters?.length ?? 0) > 0;
    if (!hasView && offset + limit <= this.firstPage.length) {
      const rows = this.firstPage.slice(offset, offset + limit);
      return { resultId: this.id, offset, rows, totalRows: Math.max(this.keptRows, this.firstPage.length) };
    }
    if (hasView) await this.finished;
    const source = await this.viewSource(view);
    const { where, params } = this.whereClause(view.filters ?? []);
    const columns = this.columns.map((_, i) => quoteIdent(`c${i}`)).join(', ');
    const rows = await this.read(async (c) => {
      // Kept tables and sorted copies are written in order and never deleted from, so their rowids are
      // 0..n-1 in view order: a rowid range skips straight to the page (OFFSET scans up to it).
      const sql = where
        ? `SELECT ${columns} FROM ${source}${where} LIMIT ${limit} OFFSET ${offset}`
        : `SELECT ${columns} FROM ${source} WHERE rowid >= ${offset} AND rowid < ${offset + limit} ORDER BY rowid`;
      const reader = await c.runAndReadAll(sql, params);
      return reader.getRows();
    });
    const totalRows =
      (view.filters?.length ?? 0) > 0 ? await this.filteredCount(view.filters!) : this.keptRows;
    return { resultId: this.id, offset, rows: rows.map((row) => this.convert(row)), totalRows };
  }

  async stats(column: number, view: ResultView = {}): Promise<ColumnStats> {
    this.assertUsable();
    const col = this.column(column);
    await this.finished;
    const c = quoteIdent(`c${column}`);
    const source = this.store.qualified(this.table);
    const { where, params } = this.whereClause(view.filters ?? []);
    const numeric = col.kind === 'integer' || col.kind === 'decimal' || col.kind === 'float';
    return this.read(async (conn) => {
      const basic = (
        await conn.runAndReadAll(
          `SELECT count(*)::BIGINT, count(${c})::BIGINT, approx_count_distinct(${c})::BIGINT FROM ${source}${where}`,
          params,
        )
      ).getRows()[0]!;
      const total = Number(basic[0]);
      const count = Number(basic[1]);
      const stats: ColumnStats = {
        column,
        type: col.type,
        count,
        nulls: total - count,
        distinctEstimate: Number(basic[2]),
        min: null,
        max: null,
        mean: null,
        histogram: [],
      };
      if (col.kind !== 'nested') {
        try {
          const [min, max] = (
            await conn.runAndReadAll(
              `SELECT min(${c})::VARCHAR, max(${c})::VARCHAR FROM ${source}${where}`,
              params,
            )
          ).getRows()[0]!;
          stats.min = min === null ? null : String(min);
          stats.max = max === null ? null : String(max);
        } catch {
          // types without an order (e.g. MAP) have no min or max
        }
      }
      const andNotNull = `${where ? `${where} AND` : ' WHERE'} ${c} IS NOT NULL`;
      if (numeric && count > 0) {
        const x = `${c}::DOUBLE`;
        const [mean, lo, hi] = (
          await conn.runAndReadAll(
            `SELECT avg(${x}), min(${x}), max(${x}) FROM ${source}${andNotNull} AND NOT isnan(${x})`,
            params,
          )
        )
          .getRows()[0]!
          .map((v) => (v === null ? null : Number(v)));
        stats.mean = mean ?? null;
        if (
          lo !== null &&
          lo !== undefined &&
          hi !== null &&
          hi !== undefined &&
          Number.isFinite(lo) &&
          Number.isFinite(hi)
        ) {
          const width = (hi - lo) / HISTOGRAM_BINS || 1;
          const rows = (
            await conn.runAndReadAll(
              `SELECT least(floor((${x} - ${lo}) / ${width}), ${HISTOGRAM_BINS - 1})::INTEGER AS b, count(*)::BIGINT FROM ${source}${andNotNull} AND isfinite(${x}) GROUP BY b ORDER BY b`,
              params,
            )
          ).getRows();
          stats.histogram = rows.map(([b, n]) => {
            const from = lo + Number(b) * width;
            return { label: `${formatBound(from)} – ${formatBound(from + width)}`, count: Number(n) };
          });
        }
      } else if (count > 0) {
        const rows = (
          await conn.runAndReadAll(
            `SELECT ${c}::VARCHAR AS v, count(*)::BIGINT AS n FROM ${source}${andNotNull} GROUP BY v ORDER BY n DESC, v LIMIT ${HISTOGRAM_BINS}`,
            params,
          )
        ).getRows();
        stats.histogram = rows.map(([v, n]) => ({ label: String(v), count: Number(n) }));
      }
      return stats;
    });
  }

  /** A SELECT over the kept rows seen through `view`, with the result's own column names (for export). */
  async viewQuery(view: ResultView = {}): Promise<string> {
    this.assertUsable();
    await this.finished;
    const source = await this.viewSource(view);
    const { where } = this.whereClause(view.filters ?? [], true);
    const columns = this.columns
      .map((col, i) => `${quoteIdent(`c${i}`)} AS ${quoteIdent(col.exportName)}`)
      .join(', ');
    return `SELECT ${columns} FROM ${source}${where}`;
  }

  /** Drops the kept rows and every sorted copy; later reads fail with RESULT_NOT_FOUND. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.finished;
    const tables = [
      this.table,
      ...(await Promise.allSettled([...this.sorted.values()])).flatMap((r) =>
        r.status === 'fulfilled' ? [r.value] : [],
      ),
    ];
    await this.store.reads.run(async () => {
      for (const t of tables) await this.store.reader.run(`DROP TABLE IF EXISTS ${this.store.qualified(t)}`);
    });
  }

  /** True after {@link release}. */
  get isReleased(): boolean {
    return this.released;
  }

  private assertUsable(): void {
    if (this.released)
      throw new EngineError(
        'RESULT_NOT_FOUND',
        `Result ${this.id} was released (its session closed or kept newer results).`,
      );
  }

  private column(index: number): KeptColumn {
    const col = Number.isInteger(index) ? this.columns[index] : undefined;
    if (!col)
      throw new EngineError(
        'INVALID_ARGUMENT',
        `Result ${this.id} has no column ${index} (it has ${this.columns.length}).`,
      );
    return col;
  }

  private convert(row: DuckDBValue[]): Cell[] {
    return row.map((v, i) => toCell(v, this.columns[i]!.duckdbType, this.store.cellContext));
  }

  /** Tells the result that its table is being created; reads wait for it. */
  waitForTable(ready: Promise<unknown>): void {
    this.tableReady = ready.then(
      () => undefined,
      () => undefined,
    );
  }

  private read<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.store.reads.run(async () => {
      await this.tableReady;
      this.assertUsable();
      try {
        return await fn(this.store.reader);
      } catch (e) {
        if (e instanceof EngineError) throw e;
        const message = errorMessage(e);
        if (/^Conversion Error/.test(message)) {
          throw new EngineError(
            'INVALID_ARGUMENT',
            `A filter value does not fit its column: ${message.split('\n')[0]}`,
            undefined,
            { cause: e },
          );
        }
        throw new EngineError('SQL_ERROR', `Reading result ${this.id} failed: ${message}`, undefined, {
          cause: e,
        });
      }
    });
  }

  /** The table to read for `view`: the kept rows, or a cached copy sorted by the view's sort. */
  private async viewSource(view: ResultView): Promise<string> {
    const sort = view.sort ?? [];
    if (sort.length === 0) return this.store.qualified(this.table);
    const key = JSON.stringify(sort.map((s) => [s.column, s.direction]));
    let copy = this.sorted.get(key);
    if (!copy) {
      const order = orderBy(sort, (i) => this.column(i));
      const name = `${this.table}_s${this.sorted.size + 1}`;
      copy = this.read(async (c) => {
        await c.run(
          `CREATE TABLE ${this.store.qualified(name)} AS SELECT * FROM ${this.store.qualified(this.table)} ORDER BY ${order}, rowid`,
        );
        return name;
      });
      this.sorted.set(key, copy);
      copy.catch(() => this.sorted.delete(key));
    }
    return this.store.qualified(await copy);
  }

  /** The WHERE clause of `filters`, with values as named parameters or, for COPY, inlined literals. */
  private whereClause(
    filters: readonly FilterSpec[],
    inline = false,
  ): { where: string; params: Record<string, string> } {
    const params: Record<string, string> = {};
    const bind = (name: string, value: string): string => {
      if (typeof value !== 'string') throw new EngineError('INVALID_ARGUMENT', 'Filter values are text.');
      if (inline) return quoteString(value);
      params[name] = value;
      return `$${name}`;
    };
    const parts = filters.map((f, k) => {
      const col = this.column(f.column);
      const c = quoteIdent(`c${f.column}`);
      const param = (name: string, value: string): string =>
        `CAST(${bind(`${name}${k}`, value)} AS ${col.duckdbType.toString()})`;
      switch (f.op) {
        case 'equals':
          return `${c} = ${param('v', f.value)}`;
        case 'contains':
          return `contains(lower(${c}::VARCHAR), ${bind(`v${k}`, f.value.toLowerCase())})`;
        case 'range': {
          const bounds = [
            f.min !== undefined ? `${c} >= ${param('lo', f.min)}` : '',
            f.max !== undefined ? `${c} <= ${param('hi', f.max)}` : '',
          ];
          return bounds.filter(Boolean).join(' AND ') || 'true';
        }
        case 'isNull':
          return `${c} IS NULL`;
        case 'notNull':
          return `${c} IS NOT NULL`;
        default:
          throw new EngineError(
            'INVALID_ARGUMENT',
            `Unknown filter ${quoteString(String((f as { op: unknown }).op))}.`,
          );
      }
    });
    return { where: parts.length ? ` WHERE ${parts.map((p) => `(${p})`).join(' AND ')}` : '', params };
  }

  private async filteredCount(filters: readonly FilterSpec[]): Promise<number> {
    const key = JSON.stringify(filters);
    const cached = this.counts.get(key);
    if (cached !== undefined) return cached;
    const { where, params } = this.whereClause(filters);
    const n = await this.read(async (c) => {
      const reader = await c.runAndReadAll(
        `SELECT count(*)::BIGINT FROM ${this.store.qualified(this.table)}${where}`,
        params,
      );
      return Number(reader.getRows()[0]![0]);
    });
    this.counts.set(key, n);
    return n;
  }
}

function orderBy(sort: readonly SortSpec[], column: (i: number) => KeptColumn): string {
  return sort
    .map((s) => {
      column(s.column);
      if (s.direction !== 'asc' && s.direction !== 'desc')
        throw new EngineError('INVALID_ARGUMENT', `Sort direction must be asc or desc.`);
      return `${quoteIdent(`c${s.column}`)} ${s.direction === 'asc' ? 'ASC' : 'DESC'} NULLS LAST`;
    })
    .join(', ');
}

function formatBound(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}
