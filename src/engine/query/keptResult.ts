import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { EngineResult } from '../api.js';
import type {
  Cell,
  ColumnStats,
  FilterSpec,
  ResultColumn,
  ResultPage,
  ResultSummary,
  ResultView,
  SortSpec,
} from '../../shared/results.js';
import type { ChartData, ChartSpec } from '../../shared/chart.js';
import { EngineError, errorMessage } from '../errors.js';
import { computeChart } from './chart.js';
import { INTERNAL_PREFIX, quoteIdent, quoteString } from '../names.js';
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
 * The in-memory database that holds kept results, attached by the warehouse at open (before its sandbox is
 * locked). DuckDB's own CREATE TABLE AS into a database file costs about twice one into memory
 * (bench/RESULTS.md); an in-memory database still spills to the instance's temp_directory under its
 * memory_limit (encrypted when temp_file_encryption is on; no spilling at all when encryption is required
 * but unavailable), and nothing of it outlives the process.
 */
export const KEPT_DB = `${INTERNAL_PREFIX}kept`;

/** Opens and closes the short-lived connections that build sorted and filtered copies. */
export interface ConnectionSource {
  connect(): Promise<DuckDBConnection>;
  release(connection: DuckDBConnection): void;
}

/** Sorted or filtered copies kept per result; the oldest built one is dropped beyond this. */
const MAX_VIEW_COPIES = 4;
/**
 * While a view's copy builds, pages ending within this many rows are answered by a query over the kept
 * rows (a top-N for a sort); deeper pages wait for the copy.
 */
const DIRECT_VIEW_ROWS = 10_000;

/** A sorted and/or filtered copy of a kept result, built once on its own connection. */
interface ViewCopy {
  name: string;
  built: Promise<void>;
  ready: boolean;
  rows: number;
  connection?: DuckDBConnection;
}

/**
 * Where a session keeps its results: one schema in the kept-results database, a connection
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
    readonly connections: ConnectionSource,
  ) {}

  /** Creates the session's schema in the kept-results database `catalog` (the warehouse's {@link KEPT_DB}). */
  static async create(
    writer: DuckDBConnection,
    reader: DuckDBConnection,
    catalog: string,
    schema: string,
    cellContext: CellContext,
    connections: ConnectionSource,
  ): Promise<ResultStore> {
    await writer.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(catalog)}.${quoteIdent(schema)}`);
    return new ResultStore(writer, reader, catalog, schema, cellContext, connections);
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
 * table. The first page of a sort or filter is a query over the kept rows (a top-N); a copy sorted and
 * filtered that way is then built on its own connection, and later pages are rowid ranges of it.
 */
export class KeptResult implements EngineResult {
  /** Rows appended and committed so far (the final count once complete). */
  private keptRows = 0;
  private isComplete = false;
  private wasCancelled = false;
  private failure: EngineError | undefined;
  private released = false;
  private elapsed = 0;
  private readonly copies = new Map<string, ViewCopy>();
  private copyCount = 0;
  private first: Cell[][];
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
    firstPage: Cell[][],
    private readonly store: ResultStore,
    private readonly table: string,
    private readonly startedAt: number,
  ) {
    this.first = firstPage;
    this.finished = new Promise((resolve) => (this.finish = resolve));
  }

  /** The first rows, converted as soon as DuckDB produced them (the kept table's rows 0…n-1). */
  get firstPage(): Cell[][] {
    return this.first;
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
    if (!hasView && offset + limit <= this.first.length) {
      const rows = this.first.slice(offset, offset + limit);
      return { resultId: this.id, offset, rows, totalRows: Math.max(this.keptRows, this.first.length) };
    }
    const columns = this.columns.map((_, i) => quoteIdent(`c${i}`)).join(', ');
    // Kept tables and view copies are written in order and never deleted from, so their rowids are
    // 0..n-1 in view order: a rowid range skips straight to the page (OFFSET scans up to it).
    const range = (table: string): string =>
      `SELECT ${columns} FROM ${table} WHERE rowid >= ${offset} AND rowid < ${offset + limit} ORDER BY rowid`;
    if (!hasView) {
      const rows = await this.read(async (c) => (await c.runAndReadAll(range(this.tableName))).getRows());
      return {
        resultId: this.id,
        offset,
        rows: rows.map((row) => this.convert(row)),
        totalRows: this.keptRows,
      };
    }
    await this.finished;
    const key = viewKey(view);
    const query = this.viewParts(view);
    const pending = this.copies.get(key);
    if (pending && !pending.ready && offset + limit > DIRECT_VIEW_ROWS)
      await pending.built.catch(() => undefined);
    const answer = await this.read(async (c) => {
      const copy = this.copies.get(key);
      if (copy?.ready) {
        return {
          rows: (await c.runAndReadAll(range(this.store.qualified(copy.name)))).getRows(),
          total: copy.rows,
        };
      }
      const reader = await c.runAndReadAll(
        `SELECT ${columns} FROM ${this.tableName}${query.where}${query.order} LIMIT ${limit} OFFSET ${offset}`,
        query.params,
      );
      return { rows: reader.getRows(), total: undefined };
    });
    const totalRows =
      answer.total ??
      ((view.filters?.length ?? 0) > 0 ? await this.filteredCount(view.filters!) : this.keptRows);
    if (!this.copies.has(key)) this.buildCopy(key, view);
    return { resultId: this.id, offset, rows: answer.rows.map((row) => this.convert(row)), totalRows };
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

  /** What a chart of the kept rows (filters of `view` applied) draws, computed by DuckDB (see chart.ts). */
  async chart(spec: ChartSpec, view: ResultView = {}): Promise<ChartData> {
    this.assertUsable();
    await this.finished;
    const { where, params } = this.whereClause(view.filters ?? []);
    return computeChart(
      {
        columns: this.columns,
        table: this.tableName,
        where,
        params,
        query: (sql, p) => this.read(async (c) => (await c.runAndReadAll(sql, p)).getRows()),
      },
      spec,
    );
  }

  /** A SELECT over the kept rows seen through `view`, with the result's own column names (for export). */
  async viewQuery(view: ResultView = {}): Promise<string> {
    this.assertUsable();
    await this.finished;
    const columns = this.columns
      .map((col, i) => `${quoteIdent(`c${i}`)} AS ${quoteIdent(col.exportName)}`)
      .join(', ');
    const copy = this.copies.get(viewKey(view));
    if (copy?.ready) return `SELECT ${columns} FROM ${this.store.qualified(copy.name)} ORDER BY rowid`;
    const { where, order } = this.viewParts(view, true);
    return `SELECT ${columns} FROM ${this.tableName}${where}${order}`;
  }

  /** Drops the kept rows and every view copy (stopping copies still building); later reads fail with RESULT_NOT_FOUND. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.finished;
    const copies = [...this.copies.values()];
    this.copies.clear();
    for (const copy of copies) copy.connection?.interrupt();
    await Promise.allSettled(copies.map((copy) => copy.built));
    await this.store.reads.run(async () => {
      for (const t of [this.table, ...copies.map((copy) => copy.name)])
        await this.store.reader.run(`DROP TABLE IF EXISTS ${this.store.qualified(t)}`);
    });
  }

  /** Number of view copies built or building (for tests). */
  get viewCopies(): { building: number; built: number } {
    const all = [...this.copies.values()];
    return { building: all.filter((c) => !c.ready).length, built: all.filter((c) => c.ready).length };
  }

  /** Resolves when the copy for `view` is built (or failed); at once if none was started. */
  async whenViewBuilt(view: ResultView): Promise<void> {
    await this.copies.get(viewKey(view))?.built.catch(() => undefined);
  }

  /**
   * @internal Called by the session after DuckDB re-ran the statement into the table: if the table's
   * first rows differ from the page shown (a view hid a run-dependent order), the table's rows become
   * the first page, so every later read agrees with the kept rows.
   */
  async checkFirstPage(): Promise<boolean> {
    const n = this.first.length;
    const columns = this.columns.map((_, i) => quoteIdent(`c${i}`)).join(', ');
    const rows = await this.store.reads.run(async () =>
      (
        await this.store.reader.runAndReadAll(
          `SELECT ${columns} FROM ${this.tableName} WHERE rowid < ${n} ORDER BY rowid`,
        )
      ).getRows(),
    );
    const cells = rows.map((row) => this.convert(row));
    if (JSON.stringify(cells) === JSON.stringify(this.first)) return true;
    this.first = cells;
    return false;
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

  private async read<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    await this.tableReady;
    return this.store.reads.run(async () => {
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

  /** The WHERE and ORDER BY of `view` over the kept rows (ties keep the kept order). */
  private viewParts(
    view: ResultView,
    inline = false,
  ): { where: string; order: string; params: Record<string, string> } {
    const sort = view.sort ?? [];
    const order = sort.length ? ` ORDER BY ${orderBy(sort, (i) => this.column(i))}, rowid` : '';
    return { ...this.whereClause(view.filters ?? [], inline), order };
  }

  /** Starts building the copy of the kept rows seen through `view`, on a connection of its own. */
  private buildCopy(key: string, view: ResultView): void {
    if (this.released) return;
    const { where, order } = this.viewParts(view, true);
    const copy: ViewCopy = {
      name: `${this.table}_v${++this.copyCount}`,
      built: Promise.resolve(),
      ready: false,
      rows: 0,
    };
    copy.built = (async () => {
      const c = await this.store.connections.connect();
      copy.connection = c;
      try {
        if (this.released) throw new EngineError('RESULT_NOT_FOUND', `Result ${this.id} was released.`);
        const r = await c.runAndReadAll(
          `CREATE TABLE ${this.store.qualified(copy.name)} AS SELECT * FROM ${this.tableName}${where}${order}`,
        );
        // CREATE TABLE AS answers with one row: the count of rows written.
        copy.rows = Number(r.getRows()[0]![0]);
        copy.ready = true;
      } finally {
        copy.connection = undefined;
        this.store.connections.release(c);
      }
      await this.evictCopies();
    })();
    copy.built.catch(() => {
      if (this.copies.get(key) === copy) this.copies.delete(key);
    });
    this.copies.set(key, copy);
  }

  /** Drops the oldest built copies beyond {@link MAX_VIEW_COPIES}. */
  private async evictCopies(): Promise<void> {
    const built = [...this.copies.entries()].filter(([, c]) => c.ready);
    for (const [key, copy] of built.slice(0, Math.max(0, built.length - MAX_VIEW_COPIES))) {
      this.copies.delete(key);
      await this.store.reads.run(() =>
        this.store.reader.run(`DROP TABLE IF EXISTS ${this.store.qualified(copy.name)}`),
      );
    }
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
    const copy = this.copies.get(viewKey({ filters: [...filters] }));
    if (copy?.ready) return copy.rows;
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

/** The cache key of a view: its sort and filters. */
function viewKey(view: ResultView): string {
  return JSON.stringify([
    (view.sort ?? []).map((s) => [s.column, s.direction]),
    (view.filters ?? []).map((f) => Object.entries(f).sort()),
  ]);
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
