// The results grid in headless Chromium: time from Run to the first rows painted for a 10M-row SELECT
// (the real grid bundle fed by the real GridHost over a kept result), and frame times while scrolling
// through it; the baseline is a plain DOM table holding every row of a 100,000-row result, measured the
// same way in the same run. Frame times come from requestAnimationFrame timestamps with Chromium's
// frame-rate limit off, so they show the work of each frame rather than the display's refresh rate.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Session, type KeptResult } from '../src/engine/query/index.js';
import type { Warehouse } from '../src/engine/warehouse.js';
import { GridHost } from '../src/host/grid/gridHost.js';
import { median, percentile, report } from './util.js';

const bundleDir = path.resolve(__dirname, '../../dist/webview');
const FRAMES = 240;

function page(nonce: string, body: string, head = ''): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self' 'nonce-${nonce}'">
${head}</head><body>${body}</body></html>`;
}

async function serve(): Promise<{ server: Server; origin: string }> {
  const nonce = randomUUID().replaceAll('-', '');
  const bridge = `<script nonce="${nonce}">(() => { let s; const api = { postMessage: (m) => window.__mdwPost(m), getState: () => s, setState: (n) => { s = n; } }; window.acquireVsCodeApi = () => api; })();</script>`;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/grid') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        page(
          nonce,
          `<div id="app"></div>${bridge}<script nonce="${nonce}" src="/grid.js"></script>`,
          '<link rel="stylesheet" href="/grid.css">',
        ),
      );
    } else if (url === '/plain') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        page(
          nonce,
          `<div id="box" style="height:100vh;overflow:auto"></div>`,
          `<style nonce="${nonce}">body{margin:0;font:13px monospace}td{padding:2px 6px;border-bottom:1px solid #ddd}</style>`,
        ),
      );
    } else if (/^\/grid\.(js|css)$/.test(url)) {
      res.writeHead(200, { 'content-type': url.endsWith('.js') ? 'text/javascript' : 'text/css' });
      res.end(fs.readFileSync(path.join(bundleDir, url.slice(1))));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

async function browser(): Promise<{ context: BrowserContext; page: Page; profile: string }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1200, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-gpu-vsync',
      '--disable-frame-rate-limit',
    ],
  });
  return { context, page: context.pages()[0] ?? (await context.newPage()), profile };
}

/**
 * Resolves with Date.now() once a frame showing `selector` has been rendered: the first animation frame
 * that finds it, then the next one (which runs after that frame's layout and paint).
 */
function firstPaint(page: Page, selector: string): Promise<number> {
  return page.evaluate(
    (sel) =>
      new Promise<number>((resolve) => {
        const check = (): void => {
          if (document.querySelector(sel)) requestAnimationFrame(() => resolve(Date.now()));
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }),
    selector,
  );
}

/**
 * Scrolls `selector`'s element, one step per animation frame: FRAMES/2 frames of steady scrolling from
 * the top (80 px each), then FRAMES/2 frames spread over the whole height (a scrollbar drag). Returns
 * the intervals between frames in ms.
 */
function scrollFrames(page: Page, selector: string): Promise<number[]> {
  return page.evaluate(
    ([sel, frames]) =>
      new Promise<number[]>((resolve) => {
        const el = document.querySelector(sel) as HTMLElement;
        const stamps: number[] = [];
        let i = 0;
        const step = (t: number): void => {
          stamps.push(t);
          const half = frames / 2;
          const max = el.scrollHeight - el.clientHeight;
          el.scrollTop = i < half ? i * 80 : Math.round(((i - half + 1) / half) * max);
          i++;
          if (i <= frames) requestAnimationFrame(step);
          else resolve(stamps.slice(1).map((s, k) => s - stamps[k]!));
        };
        requestAnimationFrame(step);
      }),
    [selector, FRAMES] as const,
  );
}

/** Runs the grid section of `npm run bench`. */
export async function benchGrid(warehouse: Warehouse, rows: number, baselineRows: number): Promise<void> {
  if (!fs.existsSync(path.join(bundleDir, 'grid.js'))) {
    process.stdout.write('  skipped: build the webview first (npm run build)\n');
    return;
  }
  const { server, origin } = await serve();
  const b = await browser();
  const session = await Session.open(warehouse);
  const sql = `SELECT range AS id, range * 3 + 1 AS tripled, 'row ' || range AS label FROM range(${rows})`;
  try {
    // Ours: the page is open and ready before Run, as a worksheet's results area is.
    let result: KeptResult | undefined;
    const host = new GridHost({
      post: (m: unknown) => void b.page.evaluate((x) => window.postMessage(x, '*'), m).catch(() => undefined),
    });
    await b.page.exposeBinding('__mdwPost', (_s, m: unknown) => host.handle(m));
    await b.page.goto(`${origin}/grid`);
    await b.page.waitForFunction(() => document.querySelector('regular-table') !== null);
    const painted = firstPaint(b.page, 'regular-table tbody td:not(.loading)');
    const t0 = Date.now();
    for await (const o of session.runIter(sql)) {
      if (o.status === 'rows') {
        result = o.result;
        host.showRun({ results: [{ title: 'Result', source: o.result }], messages: [] });
        break;
      }
    }
    const oursFirst = (await painted) - t0;
    await result?.whenComplete();
    host.refreshSummary(result!.id);
    await b.page.waitForFunction(
      (n) => document.querySelector('.status')?.textContent?.includes(n),
      rows.toLocaleString('en-US'),
    );
    const oursFrames = await scrollFrames(b.page, 'regular-table');
    host.dispose();

    // Baseline: every row of a 100,000-row result converted to JS and put into one DOM table.
    await b.page.goto(`${origin}/plain`);
    const basePainted = firstPaint(b.page, '#box td');
    const t1 = Date.now();
    const baseSql = sql.replace(`range(${rows})`, `range(${baselineRows})`);
    const all = await warehouse.withConnection(async (c) => (await c.runAndReadAll(baseSql)).getRowsJson());
    // As one JSON string: what postMessage would carry, and far cheaper for CDP than a nested array.
    await b.page.evaluate((json) => {
      // createElement, not insertRow/insertCell: those keep live collections and turn quadratic.
      const body = document.createElement('tbody');
      for (const r of JSON.parse(json) as unknown[][]) {
        const tr = document.createElement('tr');
        for (const v of r) {
          const td = document.createElement('td');
          td.textContent = String(v);
          tr.appendChild(td);
        }
        body.appendChild(tr);
      }
      const table = document.createElement('table');
      table.appendChild(body);
      document.getElementById('box')!.append(table);
    }, JSON.stringify(all));
    const baseFirst = (await basePainted) - t1;
    const baseFrames = await scrollFrames(b.page, '#box');

    report(
      `grid: Run to first rows painted, ${rows} rows (baseline: plain table of ${baselineRows})`,
      oursFirst,
      baseFirst,
      'ms',
      '≤ 300 ms',
      oursFirst <= 300,
    );
    report(
      `grid: median frame while scrolling ${rows} rows (baseline: plain table)`,
      median(oursFrames),
      median(baseFrames),
      'ms',
      '≤ 16 ms',
      median(oursFrames) <= 16,
    );
    report(
      `grid: p95 frame while scrolling ${rows} rows (baseline: plain table)`,
      percentile(oursFrames, 95),
      percentile(baseFrames, 95),
      'ms',
      '≤ 16 ms',
      percentile(oursFrames, 95) <= 16,
    );
    const half = FRAMES / 2;
    report(
      `  …p95 of the steady part (80 px per frame)`,
      percentile(oursFrames.slice(0, half), 95),
      percentile(baseFrames.slice(0, half), 95),
      'ms',
      '≤ 16 ms',
      percentile(oursFrames.slice(0, half), 95) <= 16,
    );
    report(
      `  …p95 of the scrollbar drag (top to bottom in ${half} frames)`,
      percentile(oursFrames.slice(half), 95),
      percentile(baseFrames.slice(half), 95),
      'ms',
      '≤ 16 ms',
      percentile(oursFrames.slice(half), 95) <= 16,
    );
  } finally {
    await session.close();
    await b.context.close();
    fs.rmSync(b.profile, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  }
}
