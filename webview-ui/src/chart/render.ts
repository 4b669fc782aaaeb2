// ECharts, tree-shaken to what the Chart tab draws. The page draws on canvas (zrender's SVG painter
// writes style attributes, which the webview's CSP refuses); SVG export renders the same option in
// ECharts' string (SSR) mode, which never touches the DOM.
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import type { ChartData } from '../../../src/shared/chart.js';

echarts.use([
  BarChart,
  LineChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  CanvasRenderer,
  SVGRenderer,
]);

export type EChart = echarts.EChartsType;
type Option = echarts.EChartsCoreOption;

/** Colours of the current VS Code theme (its `--vscode-*` variables), with the dark theme's as fallback. */
export interface ChartTheme {
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  palette: string[];
  highContrast: boolean;
}

const PALETTE: [string, string][] = [
  ['--vscode-charts-blue', '#3794ff'],
  ['--vscode-charts-orange', '#d18616'],
  ['--vscode-charts-green', '#89d185'],
  ['--vscode-charts-purple', '#b180d7'],
  ['--vscode-charts-red', '#f14c4c'],
  ['--vscode-charts-yellow', '#cca700'],
];

/** Reads the theme's colours from the page's CSS variables. */
export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  const highContrast =
    document.body.classList.contains('vscode-high-contrast') ||
    document.body.classList.contains('vscode-high-contrast-light');
  return {
    background: v('--vscode-editor-background', '#1f1f1f'),
    foreground: v('--vscode-editor-foreground', '#cccccc'),
    muted: v('--vscode-descriptionForeground', '#9d9d9d'),
    grid: highContrast
      ? v('--vscode-contrastBorder', '#6fc3df')
      : v('--vscode-editorGroup-border', '#2b2b2b'),
    palette: PALETTE.map(([name, fallback]) => v(name, fallback)),
    highContrast,
  };
}

/** A number as written exactly (whole numbers grouped). */
export function exact(v: number | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  return Number.isInteger(v) ? v.toLocaleString('en-US') : String(v);
}

function short(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${Number((v / 1e9).toPrecision(3))}B`;
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(6)));
}

/** A time value (ms since the epoch, UTC) as text fit for the bucket it stands for. */
export function timeText(ms: number, bucket?: string): string {
  const iso = new Date(ms).toISOString();
  if (bucket === 'year') return iso.slice(0, 4);
  if (bucket === 'month' || bucket === 'quarter') return iso.slice(0, 7);
  if (bucket === 'day' || bucket === 'week' || iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  if (bucket === 'hour' || bucket === 'minute') return iso.slice(0, 16).replace('T', ' ');
  return iso.slice(0, 19).replace('T', ' ');
}

/** The label of an x value: a category, a time, a number, or a histogram bin "from – to". */
export function xText(data: ChartData, x: number | string): string {
  if (typeof x === 'string') return x;
  const one = (v: number): string =>
    data.xKind === 'time' ? timeText(v, data.bucket) : exact(Number(v.toPrecision(12)));
  if ((data.spec.type === 'histogram' || data.spec.type === 'bar') && data.binWidth !== undefined) {
    // Whole-number bins hold [x, x + width - 1]; others [x, x + width).
    if (data.wholeBins) return data.binWidth === 1 ? one(x) : `${one(x)}–${one(x + data.binWidth - 1)}`;
    return `${one(x)} – ${one(x + data.binWidth)}`;
  }
  return one(x);
}

function tooltipBody(
  data: ChartData,
  items: { name: string; color: string; x: number | string; y: number | null }[],
): HTMLElement {
  const box = document.createElement('div');
  box.className = 'chart-tip';
  const head = document.createElement('div');
  head.className = 'chart-tip-x';
  head.textContent = items[0] ? `${data.xName}: ${xText(data, items[0].x)}` : '';
  box.append(head);
  for (const item of items) {
    const row = document.createElement('div');
    row.className = 'chart-tip-row';
    const swatch = document.createElement('span');
    swatch.className = 'chart-tip-swatch';
    swatch.style.background = item.color;
    const name = document.createElement('span');
    name.className = 'chart-tip-name';
    name.textContent = item.name;
    const value = document.createElement('span');
    value.className = 'chart-tip-value';
    value.textContent = exact(item.y);
    row.append(swatch, name, value);
    box.append(row);
  }
  return box;
}

/** Every x of a category chart, in order: the engine's order for text, ascending for numbers and times. */
function categoryValues(data: ChartData): (number | string)[] {
  const seen = new Set<number | string>();
  for (const s of data.series) for (const x of s.x) seen.add(x);
  const all = [...seen];
  return data.xKind === 'category' ? all : all.sort((a, b) => Number(a) - Number(b));
}

/** Builds the ECharts option that draws `data` in `theme`'s colours. */
export function chartOption(data: ChartData, theme: ChartTheme, forExport = false): Option {
  const type = data.spec.type;
  // Bars stand on categories: bucketed times are labelled by their bucket ("2024-03"), not by time ticks.
  const category = data.xKind === 'category' || type === 'histogram' || type === 'bar';
  const xs = category ? categoryValues(data) : [];
  const categories = xs.map((x) => xText(data, x));
  const many = data.points > 400;
  const series = data.series.map((s) => {
    const byX = new Map(s.x.map((x, i) => [x, s.y[i] ?? null]));
    const values = category ? xs.map((x) => byX.get(x) ?? null) : s.x.map((x, i) => [x, s.y[i]]);
    const base = { name: s.name, data: values, animation: false, progressive: 0 };
    if (type === 'bar' || type === 'histogram')
      return {
        ...base,
        type: 'bar',
        ...(type === 'histogram' ? { barCategoryGap: '4%' } : {}),
        large: false,
      };
    if (type === 'scatter') return { ...base, type: 'scatter', symbolSize: many ? 4 : 7, large: false };
    return {
      ...base,
      type: 'line',
      showSymbol: !many,
      symbolSize: 5,
      connectNulls: false,
      lineStyle: { width: theme.highContrast ? 2 : 1.5 },
      ...(type === 'area' ? { areaStyle: { opacity: 0.25 } } : {}),
    };
  });
  const axisLine = { lineStyle: { color: theme.muted } };
  const text = { color: theme.foreground };
  const labelFor = (v: number | string): string =>
    typeof v === 'number' && data.xKind !== 'time' ? short(v) : String(v);
  return {
    backgroundColor: theme.background,
    color: theme.palette,
    useUTC: true,
    animation: false,
    textStyle: { ...text, fontFamily: getComputedStyle(document.body).fontFamily || 'sans-serif' },
    grid: { left: 12, right: 24, top: data.series.length > 1 ? 44 : 30, bottom: 26, containLabel: true },
    legend: {
      show: data.series.length > 1,
      type: forExport ? 'plain' : 'scroll',
      top: 4,
      textStyle: text,
      pageTextStyle: text,
      inactiveColor: theme.muted,
    },
    tooltip: forExport
      ? { show: false }
      : {
          trigger: type === 'scatter' ? 'item' : 'axis',
          confine: true,
          backgroundColor: theme.background,
          borderColor: theme.grid,
          textStyle: text,
          axisPointer: { type: category ? 'shadow' : 'line' },
          formatter: (params: unknown) => {
            const list = (Array.isArray(params) ? params : [params]) as {
              seriesIndex: number;
              dataIndex: number;
              color: string;
            }[];
            return tooltipBody(
              data,
              list.map((p) => {
                const s = data.series[p.seriesIndex]!;
                if (!category)
                  return { name: s.name, color: p.color, x: s.x[p.dataIndex]!, y: s.y[p.dataIndex] ?? null };
                const x = xs[p.dataIndex]!;
                const at = s.x.indexOf(x);
                return { name: s.name, color: p.color, x, y: at >= 0 ? (s.y[at] ?? null) : null };
              }),
            );
          },
        },
    xAxis: category
      ? {
          type: 'category',
          data: categories,
          name: data.xName,
          nameLocation: 'middle',
          nameGap: 30,
          axisLine,
          axisLabel: { color: theme.foreground, hideOverlap: true },
          nameTextStyle: text,
        }
      : {
          type: data.xKind === 'time' ? 'time' : 'value',
          scale: true,
          name: data.xName,
          nameLocation: 'middle',
          nameGap: 30,
          axisLine,
          axisLabel: {
            color: theme.foreground,
            hideOverlap: true,
            ...(data.xKind === 'time' ? {} : { formatter: labelFor }),
          },
          splitLine: { show: false },
          nameTextStyle: text,
        },
    yAxis: {
      type: 'value',
      scale: type === 'scatter' || (type === 'line' && data.spec.y[0]?.aggregate === 'none'),
      name: data.yName,
      nameTextStyle: { ...text, align: 'left' },
      axisLine,
      axisLabel: { color: theme.foreground, formatter: (v: number) => short(v) },
      splitLine: { lineStyle: { color: theme.grid } },
    },
    series,
  };
}

/** Draws `data` into `chart` (replacing what was drawn). */
export function draw(chart: EChart, data: ChartData, theme: ChartTheme): void {
  chart.setOption(chartOption(data, theme), { notMerge: true, lazyUpdate: false });
}

/** Creates a canvas chart in `host`. */
export function createChart(host: HTMLElement): EChart {
  return echarts.init(host, null, { renderer: 'canvas' });
}

/** The chart as an SVG document, drawn by ECharts' SVG renderer in string mode (no DOM). */
export function svgOf(data: ChartData, theme: ChartTheme, width: number, height: number): string {
  const ssr = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    ssr.setOption(chartOption(data, theme, true));
    return ssr.renderToSVGString();
  } finally {
    ssr.dispose();
  }
}

/**
 * Marks the chart drew for each series: bars and scatter symbols with a graphic element, or vertices of a
 * line's drawn path. Tests compare them with the points DuckDB computed.
 */
export function drawnMarks(chart: EChart): number[] {
  const model = (chart as unknown as { getModel(): { getSeries(): SeriesLike[] } }).getModel();
  return model.getSeries().map((s) => {
    const list = s.getData();
    if (s.subType === 'line') {
      const points = list.getLayout('points') as ArrayLike<number> | undefined;
      return points ? points.length / 2 : 0;
    }
    let n = 0;
    for (let i = 0; i < list.count(); i++) if (list.getItemGraphicEl(i)) n++;
    return n;
  });
}

interface SeriesLike {
  subType: string;
  getData(): {
    count(): number;
    getLayout(key: string): unknown;
    getItemGraphicEl(i: number): unknown;
  };
}
