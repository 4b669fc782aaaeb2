import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { Warehouse } from '../../src/engine/warehouse.js';
import { Session } from '../../src/engine/query/index.js';
import { explain, planNodes } from '../../src/engine/language/plan.js';
import type { NotificationMessage } from '../../src/shared/channel.js';
import type { PlanProtocol, QueryPlan } from '../../src/shared/plan.js';
import { HostChannel } from '../../src/host/webviewChannel.js';
import { planHtml } from '../../src/views/plan/planHtml.js';

const root = path.resolve(__dirname, '../../..');
const bundleDir = path.join(root, 'dist/webview');
const screensDir = path.join(root, 'test-results/screens');
const XSS = '<img src=x onerror=alert(1)>';

let warehouse: Warehouse;
let session: Session;
let server: Server;
let origin: string;
let context: BrowserContext;
let page: Page;
let profile: string;
const problems: string[] = [];
const received: unknown[] = [];

const hostLog: string[] = [];
let readies = 0;
/** The host end of the page's channel, as PlanPanel has it. */
const channel = new HostChannel<PlanProtocol>({
  post: (m) => void page.evaluate((x) => window.postMessage(x, '*'), m).catch(() => undefined),
  log: (line) => hostLog.push(line),
});
channel.serve({ requests: {}, notifications: {}, ready: () => readies++ });

async function post(message: NotificationMessage<PlanProtocol['toWebview']>): Promise<void> {
  const { type, ...params } = message;
  channel.notify(type, params as never);
  await Promise.resolve();
}

before(async () => {
  if (!existsSync(path.join(bundleDir, 'plan.js')))
    throw new Error('Build the webview first: node esbuild.mjs');
  warehouse = await Warehouse.open(mkdtempSync(path.join(tmpdir(), 'mdw-plan-view-')));
  await warehouse.createDatabase('shop');
  session = await Session.open(warehouse);
  const setup = await session.run(`
    CREATE TABLE orders AS SELECT range AS id, range % 5000 AS customer_id, (range % 97) * 1.25 AS amount FROM range(2000000);
    CREATE TABLE "${XSS.replaceAll('"', '""')}" AS SELECT range AS id, 'customer ' || range AS name FROM range(5000);`);
  assert.equal(setup.error, undefined);

  const nonce = randomUUID().replaceAll('-', '');
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/' || url.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        planHtml({
          nonce,
          cspSource: origin,
          scriptUri: `${origin}/plan.js`,
          styleUri: `${origin}/plan.css`,
        }),
      );
      return;
    }
    if (url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!/^\/plan\.(js|css)$/.test(url)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': url.endsWith('.js') ? 'text/javascript' : 'text/css' });
    res.end(readFileSync(path.join(bundleDir, path.basename(url))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  origin = `http://127.0.0.1:${address.port}`;

  mkdirSync(screensDir, { recursive: true });
  profile = mkdtempSync(path.join(tmpdir(), 'mdw-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1000, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.addInitScript(() => {
    (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => (window as unknown as { __mdwPost: (m: unknown) => void }).__mdwPost(m),
    });
  });
  await page.exposeBinding('__mdwPost', (_source, message: unknown) => {
    received.push(message);
    channel.receive(message);
  });
  await page.goto(origin);
});

after(async () => {
  channel.dispose();
  await context?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (profile) rmSync(profile, { recursive: true, force: true });
  await session?.close();
  await warehouse?.close();
});

const JOIN = `SELECT c.name, count(*) AS orders, sum(o.amount) AS total
FROM orders o JOIN "${XSS}" c ON c.id = o.customer_id
GROUP BY c.name ORDER BY total DESC LIMIT 10`;

test('the plan of an analyzed join: operators, estimated and actual rows, times, the slowest highlighted', async () => {
  while (readies === 0) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(received[0], { jsonrpc: '2.0', method: 'ready', params: {} }, 'the page says it is ready');
  const plan: QueryPlan = await explain(session, JOIN, { analyze: true });
  await post({ type: 'plan', plan });
  await page.locator('.op').first().waitFor();

  const nodes = planNodes(plan.roots);
  const shown = await page.$$eval('.op', (cards) =>
    cards.map((c) => ({
      id: Number((c as HTMLElement).dataset['id']),
      name: c.querySelector('.op-name')?.textContent ?? '',
      hot: c.classList.contains('hot'),
      time: c.querySelector('.metric.time .metric-value')?.textContent ?? '',
      rows: c.querySelector('.metric.actual .metric-value')?.textContent ?? '',
      estimated: c.querySelector('.metric.estimated .metric-value')?.textContent ?? '',
    })),
  );
  assert.deepEqual(
    shown.map((s) => s.name),
    nodes.map((n) => n.name),
    'every operator, depth first',
  );
  for (const name of ['HASH_JOIN', 'HASH_GROUP_BY', 'TOP_N']) {
    assert.ok(
      shown.some((s) => s.name === name),
      `${name} in ${shown.map((s) => s.name).join(', ')}`,
    );
  }
  for (const s of shown) assert.match(s.time, /^\d+(\.\d+)? (ms|s)$/, `${s.name} shows its time`);
  const join = shown.find((s) => s.name === 'HASH_JOIN')!;
  assert.equal(join.rows, '2,000,000');
  assert.ok(join.estimated !== '', 'the join shows its estimate');
  const slowest = [...nodes].sort((a, b) => b.timeMs! - a.timeMs!)[0]!;
  assert.ok(
    shown.find((s) => s.id === slowest.id)?.hot,
    `the slowest operator (${slowest.name}) is highlighted`,
  );
  assert.ok(shown.filter((s) => s.hot).length <= 3);
  assert.match((await page.locator('.total').textContent()) ?? '', /^total \d/);

  // Names are text, never markup.
  assert.equal(await page.locator('img').count(), 0);
  const details = (await page.locator('.op-details').allTextContents()).join('\n');
  assert.ok(details.includes(XSS), 'the odd table name shows as text');
  const file = path.join(screensDir, 'plan-analyze.png');
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(existsSync(file));

  // The raw text plan is one click away, and the tree one more.
  await page.locator('button.mode[data-mode="text"]').click();
  const raw = (await page.locator('pre.raw').textContent()) ?? '';
  assert.equal(raw, plan.text);
  assert.match(raw, /HASH_JOIN/);
  await page.screenshot({ path: path.join(screensDir, 'plan-text.png') });
  await page.locator('button.mode[data-mode="json"]').click();
  assert.deepEqual(JSON.parse((await page.locator('pre.raw').textContent()) ?? ''), JSON.parse(plan.json));
  await page.locator('button.mode[data-mode="tree"]').click();
  assert.equal(await page.locator('.op').count(), nodes.length);
  assert.deepEqual(problems, [], 'no CSP violation, page error or dialog');
});

test('an Explain without Analyze shows estimates only, and errors and loading show as text', async () => {
  const plan = await explain(session, JOIN, { analyze: false });
  await post({ type: 'plan', plan });
  await page.waitForFunction(() => document.querySelector('.title')?.textContent === 'Explain');
  assert.equal(await page.locator('.metric.time').count(), 0);
  assert.equal(await page.locator('.metric.actual').count(), 0);
  assert.ok((await page.locator('.metric.estimated').count()) > 0);
  assert.ok((await page.locator('.op.hot').count()) >= 1);
  await page.screenshot({ path: path.join(screensDir, 'plan-explain.png'), fullPage: true });

  await post({ type: 'loading', sql: XSS, analyzed: true });
  await page.waitForFunction(
    () => document.querySelector('.status')?.textContent === 'Running Explain Analyze…',
  );
  assert.equal(await page.locator('pre.sql').textContent(), XSS);
  await post({ type: 'error', message: `Catalog Error: ${XSS}` });
  await page.waitForFunction(() => document.querySelector('.status.error') !== null);
  assert.equal(await page.locator('.status.error').textContent(), `Catalog Error: ${XSS}`);
  assert.equal(await page.locator('img').count(), 0);
  assert.deepEqual(problems, []);
  assert.deepEqual(hostLog, []);
});
