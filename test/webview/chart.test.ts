import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openGrid, type Harness } from './support/harness.js';
import { EngineFixture } from './support/engineSource.js';
import type { KeptResult } from '../../src/engine/query/index.js';
import type { ChartImageFormat } from '../../src/shared/chart.js';

const XSS = '<img src=x onerror=alert(1)>';
const LINE_ROWS = 1_000_000;

let db: EngineFixture;
let known: KeptResult;
let small: KeptResult;
let wave: KeptResult;
let h: Harness;
const saved: { format: ChartImageFormat; data: Uint8Array; title: string }[] = [];

/** Opens result tab `title` and its Chart view. */
async function openChart(page: Page, title: string): Promise<void> {
  await page.locator('.tab', { hasText: title }).click();
  await page.locator('.view-chart').click();
  await drawn(page);
}

/** Waits for the chart to be drawn and returns the marks per series. */
async function drawn(page: Page): Promise<number[]> {
  await page.waitForFunction(
    () => document.querySelector('.chart-panel')?.getAttribute('data-state') === 'drawn',
  );
  const marks = await page.locator('.chart-panel').getAttribute('data-marks');
  return (marks ?? '').split(',').filter(Boolean).map(Number);
}

/** Picks `value` in the chart picker `name` and waits for the new chart. */
async function pick(page: Page, name: string, label: string): Promise<number[]> {
  await page.evaluate(() => document.querySelector('.chart-panel')?.setAttribute('data-state', 'picking'));
  await page.locator(`.${name} select`).first().selectOption({ label });
  return drawn(page);
}

/** The colour of the chart canvas's pixel at (x, y), as [r, g, b]. */
async function pixel(page: Page, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([px, py]) => {
      const canvas = document.querySelector('.chart-canvas canvas') as HTMLCanvasElement;
      const d = canvas.getContext('2d')!.getImageData(px!, py!, 1, 1).data;
      return [d[0]!, d[1]!, d[2]!];
    },
    [x, y],
  );
}

before(async () => {
  db = await EngineFixture.open();
  known = await db.result(
    'known',
    `SELECT (DATE '2024-01-01' + (i % 100)::INTEGER) AS day,
            CASE WHEN i % 5 = 4 THEN '${XSS}' ELSE 'c' || (i % 5) END AS cat,
            (i % 10)::INTEGER AS amount, i::DOUBLE AS f
     FROM range(10000) t(i)`,
  );
  small = await db.result('small', 'SELECT i::DOUBLE AS f, (i % 10)::INTEGER AS amount FROM range(300) t(i)');
  wave = await db.result(
    'wave',
    `SELECT i AS x, CASE WHEN i = 123456 THEN 5 ELSE sin(i / 10000) END AS y FROM range(${LINE_ROWS}) t(i)`,
  );
  h = await openGrid(
    {
      results: [
        { title: 'Known', source: known },
        { title: 'Small', source: small },
        { title: 'Wave', source: wave },
      ],
      messages: [],
    },
    {
      saveChart: (format, data, title) => {
        saved.push({ format, data, title });
        return Promise.resolve({ saved: true, target: `/tmp/chart.${format}` });
      },
    },
  );
  await h.page.waitForFunction(() => document.querySelectorAll('regular-table tbody td').length > 0);
});

after(async () => {
  await h?.close();
  await db?.close();
});

test('Chart opens beside Grid with a first chart of the result: a line by day', async () => {
  const page = h.page;
  await openChart(page, 'Known');
  assert.deepEqual(await drawn(page), [100], 'one vertex per day');
  assert.match((await page.locator('.chart-info').textContent()) ?? '', /10,000 rows · 100 points · by day/);
  assert.equal(await page.locator('.chart-x select').inputValue(), '0');
  await h.screenshot('chart-line-dark');
});

test('each chart type draws the marks DuckDB computed', async () => {
  const page = h.page;
  await page.locator('.chart-x select').selectOption({ label: 'cat' });
  await page.waitForFunction(
    () => document.querySelector('.chart-panel')?.getAttribute('data-state') === 'drawn',
  );
  assert.deepEqual(await pick(page, 'chart-type', 'Bar'), [5], 'bar: one per category');
  assert.deepEqual(await pick(page, 'chart-aggregate', 'count'), [5]);
  // area by day, split into 5 series by category: 20 days each
  await pick(page, 'chart-type', 'Area');
  await pick(page, 'chart-x', 'day');
  assert.deepEqual(await pick(page, 'chart-series', 'cat'), [20, 20, 20, 20, 20]);
  assert.equal((await page.locator('.chart-canvas canvas').count()) > 0, true);
  await h.screenshot('chart-area-series');
  await pick(page, 'chart-series', '(none)');
  assert.deepEqual(await pick(page, 'chart-type', 'Histogram'), [30], 'histogram of days: 30 bins');
  await page.locator('.chart-x select').selectOption({ label: 'amount' });
  await page.waitForFunction(
    () => document.querySelector('.chart-panel')?.getAttribute('data-state') === 'drawn',
  );
  await page.evaluate(() => document.querySelector('.chart-panel')?.setAttribute('data-state', 'picking'));
  await page.locator('.chart-bins input').fill('5');
  await page.locator('.chart-bins input').dispatchEvent('change');
  assert.deepEqual(await drawn(page), [5], 'histogram: 5 bins of amount 0–9');
  await h.screenshot('chart-histogram');

  await openChart(page, 'Small');
  await pick(page, 'chart-type', 'Scatter');
  await pick(page, 'chart-x', 'f');
  await pick(page, 'chart-y', 'amount');
  assert.deepEqual(await pick(page, 'chart-aggregate', 'none'), [300], 'scatter: one symbol per row');
});

test('a 1M-point line arrives reduced to a few points per pixel column', async () => {
  const page = h.page;
  await openChart(page, 'Wave');
  await pick(page, 'chart-type', 'Line');
  const marks = await pick(page, 'chart-aggregate', 'none');
  const width = await page.locator('.chart-canvas').evaluate((e) => e.clientWidth);
  assert.equal(marks.length, 1);
  assert.ok(marks[0]! <= 4 * width && marks[0]! > width, `vertices ${marks[0]} for ${width}px`);
  assert.match(
    (await page.locator('.chart-info').textContent()) ?? '',
    /1,000,000 rows · .* reduced per pixel column/,
  );
  assert.equal(await page.locator('.chart-panel').getAttribute('data-points'), String(marks[0]));
  await h.screenshot('chart-line-1m');
});

test('a bad pick gets a clear message and the grid is one click away', async () => {
  const page = h.page;
  await page.locator('.tab', { hasText: 'Known' }).click();
  await drawn(page);
  await page.evaluate(() => document.querySelector('.chart-panel')?.setAttribute('data-state', 'picking'));
  await page.locator('.chart-type select').selectOption({ label: 'Bar' });
  await page.waitForFunction(
    () => document.querySelector('.chart-panel')?.getAttribute('data-state') === 'drawn',
  );
  await pick(page, 'chart-aggregate', 'sum');
  await page.evaluate(() => document.querySelector('.chart-panel')?.setAttribute('data-state', 'picking'));
  await page.locator('.chart-y select').selectOption({ label: 'cat' });
  await page.waitForFunction(
    () => document.querySelector('.chart-panel')?.getAttribute('data-state') === 'error',
  );
  assert.match(
    (await page.locator('.chart-info').textContent()) ?? '',
    /sum needs a numeric column; "cat" is VARCHAR/,
  );
  await page.locator('.view-grid').click();
  await page.locator('regular-table').waitFor();
  assert.equal(await page.locator('.chart-panel').isHidden(), true);
  assert.equal(await page.locator('.grid-box').isVisible(), true);
});

test('tooltip shows exact values and category text as text', async () => {
  const page = h.page;
  await page.locator('.view-chart').click();
  await page.waitForFunction(
    () => document.querySelector('.chart-panel')?.getAttribute('data-state') === 'error',
  );
  await pick(page, 'chart-aggregate', 'count');
  assert.deepEqual(await pick(page, 'chart-x', 'cat'), [5]);
  const box = (await page.locator('.chart-canvas').boundingBox())!;
  // the XSS category sorts first: "<" before "c"
  let tip = '';
  for (let x = box.x + 40; x < box.x + box.width / 3 && !tip.includes(XSS); x += 10) {
    await page.mouse.move(x, box.y + box.height / 2);
    tip =
      (await page
        .locator('.chart-tip')
        .first()
        .textContent({ timeout: 500 })
        .catch(() => '')) ?? '';
  }
  assert.ok(tip.includes(`cat: ${XSS}`), `tooltip: ${tip}`);
  assert.match(tip, /count\(\*\)2,000/);
  assert.equal(await page.locator('.chart-tip img').count(), 0, 'no element parsed from the category');
  await h.screenshot('chart-tooltip');
  await page.mouse.move(0, 0);
});

test('light, dark and high contrast themes colour the chart from the VS Code theme', async () => {
  const page = h.page;
  const dark = await pixel(page, 3, 3);
  assert.deepEqual(dark, [0x1f, 0x1f, 0x1f], 'dark background (the default theme colours)');
  await page.evaluate(() => document.querySelector('.chart-panel')?.setAttribute('data-state', 'picking'));
  await page.evaluate(() => {
    const s = document.documentElement.style;
    s.setProperty('--vscode-editor-background', '#ffffff');
    s.setProperty('--vscode-editor-foreground', '#3b3b3b');
    s.setProperty('--vscode-descriptionForeground', '#717171');
    s.setProperty('--vscode-charts-blue', '#1a85ff');
    // the rest of VS Code's Light+ colours the page uses
    s.setProperty('--vscode-editorGroup-border', '#e5e5e5');
    s.setProperty('--vscode-editorGroupHeader-tabsBackground', '#f8f8f8');
    s.setProperty('--vscode-dropdown-background', '#ffffff');
    s.setProperty('--vscode-dropdown-foreground', '#3b3b3b');
    s.setProperty('--vscode-dropdown-border', '#cecece');
    s.setProperty('--vscode-button-secondaryBackground', '#e5e5e5');
    s.setProperty('--vscode-button-secondaryForeground', '#3b3b3b');
    s.setProperty('--vscode-button-background', '#005fb8');
    s.setProperty('--vscode-button-foreground', '#ffffff');
    document.body.className = 'vscode-light';
  });
  await drawn(page);
  assert.deepEqual(await pixel(page, 3, 3), [255, 255, 255], 'light background');
  await h.screenshot('chart-bar-light');
  await page.evaluate(() => document.querySelector('.chart-panel')?.setAttribute('data-state', 'picking'));
  await page.evaluate(() => {
    const s = document.documentElement.style;
    s.setProperty('--vscode-editor-background', '#000000');
    s.setProperty('--vscode-editor-foreground', '#ffffff');
    s.setProperty('--vscode-contrastBorder', '#6fc3df');
    document.body.className = 'vscode-high-contrast';
  });
  await drawn(page);
  assert.deepEqual(await pixel(page, 3, 3), [0, 0, 0], 'high contrast background');
  await h.screenshot('chart-bar-high-contrast');
  await page.evaluate(() => {
    document.documentElement.removeAttribute('style');
    document.body.className = 'vscode-dark';
  });
  await page.waitForFunction(
    () => document.querySelector('.chart-panel')?.getAttribute('data-state') === 'drawn',
  );
});

test('PNG and SVG export send real images to the host', async () => {
  const page = h.page;
  await page.locator('.chart-png').click();
  await page.waitForFunction(() =>
    document.querySelector('.notice')?.textContent?.includes('/tmp/chart.png'),
  );
  const png = saved.find((s) => s.format === 'png')!;
  assert.ok(png, 'the host got a PNG');
  assert.deepEqual([...png.data.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.data.buffer, png.data.byteOffset);
  const [w, hgt] = [view.getUint32(16), view.getUint32(20)];
  const canvasWidth = await page.locator('.chart-canvas').evaluate((e) => e.clientWidth);
  assert.equal(w, canvasWidth * 2, 'IHDR width: the chart at twice its size');
  assert.ok(hgt > 100);
  assert.match(png.title, /count\(\*\) by cat/);
  // the PNG decodes in the browser
  const natural = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    return img.naturalWidth;
  }, Buffer.from(png.data).toString('base64'));
  assert.equal(natural, w);

  await page.locator('.chart-svg').click();
  await page.waitForFunction(() =>
    document.querySelector('.notice')?.textContent?.includes('/tmp/chart.svg'),
  );
  const svg = Buffer.from(saved.find((s) => s.format === 'svg')!.data).toString('utf8');
  assert.match(svg, /^<svg[\s\S]*<\/svg>$/);
  assert.ok(svg.includes('&lt;img src=x onerror=alert(1)&gt;'), 'category text escaped in the SVG');
  assert.ok((svg.match(/fill="#3794ff"/g) ?? []).length >= 5, 'five bars');
  assert.deepEqual(h.problems, [], 'no page errors or CSP violations');
});
