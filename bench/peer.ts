// The closest peer's way of keeping and paging a result, written here the way it does it, so that
// every figure can be set against what a user would otherwise run. Source read (not copied):
// ChuckJonas/duckdb-vscode v0.0.22, src/services/duckdb.ts (`initialize`, `executeSelectStatement`,
// `fetchPage`) and src/webview/ui/FilterBar.tsx (`filterToSql`). Same @duckdb/node-api as ours.
//
// - One in-memory instance, `memory_limit` 1.5GB, spilling to a temp directory (its `initialize`).
// - A SELECT becomes `CREATE TEMP TABLE "<id>" AS (<sql>)`, then `SELECT COUNT(*)`, then `DESCRIBE`,
//   then the first page (its `executeSelectStatement`).
// - Every page is `SELECT * FROM "<id>" [WHERE …] [ORDER BY "<col>" ASC|DESC NULLS LAST]
//   LIMIT n OFFSET m` read as row objects, plus a `COUNT(*)` with the same WHERE (its `fetchPage`).
// - A "contains" filter is `"<col>" ILIKE '%v%'` (its `filterToSql`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** One page as the peer hands it to its webview. */
export interface PeerPage {
  rows: Record<string, unknown>[];
  totalRows: number;
}

/** The peer's DuckDB service, reduced to keeping a result and paging it. */
export class PeerService {
  private cacheCounter = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** An in-memory instance configured as the peer configures it by default. */
  static async initialize(tempDirectory: string): Promise<PeerService> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`SET memory_limit = '1.5GB'`);
    fs.mkdirSync(tempDirectory, { recursive: true });
    await connection.run(`SET temp_directory = '${tempDirectory.replaceAll("'", "''")}'`);
    await connection.run(`SET max_temp_directory_size = '15GB'`);
    return new PeerService(instance, connection);
  }

  /** Keeps a SELECT's rows in a temp table; returns its id, row count, columns and first page. */
  async executeSelect(
    sql: string,
    pageSize = 1000,
  ): Promise<{ cacheId: string; totalRows: number; columns: string[]; types: string[]; page: PeerPage }> {
    const cacheId = `_cache_${Date.now()}_${++this.cacheCounter}`;
    await this.connection.run(`CREATE TEMP TABLE "${cacheId}" AS (${sql})`);
    const count = await this.connection.runAndReadAll(`SELECT COUNT(*) as cnt FROM "${cacheId}"`);
    const totalRows = Number(count.getRowObjectsJS()[0]!.cnt);
    const schema = await this.connection.runAndReadAll(`DESCRIBE "${cacheId}"`);
    const described = schema.getRowObjectsJS();
    const columns = described.map((r) => String(r.column_name));
    const types = described.map((r) => String(r.column_type));
    const page = await this.fetchPage(cacheId, 0, pageSize);
    return { cacheId, totalRows, columns, types, page };
  }

  /** One page of a kept result, sorted and filtered per request, with the filtered count. */
  async fetchPage(
    cacheId: string,
    offset: number,
    pageSize: number,
    sortColumn?: string,
    sortDirection?: 'asc' | 'desc',
    whereClause?: string,
  ): Promise<PeerPage> {
    let sql = `SELECT * FROM "${cacheId}"`;
    if (whereClause) sql += ` WHERE ${whereClause}`;
    if (sortColumn)
      sql += ` ORDER BY "${sortColumn}" ${sortDirection === 'desc' ? 'DESC' : 'ASC'} NULLS LAST`;
    sql += ` LIMIT ${pageSize} OFFSET ${offset}`;
    const reader = await this.connection.runAndReadAll(sql);
    const rows = reader.getRowObjectsJS().map(jsonSafe);
    let countSql = `SELECT COUNT(*) as cnt FROM "${cacheId}"`;
    if (whereClause) countSql += ` WHERE ${whereClause}`;
    const count = await this.connection.runAndReadAll(countSql);
    return { rows, totalRows: Number(count.getRowObjectsJS()[0]!.cnt) };
  }

  /** The peer's "contains" filter. */
  static contains(column: string, value: string): string {
    return `"${column}" ILIKE '%${value.replaceAll("'", "''")}%'`;
  }

  /** Drops a kept result's temp table (the peer does when its results panel closes). */
  async drop(cacheId: string): Promise<void> {
    await this.connection.run(`DROP TABLE IF EXISTS "${cacheId}"`);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Values made JSON-safe as the peer does before posting a page (bigint, Date, nested values). */
function jsonSafe(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = safe(v);
  return out;
}

function safe(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(safe);
  if (typeof v === 'object') return jsonSafe(v as Record<string, unknown>);
  return v;
}

/** A temp folder for the peer's spill files inside `dir`. */
export function peerTempDir(dir: string): string {
  return path.join(dir, 'peer-tmp');
}
