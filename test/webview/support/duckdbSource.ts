// TEMPORARY: a minimal ResultSource over a real DuckDB table, for the webview tests until the engine's
// kept-result class lands (it replaces this file at merge). Real SQL for paging, sort, filter and stats.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type {
  Cell,
  ColumnKind,
  ColumnStats,
  FilterSpec,
  ResultColumn,
  ResultPage,
  ResultSource,
  ResultSummary,
  ResultView,
} from '../../../src/shared/results.js';

const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const literal = (value: string): string => `'${value.replaceAll("'", "''")}'`;

function kindOf(type: string): ColumnKind {
  const t = type.toUpperCase();
  if (/^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|U?HUGEINT)$/.test(t)) return 'integer';
  if (t.startsWith('DECIMAL')) return 'decimal';
  if (t === 'DOUBLE' || t === 'FLOAT' || t === 'REAL') return 'float';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'VARCHAR') return 'text';
  if (/^(DATE|TIME|TIMESTAMP|INTERVAL)/.test(t)) return 'temporal';
  if (t === 'BLOB') return 'binary';
  if (/(\[\d*\]$)|^STRUCT|^MAP|^UNION/.test(t)) return 'nested';
  return 'other';
}

/** Opens an in-memory DuckDB with extension auto-loading off (FACTS: hang risk). */
export function openDuckDB(): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
}

export class DuckDBTableSource implements ResultSource {
  private readonly views = new Map<string, Promise<{ table: string; count: number }>>();
  private viewCounter = 0;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly table: string,
    private readonly info: ResultSummary,
  ) {}

  /** Keeps `sql`'s result in a table and serves it. */
  static async create(instance: DuckDBInstance, resultId: string, sql: string): Promise<DuckDBTableSource> {
    const started = Date.now();
    const connection = await instance.connect();
    const table = `kept_${resultId.replace(/\W/g, '_')}`;
    await connection.run(`CREATE OR REPLACE TABLE ${ident(table)} AS ${sql}`);
    const described = await connection.runAndReadAll(`DESCRIBE ${ident(table)}`);
    const columns: ResultColumn[] = described.getRowObjectsJson().map((r) => ({
      name: String(r['column_name']),
      type: String(r['column_type']),
      kind: kindOf(String(r['column_type'])),
    }));
    const count = await connection.runAndReadAll(`SELECT count(*)::DOUBLE FROM ${ident(table)}`);
    const rowCount = Number(count.getRowsJson()[0]![0]);
    return new DuckDBTableSource(connection, table, {
      resultId,
      columns,
      rowCount,
      complete: true,
      elapsedMs: Date.now() - started,
    });
  }

  /** One statement at a time on the shared connection. */
  private read(sql: string): ReturnType<DuckDBConnection['runAndReadAll']> {
    const next = this.queue.then(() => this.connection.runAndReadAll(sql));
    this.queue = next.catch(() => undefined);
    return next;
  }

  summary(): ResultSummary {
    return this.info;
  }

  async page(offset: number, limit: number, view: ResultView = {}): Promise<ResultPage> {
    const { table, count } = await this.viewTable(view);
    const names = this.info.columns.map((c) => ident(c.name)).join(', ');
    // rowid ranges instead of OFFSET: constant time at any depth of a 10M-row table.
    const reader = await this.read(
      `SELECT ${names} FROM ${ident(table)} WHERE rowid >= ${offset} AND rowid < ${offset + limit} ORDER BY rowid`,
    );
    return { resultId: this.info.resultId, offset, rows: reader.getRowsJson() as Cell[][], totalRows: count };
  }

  async stats(column: number, view: ResultView = {}): Promise<ColumnStats> {
    const col = this.info.columns[column]!;
    const { table } = await this.viewTable(view);
    const c = ident(col.name);
    const numeric = ['integer', 'decimal', 'float'].includes(col.kind);
    const base = await this.read(
      `SELECT count(*)::DOUBLE, (count(*) - count(${c}))::DOUBLE, approx_count_distinct(${c})::DOUBLE,
              min(${c})::VARCHAR, max(${c})::VARCHAR, ${numeric ? `avg(${c})::DOUBLE` : 'NULL'}
       FROM ${ident(table)}`,
    );
    const [count, nulls, distinct, min, max, mean] = base.getRowsJson()[0]! as (string | number | null)[];
    let histogram: { label: string; count: number }[] = [];
    if (numeric && min !== null && max !== null) {
      const h = await this.read(
        `WITH b AS (SELECT min(${c})::DOUBLE lo, max(${c})::DOUBLE hi FROM ${ident(table)})
         SELECT least(floor((${c}::DOUBLE - lo) / greatest((hi - lo) / 10, 1e-300)), 9)::INTEGER AS bucket,
                min(${c})::VARCHAR, count(*)::DOUBLE
         FROM ${ident(table)}, b WHERE ${c} IS NOT NULL GROUP BY bucket ORDER BY bucket`,
      );
      histogram = h.getRowsJson().map((r) => ({ label: String(r[1]), count: Number(r[2]) }));
    } else if (col.kind !== 'nested') {
      const h = await this.read(
        `SELECT ${c}::VARCHAR, count(*)::DOUBLE FROM ${ident(table)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8`,
      );
      histogram = h
        .getRowsJson()
        .map((r) => ({ label: r[0] === null ? 'NULL' : String(r[0]), count: Number(r[1]) }));
    }
    return {
      column,
      type: col.type,
      count: Number(count),
      nulls: Number(nulls),
      distinctEstimate: Number(distinct),
      min: min === null ? null : String(min),
      max: max === null ? null : String(max),
      mean: mean === null ? null : Number(mean),
      histogram,
    };
  }

  private condition(filter: FilterSpec): string {
    const col = this.info.columns[filter.column];
    if (!col) throw new Error(`Column ${filter.column} does not exist.`);
    const c = ident(col.name);
    const typed = (v: string): string =>
      col.kind === 'nested' ? literal(v) : `TRY_CAST(${literal(v)} AS ${col.type})`;
    switch (filter.op) {
      case 'equals':
        return col.kind === 'nested'
          ? `${c}::VARCHAR = ${literal(filter.value)}`
          : `${c} = ${typed(filter.value)}`;
      case 'contains':
        return `contains(lower(${c}::VARCHAR), lower(${literal(filter.value)}))`;
      case 'range':
        return [
          filter.min !== undefined && filter.min !== '' ? `${c} >= ${typed(filter.min)}` : 'TRUE',
          filter.max !== undefined && filter.max !== '' ? `${c} <= ${typed(filter.max)}` : 'TRUE',
        ].join(' AND ');
      case 'isNull':
        return `${c} IS NULL`;
      case 'notNull':
        return `${c} IS NOT NULL`;
    }
  }

  private viewTable(view: ResultView): Promise<{ table: string; count: number }> {
    const sort = view.sort ?? [];
    const filters = view.filters ?? [];
    if (sort.length === 0 && filters.length === 0) {
      return Promise.resolve({ table: this.table, count: this.info.rowCount });
    }
    const key = JSON.stringify({ sort, filters });
    let made = this.views.get(key);
    if (!made) {
      made = (async () => {
        const table = `${this.table}_v${++this.viewCounter}`;
        const where = filters.length ? `WHERE ${filters.map((f) => this.condition(f)).join(' AND ')}` : '';
        const order = sort
          .map(
            (s) =>
              `${ident(this.info.columns[s.column]!.name)} ${s.direction === 'desc' ? 'DESC' : 'ASC'} NULLS LAST`,
          )
          .concat(['rowid'])
          .join(', ');
        await this.read(
          `CREATE TEMP TABLE ${ident(table)} AS SELECT * FROM ${ident(this.table)} ${where} ORDER BY ${order}`,
        );
        const count = await this.read(`SELECT count(*)::DOUBLE FROM ${ident(table)}`);
        return { table, count: Number(count.getRowsJson()[0]![0]) };
      })();
      made.catch(() => this.views.delete(key));
      this.views.set(key, made);
    }
    return made;
  }
}
