/** Kinds of chart the Chart tab draws. */
export type ChartType = 'bar' | 'line' | 'area' | 'scatter' | 'histogram';

/** Every chart type, in the order the picker lists them. */
export const CHART_TYPES: readonly ChartType[] = ['bar', 'line', 'area', 'scatter', 'histogram'];

/** How rows sharing an x (bucket) become one y value; `none` plots every row's value (line, area, scatter). */
export type ChartAggregate = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'none';

/** Every aggregate, in the order the picker lists them. */
export const CHART_AGGREGATES: readonly ChartAggregate[] = ['count', 'sum', 'avg', 'min', 'max', 'none'];

/** Time buckets for a DATE or TIMESTAMP x, smallest first; `auto` picks one from the range. */
export type TimeBucket = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

/** One y of a chart: a column (ignored by `count`) and how its values are combined per x. */
export interface ChartMeasure {
  column: number;
  aggregate: ChartAggregate;
}

/** What to draw from a kept result: columns by index into the result's columns. */
export interface ChartSpec {
  type: ChartType;
  x: number;
  /** One or more measures (a histogram counts rows and ignores them). */
  y: ChartMeasure[];
  /** Optional column whose values split the rows into series. */
  series?: number;
  /** Time bucket of a temporal x; absent or `auto` picks one from the range. */
  bucket?: TimeBucket | 'auto';
  /** Histogram bins (1–200, default 30). */
  bins?: number;
  /** Width of the plot in pixels: long series are reduced to a few points per pixel column. */
  width?: number;
}

/** One drawn series: x values (numbers for time and value axes, text for categories) and y values. */
export interface ChartSeries {
  name: string;
  x: (number | string)[];
  y: (number | null)[];
}

/** The points DuckDB computed for a chart over a whole kept result (at most a few thousand per series). */
export interface ChartData {
  spec: ChartSpec;
  /** `time`: x values are milliseconds since the epoch (UTC); `value`: numbers; `category`: text. */
  xKind: 'category' | 'time' | 'value';
  xName: string;
  /** Label of the y axis, e.g. "sum(amount)". */
  yName: string;
  /** The time bucket a temporal x was grouped by. */
  bucket?: TimeBucket;
  /** Width of a histogram bin or of a binned numeric x (x values are the bins' lower bounds). */
  binWidth?: number;
  /** True when histogram bins hold whole numbers (an integer x): bin x holds x … x + binWidth - 1. */
  wholeBins?: boolean;
  series: ChartSeries[];
  /** Rows of the result the chart summarizes (after filters, rows with a NULL x left out). */
  rows: number;
  /** Points sent in all series. */
  points: number;
  /** True when long series were reduced (per pixel column min/max) or a scatter thinned per cell. */
  downsampled: boolean;
  /** Categories and series left out (only the most frequent ones are drawn). */
  omittedCategories: number;
  omittedSeries: number;
}

/** Image formats a drawn chart can be saved as. */
export type ChartImageFormat = 'png' | 'svg';

/** Largest chart image the host accepts to save (bytes of base64 or SVG text). */
export const MAX_CHART_IMAGE = 32 * 1024 * 1024;

/** Most categories a bar, line or area chart draws (the most frequent ones). */
export const MAX_CATEGORIES = 200;
/** Most series a chart draws (the series column's most frequent values). */
export const MAX_SERIES = 12;
