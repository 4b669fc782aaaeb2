import './chart.css';
import {
  CHART_AGGREGATES,
  CHART_TYPES,
  type ChartAggregate,
  type ChartData,
  type ChartImageFormat,
  type ChartSpec,
  type ChartType,
  type TimeBucket,
} from '../../../src/shared/chart.js';
import { CancellationTokenSource, CancelledError } from '../../../src/shared/channel.js';
import type { GridRequests, GridWebviewNotifications } from '../../../src/shared/protocol.js';
import type { ResultColumn, ResultView } from '../../../src/shared/results.js';
import type { GridClient } from '../channel.js';
import { el } from '../dom.js';
import { createChart, draw, drawnMarks, readTheme, svgOf, type EChart } from './render.js';

const TYPE_LABELS: Record<ChartType, string> = {
  bar: 'Bar',
  line: 'Line',
  area: 'Area',
  scatter: 'Scatter',
  histogram: 'Histogram',
};
const BUCKETS: (TimeBucket | 'auto')[] = [
  'auto',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'quarter',
  'year',
];

const numeric = (c: ResultColumn): boolean =>
  c.kind === 'integer' || c.kind === 'decimal' || c.kind === 'float';
const temporal = (c: ResultColumn): boolean => /^(DATE|TIMESTAMP)/.test(c.type);

/** A first chart for a result: time or text on x, the first other number summed (or rows counted). */
export function defaultSpec(columns: readonly ResultColumn[]): ChartSpec {
  const at = (test: (c: ResultColumn) => boolean): number => columns.findIndex(test);
  const time = at(temporal);
  const text = at((c) => c.kind === 'text' || c.kind === 'boolean');
  const x = time >= 0 ? time : text >= 0 ? text : 0;
  const y = columns.findIndex((c, i) => i !== x && numeric(c));
  if (time < 0 && text < 0 && columns[0] && numeric(columns[0]) && y < 0)
    return { type: 'histogram', x: 0, y: [] };
  return {
    type: time >= 0 ? 'line' : 'bar',
    x,
    y: [y >= 0 ? { column: y, aggregate: 'sum' } : { column: x, aggregate: 'count' }],
  };
}

function select<T extends string | number>(
  className: string,
  label: string,
  options: [T, string][],
  value: T | undefined,
  onChange: (v: string) => void,
): HTMLLabelElement {
  const wrap = el('label', `chart-field ${className}`);
  wrap.append(el('span', 'chart-field-label', label));
  const s = el('select');
  s.setAttribute('aria-label', label);
  for (const [v, text] of options) {
    const o = el('option', undefined, text);
    o.value = String(v);
    if (v === value) o.selected = true;
    s.append(o);
  }
  s.addEventListener('change', () => onChange(s.value));
  wrap.append(s);
  return wrap;
}

/** What the panel reports after each draw (for the status line and tests). */
export interface ChartDrawn {
  data: ChartData;
  marks: number[];
  ms: number;
}

/** The Chart view of one result: pickers for type, x, y (with aggregates) and series, the chart, export. */
export class ChartPanel {
  readonly element = el('div', 'chart-panel');
  private readonly controls = el('div', 'chart-controls');
  private readonly canvasBox = el('div', 'chart-canvas');
  private readonly info = el('div', 'chart-info');
  private chart: EChart | undefined;
  private data: ChartData | undefined;
  private resultId: string | undefined;
  private columns: ResultColumn[] = [];
  private view: ResultView = {};
  private spec: ChartSpec | undefined;
  private request: CancellationTokenSource | undefined;
  private readonly resize = new ResizeObserver(() => this.chart?.resize());

  constructor(
    private readonly channel: GridClient<GridRequests, GridWebviewNotifications>,
    private readonly events: {
      specChanged(resultId: string, spec: ChartSpec): void;
      notice(message: string): void;
    },
  ) {
    this.element.setAttribute('aria-label', 'Chart');
    this.info.setAttribute('role', 'status');
    this.element.append(this.controls, this.canvasBox, this.info);
    this.resize.observe(this.canvasBox);
    // VS Code changes the theme by the body's class and the page's CSS variables.
    new MutationObserver(() => this.redraw()).observe(document.body, {
      attributes: true,
      attributeFilter: ['class'],
    });
    new MutationObserver(() => this.redraw()).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['style'],
    });
  }

  /** Shows a chart of a result (its spec, or a first one picked from its columns). */
  async show(
    resultId: string,
    columns: ResultColumn[],
    view: ResultView,
    spec: ChartSpec | undefined,
  ): Promise<void> {
    this.resultId = resultId;
    this.columns = columns;
    this.view = view;
    this.spec = spec && spec.x < columns.length ? spec : defaultSpec(columns);
    this.renderControls();
    await this.load();
  }

  /** Stops a computation in flight (the panel was hidden). */
  hide(): void {
    this.request?.cancel();
  }

  private update(change: Partial<ChartSpec>): void {
    this.spec = { ...this.spec!, ...change };
    if (this.resultId) this.events.specChanged(this.resultId, this.spec);
    this.renderControls();
    void this.load();
  }

  private renderControls(): void {
    const spec = this.spec!;
    const cols: [number, string][] = this.columns.map((c, i) => [i, c.name]);
    this.controls.textContent = '';
    this.controls.append(
      select(
        'chart-type',
        'Chart',
        CHART_TYPES.map((t) => [t, TYPE_LABELS[t]]),
        spec.type,
        (v) => {
          const type = v as ChartType;
          const y =
            type === 'bar' && spec.y.some((m) => m.aggregate === 'none')
              ? spec.y.map((m) => ({ ...m, aggregate: 'sum' as const }))
              : spec.y.length === 0 && type !== 'histogram'
                ? defaultSpec(this.columns).y
                : spec.y;
          this.update({ type, y });
        },
      ),
      select('chart-x', 'X', cols, spec.x, (v) => this.update({ x: Number(v) })),
    );
    const x = this.columns[spec.x];
    if (x && temporal(x) && spec.type !== 'histogram')
      this.controls.append(
        select(
          'chart-bucket',
          'By',
          BUCKETS.map((b) => [b, b]),
          spec.bucket ?? 'auto',
          (v) => this.update({ bucket: v as TimeBucket | 'auto' }),
        ),
      );
    if (spec.type === 'histogram') {
      const bins = el('label', 'chart-field chart-bins');
      bins.append(el('span', 'chart-field-label', 'Bins'));
      const input = el('input');
      input.type = 'number';
      input.min = '1';
      input.max = '200';
      input.value = String(spec.bins ?? 30);
      input.setAttribute('aria-label', 'Bins');
      input.addEventListener('change', () => {
        const n = Math.round(Number(input.value));
        if (n >= 1 && n <= 200) this.update({ bins: n });
      });
      bins.append(input);
      this.controls.append(bins);
    } else {
      spec.y.forEach((m, i) => {
        const row = el('span', 'chart-measure');
        row.append(
          this.disabledForCount(
            select('chart-y', i === 0 ? 'Y' : `Y${i + 1}`, cols, m.column, (v) =>
              this.update({ y: spec.y.map((o, j) => (j === i ? { ...o, column: Number(v) } : o)) }),
            ),
            m.aggregate === 'count',
          ),
          select(
            'chart-aggregate',
            'Aggregate',
            CHART_AGGREGATES.filter((a) => a !== 'none' || spec.type !== 'bar').map((a) => [a, a]),
            m.aggregate,
            (v) => {
              const aggregate = v as ChartAggregate;
              // "none" plots every row: every y must then be plotted, none aggregated.
              const y = spec.y.map((o, j) =>
                j === i
                  ? { ...o, aggregate }
                  : aggregate === 'none' || o.aggregate === 'none'
                    ? { ...o, aggregate }
                    : o,
              );
              this.update({ y });
            },
          ),
        );
        if (spec.y.length > 1) {
          const remove = el('button', 'chart-remove', '✕');
          remove.title = 'Remove this y';
          remove.setAttribute('aria-label', `Remove y ${i + 1}`);
          remove.addEventListener('click', () => this.update({ y: spec.y.filter((_, j) => j !== i) }));
          row.append(remove);
        }
        this.controls.append(row);
      });
      const add = el('button', 'chart-add', '+ Y');
      add.title = 'Add a y column';
      add.addEventListener('click', () => {
        const last = spec.y.at(-1) ?? { column: 0, aggregate: 'count' as const };
        const next = this.columns.findIndex((c, i) => numeric(c) && !spec.y.some((m) => m.column === i));
        this.update({
          y: [...spec.y, { column: next >= 0 ? next : last.column, aggregate: last.aggregate }],
        });
      });
      this.controls.append(add);
    }
    this.controls.append(
      select(
        'chart-series',
        'Series',
        [[-1, '(none)'] as [number, string], ...cols],
        spec.series ?? -1,
        (v) => {
          const n = Number(v);
          const next = { ...this.spec! };
          if (n < 0) delete next.series;
          else next.series = n;
          this.spec = next;
          this.update({});
        },
      ),
    );
    const png = el('button', 'chart-png', 'PNG');
    png.title = 'Save the chart as a PNG image';
    png.addEventListener('click', () => void this.save('png'));
    const svg = el('button', 'chart-svg', 'SVG');
    svg.title = 'Save the chart as an SVG image';
    svg.addEventListener('click', () => void this.save('svg'));
    const exportGroup = el('span', 'chart-export');
    exportGroup.append(png, svg);
    this.controls.append(exportGroup);
  }

  /** count(*) counts rows: its column picker is shown but off. */
  private disabledForCount(field: HTMLLabelElement, off: boolean): HTMLLabelElement {
    const s = field.querySelector('select')!;
    s.disabled = off;
    if (off) s.title = 'count counts rows; pick another aggregate to use a column';
    return field;
  }

  private async load(): Promise<void> {
    if (!this.resultId || !this.spec) return;
    this.request?.cancel();
    const token = new CancellationTokenSource();
    this.request = token;
    const started = performance.now();
    this.element.dataset['state'] = 'loading';
    this.info.textContent = 'Computing…';
    try {
      const width = Math.max(100, Math.round(this.canvasBox.clientWidth || 800));
      const data = await this.channel.request(
        'chart',
        { resultId: this.resultId, spec: { ...this.spec, width }, view: this.view },
        token.token,
      );
      if (this.request !== token) return;
      this.data = data;
      const computed = performance.now();
      await this.paint();
      const ms = performance.now() - started;
      // For the status line and the bench: time to the points, then to the chart drawn.
      this.element.dataset['timing'] =
        `${Math.round(computed - started)},${Math.round(ms - (computed - started))}`;
      this.describe(data, ms);
    } catch (err) {
      if (err instanceof CancelledError || this.request !== token) return;
      this.chart?.clear();
      this.data = undefined;
      this.element.dataset['state'] = 'error';
      this.info.textContent = (err as Error).message;
      this.info.classList.add('error');
    } finally {
      if (this.request === token) this.request = undefined;
      token.dispose();
    }
  }

  /** Draws the current data and resolves once ECharts finished painting it. */
  private paint(): Promise<void> {
    const data = this.data;
    if (!data) return Promise.resolve();
    this.chart ??= createChart(this.canvasBox);
    const chart = this.chart;
    return new Promise((resolve) => {
      const done = (): void => {
        chart.off('finished', done);
        const marks = drawnMarks(chart);
        this.element.dataset['marks'] = marks.join(',');
        this.element.dataset['points'] = String(data.points);
        this.element.dataset['state'] = 'drawn';
        resolve();
      };
      chart.on('finished', done);
      draw(chart, data, readTheme());
    });
  }

  private redraw(): void {
    if (this.data && this.chart && !this.element.closest('[hidden]')) void this.paint();
  }

  private describe(data: ChartData, ms: number): void {
    this.info.classList.remove('error');
    const parts = [
      `${data.rows.toLocaleString('en-US')} rows`,
      `${data.points.toLocaleString('en-US')} points`,
    ];
    if (data.bucket) parts.push(`by ${data.bucket}`);
    if (data.downsampled) parts.push('reduced per pixel column');
    if (data.omittedCategories)
      parts.push(`${data.omittedCategories.toLocaleString('en-US')} more categories not shown`);
    if (data.omittedSeries) parts.push(`${data.omittedSeries.toLocaleString('en-US')} more series not shown`);
    parts.push(`${Math.round(ms)} ms`);
    this.info.textContent = parts.join(' · ');
  }

  private async save(format: ChartImageFormat): Promise<void> {
    if (!this.chart || !this.data) return;
    const theme = readTheme();
    const payload =
      format === 'png'
        ? this.chart
            .getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: theme.background })
            .replace(/^data:image\/png;base64,/, '')
        : svgOf(this.data, theme, this.canvasBox.clientWidth || 800, this.canvasBox.clientHeight || 400);
    try {
      const answer = await this.channel.request('saveChart', {
        format,
        data: payload,
        title: `${this.data.yName} by ${this.data.xName}`,
      });
      if (answer.saved) this.events.notice(`Saved the chart to ${answer.target ?? 'a file'}.`);
    } catch (err) {
      if (!(err instanceof CancelledError)) this.events.notice((err as Error).message);
    }
  }
}
