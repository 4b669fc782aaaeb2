import type { DuckDBValue } from '@duckdb/node-api';
import {
  CHART_AGGREGATES,
  CHART_TYPES,
  MAX_CATEGORIES,
  MAX_SERIES,
  type ChartData,
  type ChartMeasure,
  type ChartSeries,
  type ChartSpec,
  type TimeBucket,
} from '../../shared/chart.js';
import type { ResultColumn } from '../../shared/results.js';
import { EngineError } from '../errors.js';
import { quoteIdent } from '../names.js';

/** What a chart reads: the kept table, its columns, the view's filters and a reader over its connection. */
export interface ChartSource {
  columns: readonly ResultColumn[];
  /** Qualified, quoted name of the kept table (columns c0, c1, …). */
  table: string;
  /** ` WHERE …` of the view's filters, or empty. */
  where: string;
  params: Record<string, string>;
  query(sql: string, params: Record<string, string>): Promise<DuckDBValue[][]>;
}

/** Most y measures one chart draws. */
const MAX_MEASURES = 8;
/** A plotted (not aggregated) line, area or scatter with at most this many points is sent whole. */
const RAW_POINTS = 5_000;
/** Budget of points over all series of a reduced line or area (4 per pixel column per series). */
const LINE_POINTS = 16_000;
/** Cells of the grid a large scatter is thinned to (one real point per cell and series). */
const SCATTER_COLUMNS = 160;
const SCATTER_ROWS = 50;
/** Groups an automatic time bucket or an exact numeric x may produce, per chart type. */
const AUTO_GROUPS = { bar: 400, line: 1_500, area: 1_500, scatter: 1_500, histogram: 200 } as const;
/** Most groups an explicitly picked time bucket may produce. */
const MAX_GROUPS = 20_000;
const DEFAULT_BINS = 30;
const DEFAULT_WIDTH = 1_000;

const BUCKET_MS: Record<TimeBucket, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30.44 * 86_400_000,
  quarter: 91.31 * 86_400_000,
  year: 365.25 * 86_400_000,
};
const BUCKETS = Object.keys(BUCKET_MS) as TimeBucket[];

const isNumeric = (c: ResultColumn): boolean =>
  c.kind === 'integer' || c.kind === 'decimal' || c.kind === 'float';
const isTime = (c: ResultColumn): boolean => /^(DATE|TIMESTAMP)/.test(c.type);

/** Checks a chart spec against a result's columns; throws INVALID_ARGUMENT with a message fit for the user. */
export function validateChartSpec(spec: ChartSpec, columns: readonly ResultColumn[]): ChartSpec {
  const bad = (message: string): never => {
    throw new EngineError('INVALID_ARGUMENT', message);
  };
  if (typeof spec !== 'object' || spec === null) bad('A chart needs a spec.');
  if (!CHART_TYPES.includes(spec.type)) bad(`Unknown chart type "${String(spec.type)}".`);
  const column = (index: unknown, role: string): ResultColumn => {
    const col = Number.isInteger(index) ? columns[index as number] : undefined;
    if (!col) bad(`The ${role} column ${String(index)} does not exist (the result has ${columns.length}).`);
    return col!;
  };
  const x = column(spec.x, 'x');
  if (x.kind === 'nested' || x.kind === 'binary') bad(`"${x.name}" (${x.type}) cannot be an x axis.`);
  if (spec.type === 'histogram' && !isNumeric(x) && !isTime(x))
    bad(`A histogram needs a numeric, date or timestamp x; "${x.name}" is ${x.type}.`);
  if (spec.series !== undefined) {
    const s = column(spec.series, 'series');
    if (s.kind === 'nested' || s.kind === 'binary') bad(`"${s.name}" (${s.type}) cannot split series.`);
  }
  const y: ChartMeasure[] = spec.type === 'histogram' ? [] : Array.isArray(spec.y) ? spec.y : [];
  if (spec.type !== 'histogram' && y.length === 0) bad('Pick at least one y column.');
  if (y.length > MAX_MEASURES) bad(`A chart draws at most ${MAX_MEASURES} y columns.`);
  for (const m of y) {
    if (!CHART_AGGREGATES.includes(m?.aggregate)) bad(`Unknown aggregate "${String(m?.aggregate)}".`);
    if (m.aggregate === 'count') {
      if (m.column !== undefined && m.column !== null) column(m.column, 'y');
      continue;
    }
    const col = column(m.column, 'y');
    if (!isNumeric(col))
      bad(
        m.aggregate === 'none'
          ? `"${col.name}" is ${col.type}: only numbers can be plotted (count its rows instead).`
          : `${m.aggregate} needs a numeric column; "${col.name}" is ${col.type} (use count).`,
      );
  }
  const raw = y.filter((m) => m.aggregate === 'none').length;
  if (raw > 0 && raw < y.length) bad('Use the aggregate "none" for every y or for none of them.');
  if (raw > 0) {
    if (spec.type === 'bar') bad('A bar chart aggregates its y: pick count, sum, avg, min or max.');
    if (!isNumeric(x) && !isTime(x))
      bad(`Plotting every row needs a numeric or time x; "${x.name}" is ${x.type} (pick an aggregate).`);
  }
  if (spec.bucket !== undefined && spec.bucket !== 'auto' && !BUCKETS.includes(spec.bucket))
    bad(`Unknown time bucket "${String(spec.bucket)}".`);
  if (spec.bins !== undefined && (!Number.isInteger(spec.bins) || spec.bins < 1 || spec.bins > 200))
    bad('A histogram has 1 to 200 bins.');
  const width =
    typeof spec.width === 'number' && Number.isFinite(spec.width)
      ? Math.max(50, Math.min(4_000, Math.round(spec.width)))
      : DEFAULT_WIDTH;
  return {
    type: spec.type,
    x: spec.x,
    y: y.map((m) => ({ column: m.column, aggregate: m.aggregate })),
    ...(spec.series !== undefined ? { series: spec.series } : {}),
    ...(spec.bucket !== undefined ? { bucket: spec.bucket } : {}),
    ...(spec.bins !== undefined ? { bins: spec.bins } : {}),
    width,
  };
}

const col = (i: number): string => quoteIdent(`c${i}`);

/** A number of SQL text (finite, full precision). */
function lit(n: number): string {
  return Number.isFinite(n) ? `${n}::DOUBLE` : '0::DOUBLE';
}

/** `expr` (of x's type) as a number: milliseconds since the epoch for dates and timestamps, else DOUBLE. */
function toNumber(x: ResultColumn, expr: string): string {
  if (!isTime(x)) return `CAST(${expr} AS DOUBLE)`;
  return /WITH TIME ZONE/.test(x.type)
    ? `epoch_ms(${expr})::DOUBLE`
    : `epoch_ms(CAST(${expr} AS TIMESTAMP))::DOUBLE`;
}

/** x as a number, per row. */
function numericX(x: ResultColumn, index: number): string {
  return toNumber(x, col(index));
}

/**
 * x's lowest and highest value as numbers: the aggregates run on the column itself (DuckDB answers
 * min/max of a plain column far faster than of an expression) and only their results are converted.
 */
function xRange(x: ResultColumn, index: number): string {
  return `${toNumber(x, `min(${col(index)})`)}, ${toNumber(x, `max(${col(index)})`)}`;
}

function measureLabel(m: ChartMeasure, columns: readonly ResultColumn[]): string {
  if (m.aggregate === 'count') return 'count(*)';
  const name = columns[m.column]!.name;
  return m.aggregate === 'none' ? name : `${m.aggregate}(${name})`;
}

function aggregateSql(m: ChartMeasure): string {
  if (m.aggregate === 'count') return 'count(*)::DOUBLE';
  return `${m.aggregate}(${col(m.column)})::DOUBLE`;
}

/** Picks the smallest bucket that keeps a range within `groups` buckets. */
export function pickTimeBucket(rangeMs: number, groups: number, minimum: TimeBucket = 'second'): TimeBucket {
  const from = BUCKETS.indexOf(minimum);
  for (const b of BUCKETS.slice(from)) if (rangeMs / BUCKET_MS[b] <= groups) return b;
  return 'year';
}

const num = (v: DuckDBValue): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Computes what a chart draws over a whole kept result, in DuckDB: groups per x (time bucket, bin or
 * value) and series with the aggregates; histograms by binning; plotted lines reduced to the first, last,
 * lowest and highest point per pixel column; scatters thinned to one point per grid cell. The answer holds
 * at most a few thousand points per series whatever the row count. Identifiers are always quoted.
 */
export async function computeChart(source: ChartSource, input: ChartSpec): Promise<ChartData> {
  const spec = validateChartSpec(input, source.columns);
  const columns = source.columns;
  const x = columns[spec.x]!;
  const params = { ...source.params };
  const conds = [`${col(spec.x)} IS NOT NULL`];
  if (x.kind === 'float') conds.push(`isfinite(${col(spec.x)})`);
  let seriesNames: string[] = [];
  let omittedSeries = 0;
  const sv =
    spec.series === undefined ? `NULL::VARCHAR` : `coalesce(CAST(${col(spec.series)} AS VARCHAR), 'NULL')`;
  const where = (extra: string[] = []): string => {
    const all = [...conds, ...extra];
    const parts = source.where ? [source.where.replace(/^ WHERE /, ''), ...all] : all;
    return ` WHERE ${parts.map((p) => `(${p})`).join(' AND ')}`;
  };
  if (spec.series !== undefined) {
    const top = await source.query(
      `SELECT ${sv} AS sv, count(*) AS n FROM ${source.table}${where()} GROUP BY sv ORDER BY n DESC, sv LIMIT ${MAX_SERIES + 1}`,
      params,
    );
    seriesNames = top.slice(0, MAX_SERIES).map((r) => String(r[0]));
    if (top.length > MAX_SERIES) {
      const [[distinct]] = (await source.query(
        `SELECT count(DISTINCT ${sv}) FROM ${source.table}${where()}`,
        params,
      )) as [[DuckDBValue]];
      omittedSeries = Number(distinct) - MAX_SERIES;
    }
    if (seriesNames.length > 0) {
      seriesNames.forEach((name, i) => (params[`chart_s${i}`] = name));
      conds.push(`${sv} IN (${seriesNames.map((_, i) => `$chart_s${i}`).join(', ')})`);
    }
  }
  const measures = spec.y;
  const yName =
    spec.type === 'histogram' ? 'count(*)' : measures.map((m) => measureLabel(m, columns)).join(', ');
  const data: ChartData = {
    spec,
    xKind: 'category',
    xName: x.name,
    yName,
    series: [],
    rows: 0,
    points: 0,
    downsampled: false,
    omittedCategories: 0,
    omittedSeries,
  };
  /** Rows (j, sv, x, y) become series named by measure and series value, in series-frequency order. */
  const collect = (rows: DuckDBValue[][], xOf: (v: DuckDBValue) => number | string): void => {
    const byKey = new Map<string, ChartSeries>();
    const labels = spec.type === 'histogram' ? ['count(*)'] : measures.map((m) => measureLabel(m, columns));
    const order = spec.series === undefined ? [null] : seriesNames;
    for (let j = 0; j < labels.length; j++) {
      for (const s of order) {
        const name = s === null ? labels[j]! : labels.length > 1 ? `${labels[j]} · ${s}` : s;
        byKey.set(JSON.stringify([j, s]), { name, x: [], y: [] });
      }
    }
    for (const [j, s, xv, yv] of rows) {
      const series = byKey.get(JSON.stringify([Number(j), s === null ? null : String(s)]));
      if (!series) continue;
      series.x.push(xOf(xv!));
      series.y.push(num(yv!));
    }
    data.series = [...byKey.values()].filter((s) => s.x.length > 0);
    data.points = data.series.reduce((n, s) => n + s.x.length, 0);
  };

  const xn = numericX(x, spec.x);
  if (spec.type === 'histogram') {
    const [[n, lo, hi]] = (await source.query(
      `SELECT count(*), ${xRange(x, spec.x)} FROM ${source.table}${where()}`,
      params,
    )) as [[DuckDBValue, DuckDBValue, DuckDBValue]];
    data.rows = Number(n);
    data.xKind = isTime(x) ? 'time' : 'value';
    if (data.rows === 0) return data;
    const low = Number(lo);
    const high = Number(hi);
    const bins = spec.bins ?? DEFAULT_BINS;
    const width =
      x.kind === 'integer' ? Math.max(1, Math.ceil((high - low + 1) / bins)) : (high - low) / bins || 1;
    const count = Math.min(bins, Math.floor((high - low) / width) + 1);
    data.binWidth = width;
    if (x.kind === 'integer') data.wholeBins = true;
    const rows = await source.query(
      `SELECT 0 AS j, ${sv} AS sv, least(floor((${xn} - ${lit(low)}) / ${lit(width)}), ${count - 1})::INTEGER AS k, count(*)::DOUBLE AS n
       FROM ${source.table}${where()} GROUP BY ALL ORDER BY k, sv`,
      params,
    );
    // Every bin is drawn, empty ones as 0, so the bars line up with the axis.
    const filled: DuckDBValue[][] = [];
    const seen = new Map(rows.map((r) => [JSON.stringify([r[1], Number(r[2])]), r[3]!]));
    for (const s of spec.series === undefined ? [null] : seriesNames)
      for (let k = 0; k < count; k++)
        filled.push([0, s, low + k * width, seen.get(JSON.stringify([s, k])) ?? 0]);
    collect(filled, (v) => Number(v));
    return data;
  }

  const raw = measures[0]!.aggregate === 'none';
  if (raw) {
    const rangeSql = measures
      .map((m) => `min(${col(m.column)})::DOUBLE, max(${col(m.column)})::DOUBLE`)
      .join(', ');
    const [stats] = await source.query(
      `SELECT count(*), ${xRange(x, spec.x)}, ${rangeSql} FROM ${source.table}${where()}`,
      params,
    );
    const [n, lo, hi] = stats!.slice(0, 3).map((v) => Number(v)) as [number, number, number];
    data.rows = n;
    data.xKind = isTime(x) ? 'time' : 'value';
    if (n === 0) return data;
    const seriesCount = Math.max(1, seriesNames.length) * measures.length;
    const ys = measures.map((m) => `CAST(${col(m.column)} AS DOUBLE)`);
    if (n * measures.length <= RAW_POINTS) {
      const rows = await source.query(
        measures
          .map(
            (_, j) =>
              `SELECT ${j} AS j, ${sv} AS sv, ${xn} AS x, ${ys[j]} AS y, rowid AS r FROM ${source.table}${where([`${ys[j]} IS NOT NULL`])}`,
          )
          .join(' UNION ALL ') + ' ORDER BY j, sv, x, r',
        params,
      );
      collect(rows, (v) => Number(v));
      return data;
    }
    data.downsampled = true;
    if (spec.type === 'scatter') {
      const branches = measures.map((_, j) => {
        const ylo = Number(stats![3 + 2 * j]);
        const yhi = Number(stats![4 + 2 * j]);
        const kx = `least(floor((${xn} - ${lit(lo)}) / ${lit((hi - lo) / SCATTER_COLUMNS || 1)}), ${SCATTER_COLUMNS - 1})`;
        const ky = `least(floor((${ys[j]} - ${lit(ylo)}) / ${lit((yhi - ylo) / SCATTER_ROWS || 1)}), ${SCATTER_ROWS - 1})`;
        return `SELECT ${j} AS j, sv, min_by(x, r) AS x, min_by(y, r) AS y FROM (
            SELECT ${sv} AS sv, ${xn} AS x, ${ys[j]} AS y, rowid AS r, ${kx} AS kx, ${ky} AS ky
            FROM ${source.table}${where([`${ys[j]} IS NOT NULL`, `isfinite(${ys[j]})`])}
          ) GROUP BY sv, kx, ky`;
      });
      collect(await source.query(`${branches.join(' UNION ALL ')} ORDER BY j, sv, x`, params), Number);
      return data;
    }
    // M4: per pixel column the first, last, lowest and highest point keep the line's drawn shape.
    const columnsPx = Math.max(10, Math.min(spec.width!, Math.floor(LINE_POINTS / (4 * seriesCount))));
    const w = (hi - lo) / columnsPx || 1;
    // An integer x is binned in integer arithmetic (cheaper per row than DOUBLE floor), while exact.
    const span = hi - lo + 1;
    const whole =
      x.kind === 'integer' && Math.max(Math.abs(lo), Math.abs(hi)) < 2 ** 50 && span * columnsPx < 2 ** 62;
    const xv = whole ? col(spec.x) : xn;
    const k = whole
      ? `((${xv} - ${lo}) * ${columnsPx} // ${span})::INTEGER`
      : `least(floor((${xn} - ${lit(lo)}) / ${lit(w)}), ${columnsPx - 1})::INTEGER`;
    const bySeries = spec.series !== undefined;
    const branches = measures.map((m, j) => {
      const finite = columns[m.column]!.kind === 'float' ? [`isfinite(${ys[j]})`] : [];
      return `SELECT ${j} AS j, sv, x, y FROM (
          SELECT ${bySeries ? 'sv' : 'NULL::VARCHAR AS sv'}, k, min(x) AS xa, arg_min(y, x) AS ya, max(x) AS xd,
                 arg_max(y, x) AS yd, min(y) AS yb, arg_min(x, y) AS xb, max(y) AS yc, arg_max(x, y) AS xc
          FROM (
            SELECT ${bySeries ? `${sv} AS sv, ` : ''}${xv} AS x, ${ys[j]} AS y, ${k} AS k
            FROM ${source.table}${where([`${col(m.column)} IS NOT NULL`, ...finite])}
          ) GROUP BY ${bySeries ? 'sv, k' : 'k'}
        ), LATERAL (VALUES (xa, ya), (xb, yb), (xc, yc), (xd, yd)) p(x, y)`;
    });
    collect(
      await source.query(
        `SELECT DISTINCT j, sv, x, y FROM (${branches.join(' UNION ALL ')}) ORDER BY j, sv, x, y`,
        params,
      ),
      Number,
    );
    return data;
  }

  // Aggregated: one row per x (bucket, bin, value or category) and series.
  let xKey: string;
  let xOut: (v: DuckDBValue) => number | string = Number;
  const aggregates = measures.map(aggregateSql);
  if (isTime(x)) {
    const [[n, lo, hi]] = (await source.query(
      `SELECT count(*), ${xRange(x, spec.x)} FROM ${source.table}${where()}`,
      params,
    )) as [[DuckDBValue, DuckDBValue, DuckDBValue]];
    data.rows = Number(n);
    data.xKind = 'time';
    const range = Number(hi ?? 0) - Number(lo ?? 0);
    const minimum: TimeBucket = x.type === 'DATE' ? 'day' : 'second';
    let bucket: TimeBucket;
    if (spec.bucket && spec.bucket !== 'auto') {
      bucket = spec.bucket;
      if (range / BUCKET_MS[bucket] > MAX_GROUPS)
        throw new EngineError(
          'INVALID_ARGUMENT',
          `By ${bucket}, "${x.name}" makes more than ${MAX_GROUPS.toLocaleString('en-US')} points: pick a longer bucket.`,
        );
    } else {
      bucket = pickTimeBucket(range, AUTO_GROUPS[spec.type], minimum);
    }
    data.bucket = bucket;
    // Grouped by the truncated value itself (a DATE by day: the date), converted to epoch ms per group.
    // TIMESTAMP_S/MS/NS are truncated as TIMESTAMP (microseconds are finer than any bucket).
    const plain =
      x.type === 'DATE' || /WITH TIME ZONE/.test(x.type) ? col(spec.x) : `CAST(${col(spec.x)} AS TIMESTAMP)`;
    xKey = x.type === 'DATE' && bucket === 'day' ? col(spec.x) : `date_trunc('${bucket}', ${plain})`;
  } else if (isNumeric(x)) {
    const [[n, lo, hi, distinct]] = (await source.query(
      `SELECT count(*), ${xRange(x, spec.x)}, approx_count_distinct(${col(spec.x)}) FROM ${source.table}${where()}`,
      params,
    )) as [[DuckDBValue, DuckDBValue, DuckDBValue, DuckDBValue]];
    data.rows = Number(n);
    const limit = spec.type === 'bar' ? MAX_CATEGORIES : AUTO_GROUPS[spec.type];
    if (Number(distinct) <= limit) {
      // Few values: each is its own bar (labelled by its value) or point.
      data.xKind = spec.type === 'bar' ? 'category' : 'value';
      xKey = xn;
      if (spec.type === 'bar') xOut = (v) => String(Number(v));
    } else {
      const bins = spec.type === 'bar' ? 100 : Math.min(limit, spec.width!);
      const low = Number(lo);
      const width = (Number(hi) - low) / bins || 1;
      data.xKind = 'value';
      data.binWidth = width;
      xKey = `${lit(low)} + least(floor((${xn} - ${lit(low)}) / ${lit(width)}), ${bins - 1}) * ${lit(width)}`;
    }
  } else {
    data.xKind = 'category';
    const [[n, distinct]] = (await source.query(
      `SELECT count(*), count(DISTINCT ${col(spec.x)}) FROM ${source.table}${where()}`,
      params,
    )) as [[DuckDBValue, DuckDBValue]];
    data.rows = Number(n);
    if (Number(distinct) > MAX_CATEGORIES) {
      data.omittedCategories = Number(distinct) - MAX_CATEGORIES;
      conds.push(
        `${col(spec.x)} IN (SELECT ${col(spec.x)} FROM ${source.table}${where()} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ${MAX_CATEGORIES})`,
      );
    }
    xKey = col(spec.x);
    xOut = (v) => String(v);
  }
  if (data.rows === 0) return data;
  const yCols = aggregates.map((a, j) => `${a} AS y${j}`).join(', ');
  const yNames = measures.map((_, j) => `y${j}`).join(', ');
  // Without a series column the rows are grouped by x alone (a constant key still costs per row).
  const grouped =
    spec.series === undefined
      ? `SELECT xk, NULL::VARCHAR AS sv, ${yNames} FROM (SELECT ${xKey} AS xk, ${yCols} FROM ${source.table}${where()} GROUP BY xk)`
      : `SELECT ${xKey} AS xk, ${sv} AS sv, ${yCols} FROM ${source.table}${where()} GROUP BY ALL`;
  const unpivot = measures
    .map((_, j) => `SELECT ${j} AS j, sv, xt AS x, y${j} AS y, xk FROM g`)
    .join(' UNION ALL ');
  const rows = await source.query(
    `WITH g AS MATERIALIZED (SELECT *, CAST(xk AS VARCHAR) AS xt FROM (${grouped})) SELECT j, sv, ${data.xKind === 'category' ? 'x' : data.xKind === 'time' ? toNumber(x, 'xk') : 'xk'}, y FROM (${unpivot}) ORDER BY xk, j, sv`,
    params,
  );
  collect(rows, data.xKind === 'category' ? xOut : Number);
  if (data.xKind === 'category')
    alignCategories(data, [...new Set(rows.map((r) => xOut(r[2]!)))].map(String));
  return data;
}

/** Gives every series of a category chart the same categories in x order, NULL where absent. */
function alignCategories(data: ChartData, order: string[]): void {
  if (data.series.length <= 1) return;
  for (const s of data.series) {
    const values = new Map(s.x.map((x, i) => [String(x), s.y[i] ?? null]));
    s.x = [...order];
    s.y = order.map((x) => values.get(x) ?? null);
  }
  data.points = data.series.reduce((n, s) => n + s.x.length, 0);
}
