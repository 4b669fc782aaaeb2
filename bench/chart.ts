// Charts of a 10M-row kept result: a line by day (GROUP BY the day bucket) and a 10M-point line (reduced
// per pixel column in DuckDB). Ours: the engine's chart request to its points, and in headless Chromium
// (the real grid bundle fed by the real GridHost) the click on Chart to the chart painted. Baselines,
// measured in the same run and alternated with ours: DuckDB's own GROUP BY over the same kept table read
// raw into JS through node-api (the least a chart could cost), and every row read into JS (what a chart
// fed by the rows has to do before it draws anything).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { Session, type KeptResult } from '../src/engine/query/index.js';
import type { Warehouse } from '../src/engine/warehouse.js';
import { GridHost } from '../src/host/grid/gridHost.js';
import type { ChartSpec } from '../src/shared/chart.js';
import { serve } from './grid.js';
import { SAMPLES, alternate, median, report, timed } from './util.js';

const bundleDir = path.resolve(__dirname, '../../dist/webview');

const BY_DAY: ChartSpec = {
  type: 'line',
  x: 0,
  y: [{ column: 1, aggregate: 'sum' }],
  bucket: 'day',
  width: 1100,
};
const LINE: ChartSpec = { type: 'line', x: 0, y: [{ column: 1, aggregate: 'none' }], width: 1100 };

/** Waits until the chart panel has drawn what was last asked of it. */
async function drawn(page: Page): Promise<void> {
  await page.waitForFunction(
    () => document.querySelector('.chart-panel')?.getAttribute('data-state') === 'drawn',
  );
}

/** Shows the Grid, then times a click on Chart until the chart is drawn and the next frame painted. */
async function clickToPainted(page: Page): Promise<number> {
  await page.locator('.view-grid').click();
  await page.locator('regular-table').waitFor();
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const panel = document.querySelector('.chart-panel')!;
        panel.setAttribute('data-state', 'idle');
        const t0 = performance.now();
        const check = (): void => {
          // drawn is set once ECharts finished; the next frame is the one showing it
          if (panel.getAttribute('data-state') === 'drawn')
            requestAnimationFrame(() => resolve(performance.now() - t0));
          else requestAnimationFrame(check);
        };
        (document.querySelector('.view-chart') as HTMLElement).click();
        requestAnimationFrame(check);
      }),
  );
}

/** Runs the chart section of `npm run bench` over results of `rows` rows. */
export async function benchChart(warehouse: Warehouse, rows: number): Promise<void> {
  const session = await Session.open(warehouse);
  const keep = async (sql: string): Promise<KeptResult> => {
    const run = await session.run(sql);
    const o = run.outcomes[0];
    if (o?.status !== 'rows') throw run.error ?? new Error('no rows');
    await o.result.whenComplete();
    return o.result;
  };
  try {
    // 2,000 days (about 5.5 years), an amount per row; and a long noisy wave.
    const daily = await keep(
      `SELECT DATE '2020-01-01' + (range % 2000)::INTEGER AS day, (hash(range) % 1000)::INTEGER AS amount FROM range(${rows})`,
    );
    const wave = await keep(
      `SELECT range AS x, sin(range / ${Math.max(1, rows / 50)}) + (hash(range) % 100) / 1000.0 AS y FROM range(${rows})`,
    );
    const raw = <T>(sql: string, read: (r: { getColumns(): unknown[][] }) => T): Promise<T> =>
      warehouse.withConnection(async (c) => read(await c.runAndReadAll(sql)));

    // Engine: the chart request to its points.
    const byDay = await alternate(SAMPLES, {
      ours: async () => (await timed(() => daily.chart(BY_DAY))).ms,
      groupBy: async () =>
        (
          await timed(() =>
            raw(
              `SELECT epoch_ms(CAST(date_trunc('day', c0) AS TIMESTAMP))::DOUBLE AS x, sum(c1)::DOUBLE AS y FROM ${daily.tableName} GROUP BY x ORDER BY x`,
              (r) => r.getColumns(),
            ),
          )
        ).ms,
      allRows: async () =>
        (
          await timed(() =>
            raw(`SELECT epoch_ms(CAST(c0 AS TIMESTAMP))::DOUBLE, c1::DOUBLE FROM ${daily.tableName}`, (r) => {
              const [xs, ys] = r.getColumns() as [number[], number[]];
              const sums = new Map<number, number>();
              for (let i = 0; i < xs.length; i++) sums.set(xs[i]!, (sums.get(xs[i]!) ?? 0) + ys[i]!);
              return sums.size;
            }),
          )
        ).ms,
    });
    const points = (await daily.chart(BY_DAY)).points;
    report(
      `chart: ${rows} rows by day (${points} points), request to points vs DuckDB's GROUP BY read raw`,
      byDay.ours,
      byDay.groupBy,
      'ms',
      // ours adds a scan for the x range (the bucket and its point count are checked before grouping)
      'reference',
    );
    report(
      `chart: ${rows} rows by day, request to points vs every row read into JS and summed`,
      byDay.ours,
      byDay.allRows,
      'ms',
      'reference',
    );
    const line = await alternate(SAMPLES, {
      ours: async () => (await timed(() => wave.chart(LINE))).ms,
      allRows: async () =>
        (
          await timed(() =>
            raw(`SELECT c0::DOUBLE, c1 FROM ${wave.tableName}`, (r) => r.getColumns()[0]!.length),
          )
        ).ms,
    });
    const linePoints = (await wave.chart(LINE)).points;
    report(
      `chart: ${rows}-point line reduced to ${linePoints} points (M4), request to points vs every point read into JS`,
      line.ours,
      line.allRows,
      'ms',
      '< 1×',
      median(line.ours) < median(line.allRows),
    );

    // Chromium: click on Chart to the chart painted, through the real bundle and GridHost.
    if (!fs.existsSync(path.join(bundleDir, 'grid.js'))) {
      process.stdout.write('  skipped painting: build the webview first (npm run build)\n');
      return;
    }
    const { server, origin } = await serve();
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-bench-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1200, height: 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const host = new GridHost({
        post: (m: unknown) => void page.evaluate((x) => window.postMessage(x, '*'), m).catch(() => undefined),
      });
      await page.exposeBinding('__mdwPost', (_s, m: unknown) => host.handle(m));
      host.showRun({
        results: [
          { title: 'Daily', source: daily },
          { title: 'Wave', source: wave },
        ],
        messages: [],
      });
      await page.goto(`${origin}/grid`);
      await page.locator('regular-table tbody td').first().waitFor();
      // Daily opens as a line summed per day (its first chart); pick the day bucket once.
      await page.locator('.view-chart').click();
      await drawn(page);
      await page.locator('.chart-bucket select').selectOption('day');
      await drawn(page);
      const paintedDay = await alternate(SAMPLES, {
        ours: () => clickToPainted(page),
        groupBy: async () =>
          (
            await timed(() =>
              raw(
                `SELECT epoch_ms(CAST(date_trunc('day', c0) AS TIMESTAMP))::DOUBLE AS x, sum(c1)::DOUBLE AS y FROM ${daily.tableName} GROUP BY x ORDER BY x`,
                (r) => r.getColumns(),
              ),
            )
          ).ms,
      });
      report(
        `chart: ${rows} rows by day, click to painted vs DuckDB's GROUP BY read raw (no drawing)`,
        paintedDay.ours,
        paintedDay.groupBy,
        'ms',
        '≤ 1000 ms',
        median(paintedDay.ours) <= 1000,
      );
      await page.locator('.tab', { hasText: 'Wave' }).click();
      await page.locator('.view-chart').click();
      await drawn(page);
      await page.locator('.chart-type select').selectOption('line');
      await drawn(page);
      await page.locator('.chart-aggregate select').selectOption('none');
      await drawn(page);
      const paintedLine = await alternate(SAMPLES, {
        ours: () => clickToPainted(page),
        allRows: async () =>
          (
            await timed(() =>
              raw(`SELECT c0::DOUBLE, c1 FROM ${wave.tableName}`, (r) => r.getColumns()[0]!.length),
            )
          ).ms,
      });
      const split = await page.locator('.chart-panel').getAttribute('data-timing');
      process.stdout.write(`  last line sample: points ${split?.replace(',', ' ms, then drawn ')} ms\n`);
      report(
        `chart: ${rows}-point line, click to painted vs every point read into JS (no drawing)`,
        paintedLine.ours,
        paintedLine.allRows,
        'ms',
        '≤ 1000 ms',
        median(paintedLine.ours) <= 1000,
      );
      host.dispose();
    } finally {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
      await new Promise((resolve) => server.close(resolve));
    }
  } finally {
    await session.close();
  }
}
