// Work measured in a fresh process per sample (`node out/bench/tasks.js <task> <json args>`), so that
// no side profits from what an earlier sample left in a cache, and each has its own peak RSS. Prints
// one JSON line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Session, type KeptResult } from '../src/engine/query/index.js';
import { Warehouse } from '../src/engine/warehouse.js';
import type { ResultView } from '../src/shared/results.js';
import { PeerService, peerTempDir } from './peer.js';
import { tempDir, timed } from './util.js';

/** Arguments of every task: the query, and for views the column to sort and the text to filter by. */
export interface TaskArgs {
  sql: string;
  /** Index and name of the column to sort and filter (views). */
  column?: { index: number; name: string };
  /** Text a "contains" filter looks for (views). */
  contains?: string;
  /** Also time pages against bare rowid-range reads (keep). */
  pages?: boolean;
  /** A warehouse folder built beforehand, opened as it is (open). */
  warehouse?: string;
}

const rssMb = (): number => process.resourceUsage().maxRSS / 1024;

async function ours<T>(fn: (s: Session, w: Warehouse) => Promise<T>): Promise<T> {
  const dir = tempDir('task-');
  const w = await Warehouse.open(path.join(dir, 'wh'));
  const s = await Session.open(w);
  try {
    return await fn(s, w);
  } finally {
    await s.close();
    await w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function peer<T>(fn: (p: PeerService) => Promise<T>): Promise<T> {
  const dir = tempDir('peer-');
  const p = await PeerService.initialize(peerTempDir(dir));
  try {
    return await fn(p);
  } finally {
    p.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function raw<T>(fn: (c: import('@duckdb/node-api').DuckDBConnection) => Promise<T>): Promise<T> {
  const dir = tempDir('raw-');
  const instance = await DuckDBInstance.create(path.join(dir, 'raw.duckdb'), {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const c = await instance.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `sql` in our session: ms to the first page and to the whole result kept (row count known). */
async function keep(s: Session, sql: string): Promise<{ first: number; kept: number; result: KeptResult }> {
  const t0 = performance.now();
  for await (const o of s.runIter(sql)) {
    if (o.status === 'error') throw o.error;
    if (o.status !== 'rows') continue;
    const first = performance.now() - t0;
    await o.result.whenComplete();
    if (o.result.error) throw o.result.error;
    return { first, kept: performance.now() - t0, result: o.result };
  }
  throw new Error('no rows');
}

const tasks: Record<string, (a: TaskArgs) => Promise<unknown>> = {
  /** Ours: first page, whole result kept, then pages at the middle and end against bare rowid reads. */
  'ours-keep': ({ sql, pages }) =>
    ours(async (s, w) => {
      const { first, kept, result } = await keep(s, sql);
      const n = result.rowCount;
      const out = {
        first,
        kept,
        rows: n,
        rss: 0,
        page: {} as Record<string, { ours: number[]; bare: number[] }>,
      };
      const mid = { offset: Math.floor(n / 2), label: 'middle' };
      const end = { offset: Math.max(0, n - 1000), label: 'end' };
      out.page[mid.label] = { ours: [], bare: [] };
      out.page[end.label] = { ours: [], bare: [] };
      if (pages) {
        const c = await w.connect();
        const columns = result.columns.map((_, i) => `"c${i}"`).join(', ');
        for (let i = 0; i < 5; i++) {
          for (const { offset, label } of [mid, end]) {
            const o = offset - i;
            out.page[label]!.ours.push((await timed(() => result.page(o, 1000))).ms);
            out.page[label]!.bare.push(
              (
                await timed(async () =>
                  (
                    await c.runAndReadAll(
                      `SELECT ${columns} FROM ${result.tableName} WHERE rowid >= ${o} AND rowid < ${o + 1000} ORDER BY rowid`,
                    )
                  ).getRowsJson(),
                )
              ).ms,
            );
          }
        }
        w.release(c);
      } else {
        out.page[mid.label]!.ours.push((await timed(() => result.page(mid.offset, 1000))).ms);
      }
      out.rss = rssMb();
      return out;
    }),

  /** The peer: CREATE TEMP TABLE AS + COUNT + DESCRIBE + first page, then a page at the middle. */
  'peer-keep': ({ sql }) =>
    peer(async (p) => {
      const t0 = performance.now();
      const r = await p.executeSelect(sql);
      const first = performance.now() - t0;
      const middle = (await timed(() => p.fetchPage(r.cacheId, Math.floor(r.totalRows / 2), 1000))).ms;
      // Its result is kept (and counted) before its first page: "kept" is the same moment.
      return { first, kept: first, rows: r.totalRows, middle, rss: rssMb() };
    }),

  /** Raw node-api: the first 1,000 rows as DuckDB streams them. */
  'raw-first': ({ sql }) =>
    raw(async (c) => ({
      ms: (await timed(async () => (await c.streamAndReadUntil(sql, 1000)).getRowsJson())).ms,
    })),

  /** DuckDB's own CREATE TABLE AS, into an in-memory database. */
  'ctas-memory': ({ sql }) =>
    raw(async (c) => {
      await c.run(`ATTACH ':memory:' AS m`);
      return { ms: (await timed(() => c.run(`CREATE TABLE m.t AS ${sql}`))).ms, rss: rssMb() };
    }),

  /** DuckDB's own CREATE TABLE AS, into a database file. */
  'ctas-file': ({ sql }) =>
    raw(async (c) => ({ ms: (await timed(() => c.run(`CREATE TABLE t AS ${sql}`))).ms, rss: rssMb() })),

  /** Ours: sorted and filtered pages of a kept result; the copies build behind the first page. */
  'ours-views': ({ sql, column, contains }) =>
    ours(async (s) => {
      const { result } = await keep(s, sql);
      const n = result.rowCount;
      const sort: ResultView = { sort: [{ column: column!.index, direction: 'asc' }] };
      const filter: ResultView = { filters: [{ column: column!.index, op: 'contains', value: contains! }] };
      const firstSorted = (await timed(() => result.page(0, 1000, sort))).ms;
      const builtFrom = performance.now();
      // A user scrolling on at once: the page waits for the sorted copy.
      const middleWhileBuilding = (await timed(() => result.page(Math.floor(n / 2), 1000, sort))).ms;
      await result.whenViewBuilt(sort);
      const sortBuild = performance.now() - builtFrom;
      const middleSorted = (await timed(() => result.page(Math.floor(n / 2) + 1, 1000, sort))).ms;
      const endSorted = (await timed(() => result.page(n - 1000, 1000, sort))).ms;
      const f0 = await timed(() => result.page(0, 1000, filter));
      const filterFrom = performance.now();
      await result.whenViewBuilt(filter);
      const filterBuild = performance.now() - filterFrom;
      const middleFiltered = (
        await timed(() => result.page(Math.floor(f0.value.totalRows / 2), 1000, filter))
      ).ms;
      return {
        firstSorted,
        middleWhileBuilding,
        sortBuild,
        middleSorted,
        endSorted,
        firstFiltered: f0.ms,
        filterBuild,
        middleFiltered,
      };
    }),

  /**
   * Goal 5, ours: Warehouse.open on a built warehouse, the tree's database list, then a first cross-database query
   * in a session, each timed from the start (cumulative), with the count of databases listed.
   */
  'open-ours': async ({ sql, warehouse }) => {
    const t0 = performance.now();
    const w = await Warehouse.open(warehouse!);
    try {
      const listed = (await w.catalog.databases()).length;
      const tree = performance.now() - t0;
      const s = await Session.open(w);
      const r = await s.run(sql);
      if (r.error) throw r.error;
      const o = r.outcomes[0]!;
      if (o.status !== 'rows') throw new Error(`expected rows, got ${o.status}`);
      const ms = performance.now() - t0;
      await s.close();
      return { ms, tree, listed, rows: o.result.firstPage.length };
    } finally {
      await w.close();
    }
  },

  /**
   * Goal 5, what a user would otherwise run: raw node-api, an in-memory instance, ATTACH of every database file,
   * the database list, then the same query (timed the same way).
   */
  'open-raw': async ({ sql, warehouse }) => {
    const t0 = performance.now();
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const c = await instance.connect();
    try {
      const folder = path.join(warehouse!, 'spaces', 'local', 'databases');
      for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.duckdb'))) {
        const name = file.slice(0, -'.duckdb'.length).replaceAll('"', '""');
        await c.run(`ATTACH '${path.join(folder, file).replaceAll("'", "''")}' AS "${name}"`);
      }
      const listed = (
        await c.runAndReadAll(
          `SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name <> current_database()`,
        )
      ).getRows().length;
      const tree = performance.now() - t0;
      const rows = (await c.runAndReadAll(sql)).getRowObjectsJson().length;
      const ms = performance.now() - t0;
      return { ms, tree, listed, rows };
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  },

  /** The peer: the same pages, each an ORDER BY / WHERE with LIMIT and OFFSET over its temp table. */
  'peer-views': ({ sql, column, contains }) =>
    peer(async (p) => {
      const r = await p.executeSelect(sql);
      const n = r.totalRows;
      const col = column!.name;
      const firstSorted = (await timed(() => p.fetchPage(r.cacheId, 0, 1000, col, 'asc'))).ms;
      const middleSorted = (await timed(() => p.fetchPage(r.cacheId, Math.floor(n / 2), 1000, col, 'asc')))
        .ms;
      const endSorted = (await timed(() => p.fetchPage(r.cacheId, n - 1000, 1000, col, 'asc'))).ms;
      const where = PeerService.contains(col, contains!);
      const f0 = await timed(() => p.fetchPage(r.cacheId, 0, 1000, undefined, undefined, where));
      const middleFiltered = (
        await timed(() =>
          p.fetchPage(r.cacheId, Math.floor(f0.value.totalRows / 2), 1000, undefined, undefined, where),
        )
      ).ms;
      return { firstSorted, middleSorted, endSorted, firstFiltered: f0.ms, middleFiltered };
    }),
};

if (require.main === module) {
  const [name, json] = process.argv.slice(2);
  const task = tasks[name ?? ''];
  if (!task) {
    process.stderr.write(`unknown task ${name}; known: ${Object.keys(tasks).join(', ')}\n`);
    process.exit(2);
  }
  void task(JSON.parse(json ?? '{}') as TaskArgs).then(
    (out) => process.stdout.write(`${JSON.stringify(out)}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
