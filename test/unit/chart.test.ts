import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Warehouse } from '../../src/engine/warehouse.js';
import { Session } from '../../src/engine/query/session.js';
import type { KeptResult } from '../../src/engine/query/keptResult.js';
import { pickTimeBucket } from '../../src/engine/query/chart.js';
import { isEngineError } from '../../src/engine/errors.js';
import type { ChartData, ChartSpec } from '../../src/shared/chart.js';

let tmp: string;
let warehouse: Warehouse;
let session: Session;
/** 10,000 rows: day = 2024-01-01 + i % 100, cat = c0…c4, amount = i % 10, f = i. */
let known: KeptResult;
/** 1,000,000 rows of a sine wave with one spike: x = i, y = sin(i / 10000), y = 5 at i = 123456. */
let wave: KeptResult;

async function kept(sql: string): Promise<KeptResult> {
  const run = await session.run(sql);
  const o = run.outcomes[0];
  assert.ok(o?.status === 'rows', `no rows: ${run.error?.message}`);
  await o.result.whenComplete();
  return o.result;
}

function points(d: ChartData): Record<string, [number | string, number | null][]> {
  return Object.fromEntries(d.series.map((s) => [s.name, s.x.map((x, i) => [x, s.y[i]!])]));
}

async function rejects(result: KeptResult, spec: ChartSpec, message: RegExp): Promise<void> {
  await assert.rejects(result.chart(spec), (e: unknown) => {
    assert.ok(isEngineError(e), String(e));
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, message);
    return true;
  });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-chart-'));
  warehouse = await Warehouse.open(path.join(tmp, 'wh'));
  await warehouse.createDatabase('charts');
  session = await Session.open(warehouse, { database: 'charts' });
  await session.run(
    `CREATE TABLE known AS SELECT (DATE '2024-01-01' + (i % 100)::INTEGER) AS day, 'c' || (i % 5) AS cat,
       (i % 10)::INTEGER AS amount, i::DOUBLE AS f, (i % 20)::INTEGER AS k20, 'n' || (i % 300) AS many
     FROM range(10000) t(i)`,
  );
  await session.run(
    `CREATE TABLE wave AS SELECT i AS x, CASE WHEN i = 123456 THEN 5 ELSE sin(i / 10000) END AS y FROM range(1000000) t(i)`,
  );
  known = await kept('SELECT * FROM known');
  wave = await kept('SELECT * FROM wave');
});

after(async () => {
  await session.close();
  await warehouse.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('chart aggregation', () => {
  test('bar: count and sum per category', async () => {
    const d = await known.chart({
      type: 'bar',
      x: 1,
      y: [
        { column: 0, aggregate: 'count' },
        { column: 2, aggregate: 'sum' },
      ],
    });
    assert.equal(d.xKind, 'category');
    assert.equal(d.rows, 10000);
    assert.deepEqual(points(d), {
      'count(*)': [
        ['c0', 2000],
        ['c1', 2000],
        ['c2', 2000],
        ['c3', 2000],
        ['c4', 2000],
      ],
      'sum(amount)': [
        ['c0', 5000],
        ['c1', 7000],
        ['c2', 9000],
        ['c3', 11000],
        ['c4', 13000],
      ],
    });
  });

  test('line by date: an automatic day bucket, one point per day, on a time axis', async () => {
    const d = await known.chart({ type: 'line', x: 0, y: [{ column: 2, aggregate: 'avg' }] });
    assert.equal(d.xKind, 'time');
    assert.equal(d.bucket, 'day');
    const s = d.series[0]!;
    assert.equal(s.x.length, 100);
    assert.equal(s.x[0], Date.UTC(2024, 0, 1));
    assert.equal(s.x[99], Date.UTC(2024, 3, 9));
    // day d holds i = d, d+100, …: amount = d % 10 throughout
    assert.equal(s.y[13], 3);
  });

  test('an explicit month bucket sums whole months', async () => {
    const d = await known.chart({
      type: 'bar',
      x: 0,
      y: [{ column: 0, aggregate: 'count' }],
      bucket: 'month',
    });
    assert.equal(d.xKind, 'time');
    assert.deepEqual(points(d)['count(*)'], [
      [Date.UTC(2024, 0, 1), 3100],
      [Date.UTC(2024, 1, 1), 2900],
      [Date.UTC(2024, 2, 1), 3100],
      [Date.UTC(2024, 3, 1), 900],
    ]);
  });

  test('a series column splits the rows; only the most frequent series are drawn', async () => {
    const d = await known.chart({ type: 'line', x: 0, y: [{ column: 0, aggregate: 'count' }], series: 1 });
    assert.deepEqual(
      d.series.map((s) => [s.name, s.x.length]),
      ['c0', 'c1', 'c2', 'c3', 'c4'].map((n) => [n, 20]),
    );
    assert.equal(d.omittedSeries, 0);
    const many = await known.chart({ type: 'bar', x: 1, y: [{ column: 0, aggregate: 'count' }], series: 4 });
    assert.equal(many.series.length, 12);
    assert.equal(many.omittedSeries, 8);
    // every series has every category, NULL where it has no rows
    for (const s of many.series) assert.deepEqual(s.x, ['c0', 'c1', 'c2', 'c3', 'c4']);
    // series are the most frequent values (all 500 rows here), ties by name: 0, 1, 10…19
    const k10 = many.series.find((s) => s.name === '10')!;
    assert.deepEqual(k10.y, [500, null, null, null, null]);
  });

  test('too many categories: the 200 most frequent are drawn, the rest counted', async () => {
    const d = await known.chart({ type: 'bar', x: 5, y: [{ column: 0, aggregate: 'count' }] });
    assert.equal(d.series[0]!.x.length, 200);
    assert.equal(d.omittedCategories, 100);
    assert.equal(d.rows, 10000);
  });

  test('histograms bin in DuckDB: integer bins are whole, every bin is drawn', async () => {
    const ints = await known.chart({ type: 'histogram', x: 2, y: [], bins: 5 });
    assert.equal(ints.binWidth, 2);
    assert.deepEqual(points(ints)['count(*)'], [
      [0, 2000],
      [2, 2000],
      [4, 2000],
      [6, 2000],
      [8, 2000],
    ]);
    const floats = await known.chart({ type: 'histogram', x: 3, y: [], bins: 10 });
    assert.equal(floats.series[0]!.y.length, 10);
    assert.deepEqual(floats.series[0]!.y, Array(10).fill(1000));
  });

  test('the view filters of the grid apply to the chart', async () => {
    const d = await known.chart(
      { type: 'bar', x: 1, y: [{ column: 0, aggregate: 'count' }] },
      { filters: [{ column: 1, op: 'equals', value: 'c1' }] },
    );
    assert.deepEqual(points(d), { 'count(*)': [['c1', 2000]] });
  });
});

describe('chart downsampling', () => {
  test('a short plotted line is sent whole, in x order', async () => {
    const r = await kept('SELECT f AS x, amount AS y FROM known WHERE f < 50 ORDER BY f DESC');
    const d = await r.chart({ type: 'line', x: 0, y: [{ column: 1, aggregate: 'none' }] });
    assert.equal(d.downsampled, false);
    assert.equal(d.points, 50);
    assert.deepEqual(d.series[0]!.x, [...Array(50).keys()]);
  });

  test('a 1M-point line keeps first, last, min and max per pixel column (M4)', async () => {
    const d = await wave.chart({ type: 'line', x: 0, y: [{ column: 1, aggregate: 'none' }], width: 500 });
    assert.equal(d.downsampled, true);
    assert.equal(d.rows, 1_000_000);
    const s = d.series[0]!;
    assert.ok(s.x.length <= 4 * 500 && s.x.length >= 2 * 500, `points: ${s.x.length}`);
    assert.equal(s.x[0], 0);
    assert.equal(s.x.at(-1), 999_999);
    // the one-row spike survives, as do the wave's extremes
    assert.equal(Math.max(...(s.y as number[])), 5);
    assert.ok(s.x.includes(123456));
    assert.ok(Math.min(...(s.y as number[])) < -0.9999);
    for (let i = 1; i < s.x.length; i++) assert.ok((s.x[i] as number) >= (s.x[i - 1] as number));
  });

  test('a large scatter is thinned to one real point per grid cell', async () => {
    const d = await wave.chart({ type: 'scatter', x: 0, y: [{ column: 1, aggregate: 'none' }] });
    assert.equal(d.downsampled, true);
    assert.ok(d.points <= 160 * 50, `points: ${d.points}`);
    assert.ok(d.points > 100);
    const s = d.series[0]!;
    const i = s.x.indexOf(123456);
    assert.equal(s.y[i], 5, 'the lone outlier has a cell of its own');
  });

  test('a numeric x with many values is binned for an aggregated line', async () => {
    const d = await wave.chart({ type: 'line', x: 0, y: [{ column: 1, aggregate: 'max' }], width: 300 });
    assert.equal(d.xKind, 'value');
    assert.equal(d.series[0]!.x.length, 300);
    assert.ok(d.binWidth! > 3000 && d.binWidth! < 3400);
    assert.equal(Math.max(...(d.series[0]!.y as number[])), 5);
  });
});

describe('chart spec checks and quoting', () => {
  test('bad specs get clear errors', async () => {
    await rejects(
      known,
      { type: 'bar', x: 9, y: [{ column: 0, aggregate: 'count' }] },
      /x column 9 does not exist/,
    );
    await rejects(
      known,
      { type: 'bar', x: 0, y: [{ column: 1, aggregate: 'sum' }] },
      /sum needs a numeric column; "cat"/,
    );
    await rejects(
      known,
      { type: 'bar', x: 0, y: [{ column: 2, aggregate: 'none' }] },
      /bar chart aggregates/,
    );
    await rejects(
      known,
      { type: 'line', x: 1, y: [{ column: 2, aggregate: 'none' }] },
      /numeric or time x; "cat"/,
    );
    await rejects(
      known,
      {
        type: 'line',
        x: 0,
        y: [
          { column: 2, aggregate: 'none' },
          { column: 2, aggregate: 'sum' },
        ],
      },
      /every y or for none/,
    );
    await rejects(known, { type: 'histogram', x: 1, y: [] }, /histogram needs a numeric/);
    await rejects(known, { type: 'pie' as 'bar', x: 0, y: [] }, /Unknown chart type "pie"/);
    await rejects(known, { type: 'line', x: 0, y: [] }, /at least one y/);
    await rejects(
      known,
      { type: 'line', x: 0, y: [{ column: 0, aggregate: 'count' }], bucket: 'second' },
      /more than 20,000 points/,
    );
  });

  test('column names with quotes and SQL in them are only labels', async () => {
    const r = await kept(`SELECT cat AS "x""; DROP TABLE known; --", amount AS "sum(""y"")" FROM known`);
    const d = await r.chart({ type: 'bar', x: 0, y: [{ column: 1, aggregate: 'max' }] });
    assert.equal(d.xName, 'x"; DROP TABLE known; --');
    assert.deepEqual(d.series[0]!.y, [5, 6, 7, 8, 9]);
    assert.equal(d.series[0]!.name, 'max(sum("y"))');
  });

  test('timestamps with time zone chart on a time axis', async () => {
    const r = await kept(
      `SELECT TIMESTAMPTZ '2024-05-01 00:00:00+00' + INTERVAL (i) MINUTE AS at, i AS v FROM range(600) t(i)`,
    );
    const d = await r.chart({ type: 'bar', x: 0, y: [{ column: 1, aggregate: 'count' }], bucket: 'hour' });
    assert.equal(d.xKind, 'time');
    assert.deepEqual(d.series[0]!.y, Array(10).fill(60));
    assert.equal(d.series[0]!.x[0], Date.UTC(2024, 4, 1));
  });

  test('TIMESTAMP_NS and TIMESTAMP_S bucket like TIMESTAMP', async () => {
    const r = await kept(
      `SELECT (TIMESTAMP '2024-05-01' + INTERVAL (i) MINUTE)::TIMESTAMP_NS AS ns,
              (TIMESTAMP '2024-05-01' + INTERVAL (i) MINUTE)::TIMESTAMP_S AS s FROM range(180) t(i)`,
    );
    for (const x of [0, 1]) {
      const d = await r.chart({ type: 'bar', x, y: [{ column: x, aggregate: 'count' }], bucket: 'hour' });
      assert.deepEqual(d.series[0]!.y, [60, 60, 60]);
      assert.equal(d.series[0]!.x[1], Date.UTC(2024, 4, 1, 1));
    }
  });

  test('time buckets grow with the range', () => {
    assert.equal(pickTimeBucket(600_000, 1500), 'second');
    assert.equal(pickTimeBucket(3_600_000, 1500), 'minute');
    assert.equal(pickTimeBucket(86_400_000 * 30, 1500), 'hour');
    assert.equal(pickTimeBucket(86_400_000 * 365 * 3, 1500), 'day');
    assert.equal(pickTimeBucket(86_400_000 * 365 * 3, 400), 'week');
    assert.equal(pickTimeBucket(86_400_000 * 365 * 50, 400), 'quarter');
  });
});
