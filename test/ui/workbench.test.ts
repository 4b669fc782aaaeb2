// Drives the code-server workbench as a user would. Run by scripts/vscode/run-tests.mjs, which starts
// code-server and passes MDW_WORKBENCH_URL (the extension loaded in development mode) and MDW_SCREENS_DIR.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from './browser.js';

const url = process.env.MDW_WORKBENCH_URL;
const screens = process.env.MDW_SCREENS_DIR ?? path.resolve('test-results/screens');
const text = (s: string) => s.replace(/\u00a0/g, ' ');

const DEMO_SQL = `-- Orders of a small shop, in a database of their own.
CREATE SCHEMA IF NOT EXISTS demo.sales;
CREATE OR REPLACE TABLE demo.sales.orders AS
SELECT range AS id,
       'customer ' || (range % 7) AS customer,
       ((range * 37) % 1000) / 10.0 AS amount,
       DATE '2024-01-01' + (range % 90)::INTEGER AS ordered_on
  FROM range(250);

SELECT customer, count(*) AS orders, sum(amount) AS total, min(ordered_on) AS first_order
  FROM demo.sales.orders
 GROUP BY customer
 ORDER BY customer;
`;

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>' + title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

describe('workbench UI', { skip: url ? false : 'needs MDW_WORKBENCH_URL (npm run test:ui)' }, () => {
  let browser: Browser;
  let page: Page;

  before(async () => {
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(60_000);
    const folder = new URL(url!).searchParams.get('folder');
    assert.ok(folder, 'the workbench URL names its folder');
    fs.writeFileSync(path.join(folder, 'demo.sql'), DEMO_SQL);
    fs.writeFileSync(path.join(folder, 'broken.sql'), 'SELECT 1;\nSELECT *\n  FROM no_such_table;\n');
    await page.goto(url!);
    await page.locator('.monaco-workbench').waitFor();
  });

  after(async () => {
    await browser?.close();
  });

  async function shot(name: string, selector?: string): Promise<void> {
    const file = path.join(screens, `${name}.png`);
    if (selector) await page.locator(selector).screenshot({ path: file });
    else await page.screenshot({ path: file });
  }

  /** A test step that leaves a screenshot named after it when it fails. */
  function step(name: string, title: string, fn: () => Promise<void>): void {
    it(title, async () => {
      try {
        await fn();
      } catch (e) {
        await shot(`${name}-failure`).catch(() => undefined);
        throw e;
      }
    });
  }

  step(
    'sidebar',
    'the activity bar shows the MicroDataWarehouse container with its three views',
    async () => {
      const icon = page.locator('.activitybar [aria-label^="MicroDataWarehouse"]').first();
      await icon.waitFor();
      await icon.click();
      const sidebar = page.locator('.part.sidebar');
      await sidebar.locator('.welcome-view-content', { hasText: 'No databases yet.' }).waitFor();
      const headers = (await sidebar.locator('.pane-header .title').allInnerTexts()).map((t) =>
        t.toLowerCase(),
      );
      assert.deepEqual(headers, ['databases', 'worksheets', 'history']);
      const body = text(await sidebar.innerText());
      assert.doesNotMatch(body, /no data provider registered/i, 'every view has a provider');
      for (const welcome of [
        'Your SQL worksheets will appear here.',
        'Recent query runs will appear here.',
      ]) {
        assert.ok(body.includes(welcome), `missing welcome text: ${welcome}`);
      }
      await shot('sidebar', '.part.sidebar');
      await shot('workbench-sidebar');
    },
  );

  step('logs', '"MicroDataWarehouse: Show Logs" from the command palette shows the log channel', async () => {
    await runCommand(page, 'MicroDataWarehouse: Show Logs');
    const lines = page.locator('.part.panel .view-lines');
    await lines
      .filter({ hasText: /\[extension\]\s+activated\s+in/ })
      .first()
      .waitFor();
    const log = text(await lines.first().innerText());
    assert.match(log, /\[info\] \[extension\] activated in [\d.]+ ms/);
    await shot('logs');
  });
  step('database', '"New Database…" from the command palette adds a database to the tree', async () => {
    await runCommand(page, 'MicroDataWarehouse: New Database…');
    const input = page.locator('.quick-input-widget input');
    await input.fill('demo');
    await page.keyboard.press('Enter');
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'demo' }).first().waitFor();
  });

  step('results', '"Run All" from the command palette shows each statement in the Results view', async () => {
    await page.locator('.activitybar [aria-label^="Explorer"]').first().click();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'demo.sql' }).click();
    await page.locator('.editor-instance .view-lines', { hasText: 'Orders of a small shop' }).waitFor();
    await runCommand(page, 'MicroDataWarehouse: Run All');
    // Webview views live in an overlay outside the panel's DOM, each in an iframe with an inner frame.
    const grid = page.frameLocator('iframe.webview').frameLocator('#active-frame');
    await grid.locator('.tab', { hasText: 'SELECT customer' }).waitFor();
    await grid.locator('.tab', { hasText: 'Messages' }).waitFor();
    const body = text(await grid.locator('body').innerText());
    assert.match(body, /customer 0/);
    assert.match(body, /7 rows/);
    await shot('results', '.part.panel');
  });

  step('tree', 'the Databases tree expands to the new table and its columns', async () => {
    await page.locator('.activitybar [aria-label^="MicroDataWarehouse"]').first().click();
    const sidebar = page.locator('.part.sidebar');
    for (const label of ['demo', 'sales', 'orders']) {
      await sidebar
        .locator('.monaco-list-row', { hasText: new RegExp(`^${label}`) })
        .first()
        .click();
    }
    await sidebar.locator('.monaco-list-row', { hasText: 'ordered_on' }).waitFor();
    const rows = text(
      await sidebar
        .locator('.monaco-list-row')
        .allInnerTexts()
        .then((t) => t.join('\n')),
    );
    assert.match(rows, /orders\s*~250 rows/);
    assert.match(rows, /amount\s*DOUBLE/);
    await shot('databases', '.part.sidebar');
    await shot('workbench');
  });
  step('messages', "an error's position in the Messages tab moves the editor's cursor there", async () => {
    await page.locator('.activitybar [aria-label^="Explorer"]').first().click();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'broken.sql' }).click();
    await page.locator('.editor-instance .view-lines', { hasText: 'no_such_table' }).waitFor();
    await runCommand(page, 'MicroDataWarehouse: Run All');
    const grid = page.frameLocator('iframe.webview').frameLocator('#active-frame');
    await grid.locator('.tab.has-error', { hasText: 'Messages' }).click();
    const position = grid.locator('.message-position', { hasText: 'line 3, column 8' });
    await position.waitFor();
    assert.match(text(await grid.locator('.messages').innerText()), /no_such_table/);
    await shot('messages', '.part.panel');
    await page.locator('.editor-instance .view-line', { hasText: 'SELECT 1;' }).click();
    await page.locator('.statusbar-item', { hasText: /Ln 1, Col \d+/ }).waitFor();
    await position.click();
    await page.locator('.statusbar-item', { hasText: 'Ln 3, Col 8' }).waitFor();
  });
});
