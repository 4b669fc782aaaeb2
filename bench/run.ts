// `npm run bench`: each figure against a baseline measured in the same run (raw @duckdb/node-api, or
// the naive approach a peer takes). Writes bench/RESULTS.md. Sizes follow issue 2; set BENCH_SCALE=0.1
// for a quick run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Warehouse } from '../src/engine/warehouse.js';
import { Session, type KeptResult } from '../src/engine/query/index.js';
import type { ResultView } from '../src/shared/results.js';
import { benchCancel } from './cancel.js';
import { benchGrid } from './grid.js';
import { markdown, median, report, tempDir, timed } from './util.js';

const SCALE = Number(process.env.BENCH_SCALE ?? '1');
const N10M = Math.round(10_000_000 * SCALE);
const N5M = Math.round(5_000_000 * SCALE);
const ONLY = process.env.BENCH_ONLY?.split(',');

const WIDE = (
  n: number,
) => `SELECT range AS id, range % 1000 AS k, hash(range)::VARCHAR AS name, (range * 0.01)::DECIMAL(18,2) AS amount,
  random() AS r, DATE '2020-01-01' + (range % 2000)::INTEGER AS d, range % 2 = 0 AS flag, md5(range::VARCHAR) AS h,
  (range % 97)::INTEGER AS small, 'row ' || range AS label FROM range(${n})`;

async function firstRows(session: Session, sql: string): Promise<{ ms: number; result: KeptResult }> {
  const t0 = performance.now();
  for await (const o of session.runIter(sql)) {
    if (o.status === 'rows') return { ms: performance.now() - t0, result: o.result };
    if (o.status === 'error') throw o.error;
  }
  throw new Error('no rows');
}

async function raw(dir: string): Promise<{ instance: DuckDBInstance; c: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(path.join(dir, 'raw.duckdb'), {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  return { instance, c: await instance.connect() };
}

async function bench(name: string, fn: () => Promise<void>): Promise<void> {
  if (ONLY && !ONLY.some((o) => name.startsWith(o))) return;
  process.stdout.write(`\n# ${name}\n`);
  await fn();
}

async function main(): Promise<void> {
  const dir = tempDir('bench-');
  const w = await Warehouse.open(path.join(dir, 'wh'));
  await w.createDatabase('bench');
  const rawDb = await raw(dir);
  try {
    await bench('1 aggregate', async () => {
      const sql = `SELECT range % 100 AS g, count(*), sum(range), avg(range) FROM range(${N10M}) GROUP BY ALL ORDER BY 1`;
      const s = await Session.open(w);
      const ours: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < 5; i++) {
        base.push((await timed(() => rawDb.c.run(sql))).ms);
        ours.push((await timed(async () => (await s.run(sql)).outcomes)).ms);
      }
      await s.close();
      report(
        `aggregate over ${N10M} rows (median of 5)`,
        median(ours),
        median(base),
        'ms',
        '≤ 1.05×',
        median(ours) / median(base) <= 1.05,
      );
    });

    await bench('2 first page', async () => {
      const sql = `SELECT * FROM range(${N10M})`;
      const s = await Session.open(w);
      const ours: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < 5; i++) {
        base.push((await timed(async () => (await rawDb.c.streamAndReadUntil(sql, 1000)).getRowsJson())).ms);
        const r = await firstRows(s, sql);
        ours.push(r.ms);
        s.cancel();
        await r.result.whenComplete();
      }
      const naive = await timed(async () => (await rawDb.c.runAndReadAll(sql)).getRowObjectsJson().length);
      await s.close();
      report(
        `first page of range(${N10M}) vs streamAndReadUntil (median of 5)`,
        median(ours),
        median(base),
        'ms',
        '≤ 1.5×',
        median(ours) / median(base) <= 1.5,
      );
      report(
        `first page of range(${N10M}) vs materialise all as row objects`,
        median(ours),
        naive.ms,
        'ms',
        'naive path',
        undefined,
      );
    });

    await bench('3 paging', async () => {
      const s = await Session.open(w);
      const { result } = await firstRows(s, WIDE(N5M));
      await result.whenComplete();
      const offsets = { start: 0, middle: Math.floor(N5M / 2), end: N5M - 1000 };
      const views: [string, ResultView][] = [
        ['unsorted', {}],
        ['sorted by text', { sort: [{ column: 2, direction: 'asc' }] }],
      ];
      for (const [label, view] of views) {
        if (label === 'sorted by text') {
          const first = await timed(() => result.page(0, 1000, view));
          process.stdout.write(`  first sorted page (builds the sorted copy): ${first.ms.toFixed(0)} ms\n`);
        }
        for (const [where, offset] of Object.entries(offsets)) {
          const ours: number[] = [];
          const base: number[] = [];
          for (let i = 0; i < 5; i++) {
            ours.push((await timed(() => result.page(offset + i, 1000, view))).ms);
            const order = label === 'unsorted' ? '' : ' ORDER BY name';
            base.push(
              (
                await timed(async () =>
                  (
                    await rawDb.c.runAndReadAll(
                      `SELECT * FROM (${WIDE(N5M)})${order} LIMIT 1000 OFFSET ${offset + i}`,
                    )
                  ).getRowsJson(),
                )
              ).ms,
            );
          }
          report(
            `page of 1000 at ${where} of ${N5M}×10, ${label}, vs re-run with LIMIT/OFFSET`,
            median(ours),
            median(base),
            'ms',
            'median ≤ 50 ms',
            median(ours) <= 50,
          );
        }
      }
      await s.close();
    });

    await bench('4 export', async () => {
      const sql = `SELECT range AS id, range % 1000 AS k, md5(range::VARCHAR) AS h FROM range(${N10M})`;
      const s = await Session.open(w);
      const out = path.join(dir, 'ours.parquet');
      const ours = await timed(() => s.export(sql, out));
      const base = await timed(() =>
        rawDb.c.run(`COPY (${sql}) TO '${path.join(dir, 'raw.parquet')}' (FORMAT parquet)`),
      );
      await s.close();
      report(
        `export ${N10M} rows to Parquet vs raw COPY`,
        ours.ms,
        base.ms,
        'ms',
        '≤ 1.1×',
        ours.ms / base.ms <= 1.1,
      );
    });

    await bench('5 catalog', async () => {
      const dbs = Math.max(2, Math.round(50 * Math.min(1, SCALE * 10)));
      const cw = await Warehouse.open(path.join(dir, 'catalog'));
      const t0 = performance.now();
      for (let d = 0; d < dbs; d++) {
        await cw.createDatabase(`db${d}`);
        const ddl: string[] = [];
        for (let s = 0; s < 10; s++) {
          ddl.push(`CREATE SCHEMA "db${d}".s${s}`);
          for (let t = 0; t < 100; t++)
            ddl.push(`CREATE TABLE "db${d}".s${s}.t${t} (id INTEGER, name VARCHAR, amount DOUBLE)`);
        }
        await cw.withConnection((c) => c.run(ddl.join(';\n')));
      }
      process.stdout.write(
        `  built ${dbs}×10×100 tables in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );
      cw.notifyCatalogChanged({ databases: 'all' });
      const first = await timed(async () => {
        await cw.catalog.databases();
        await cw.catalog.schemas('db7');
        return cw.catalog.objects('db7', 's3');
      });
      const cached: number[] = [];
      for (let i = 0; i < 20; i++)
        cached.push((await timed(() => cw.catalog.objects(`db${i % dbs}`, `s${i % 10}`))).ms);
      const afterDdl = await timed(async () => {
        await cw.withConnection((c) => c.run(`CREATE TABLE "db3".s1.extra (x INTEGER)`));
        cw.notifyCatalogChanged({ databases: ['db3'] });
        return cw.catalog.objects('db3', 's1');
      });
      const base: number[] = [];
      for (let i = 0; i < 5; i++) {
        base.push(
          (
            await timed(() =>
              cw.withConnection(async (c) =>
                (
                  await c.runAndReadAll(
                    `SELECT * FROM duckdb_tables() WHERE database_name = 'db${i}' AND schema_name = 's1'`,
                  )
                ).getRowObjectsJson(),
              ),
            )
          ).ms,
        );
      }
      report(
        `catalog ${dbs}×10×100: first expansion vs filtered duckdb_tables()`,
        first.ms,
        median(base),
        'ms',
        'fast after first load',
        undefined,
      );
      report(
        `catalog ${dbs}×10×100: cached expansion (median of 20) vs filtered duckdb_tables()`,
        median(cached),
        median(base),
        'ms',
        'fast after first load',
        median(cached) < 5,
      );
      report(
        `catalog ${dbs}×10×100: expansion after a DDL in one database vs filtered duckdb_tables()`,
        afterDdl.ms,
        median(base),
        'ms',
        'refresh only what changed',
        undefined,
      );
      await cw.close();
    });

    await bench('6 keep', async () => {
      const sql = `SELECT range AS id, range % 1000 AS k, md5(range::VARCHAR) AS h FROM range(${N10M})`;
      const s = await Session.open(w);
      const heap0 = process.memoryUsage().heapUsed;
      let peakRss = process.memoryUsage().rss;
      const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
      const t0 = performance.now();
      const { ms: first, result } = await firstRows(s, sql);
      await result.whenComplete();
      const kept = performance.now() - t0;
      const rows = result.rowCount;
      global.gc?.();
      const heapGrowth = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
      clearInterval(timer);
      const native = await timed(() => rawDb.c.run(`CREATE OR REPLACE TABLE kept AS ${sql}`));
      report(
        `${rows} rows wholly kept, row count known, vs native CREATE TABLE AS`,
        kept,
        native.ms,
        'ms',
        '≤ 2×',
        kept / native.ms <= 2,
      );
      report(`  …while its first page came after`, first, native.ms, 'ms', 'at once', undefined);
      report(
        `JS heap growth while holding ${rows} rows (gc ${global.gc ? 'on' : 'off'})`,
        heapGrowth,
        50,
        'MB',
        '< 50 MB',
        heapGrowth < 50,
      );
      process.stdout.write(`  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB\n`);
      await s.close();
    });

    await bench('7 grid', () => benchGrid(w, N10M, Math.round(100_000 * SCALE)));

    await bench('8 cancel', () => benchCancel(w, rawDb.c));
  } finally {
    rawDb.c.closeSync();
    rawDb.instance.closeSync();
    await w.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const out = path.resolve(__dirname, '../../bench/RESULTS.md');
  if (!ONLY && SCALE === 1) {
    fs.writeFileSync(out, `# Benchmark results\n\nCommand: \`npm run bench\`\n\n${markdown()}`);
    process.stdout.write(`\nwrote ${out}\n`);
  } else {
    process.stdout.write(`\n${markdown()}`);
  }
}

void main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
