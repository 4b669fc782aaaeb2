// A user charts a worksheet result in code-server: run a 1M-row query, switch the result to Chart, pick
// a bar chart by month split by region, save it as PNG through VS Code's save dialog. Run by
// scripts/vscode/run-tests.mjs (--ui chart).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { signedInWindow } from './signedIn.js';

const url = process.env.MDW_WORKBENCH_URL;
const workspace = process.env.MDW_UI_WORKSPACE;

const SQL =
  "SELECT DATE '2024-01-01' + (i % 90)::INTEGER AS day, 'r' || (i % 3) AS region, i % 7 AS qty FROM range(1000000) t(i);";

describe(
  'chart UI',
  { skip: url && workspace ? false : 'needs MDW_WORKBENCH_URL and MDW_UI_WORKSPACE (npm run test:ui)' },
  () => {
    const win = signedInWindow(url!, workspace!, 'chart', 'chart.mdw.sql');
    const { shot, step } = win;
    let page: Page;
    let sheet: FrameLocator;
    before(() => {
      page = win.page;
    });

    /** Waits for the chart to be drawn; returns the marks drawn per series. */
    async function drawn(): Promise<number[]> {
      const panel = sheet.locator('.chart-panel[data-state="drawn"]');
      await panel.waitFor();
      return ((await panel.getAttribute('data-marks')) ?? '').split(',').filter(Boolean).map(Number);
    }

    /** Picks `label` in the chart picker `name`, then waits for the new chart. */
    async function pick(name: string, label: string): Promise<number[]> {
      const panel = sheet.locator('.chart-panel');
      await panel.evaluate((e) => e.setAttribute('data-state', 'picking'));
      await sheet.locator(`.${name} select`).selectOption({ label });
      return drawn();
    }

    step('chart-open', 'a worksheet result of 1M rows is charted from the Chart switch', async () => {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible' });
      await input.fill('chart.mdw.sql');
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'chart.mdw.sql' })
        .first()
        .waitFor();
      await page.keyboard.press('Enter');
      sheet = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await sheet.locator('.cm-content').click();
      await page.keyboard.type(SQL);
      await page.keyboard.press('Control+Enter');
      await sheet.locator('.status', { hasText: '1,000,000 rows' }).waitFor({ timeout: 120_000 });
      await sheet.locator('.view-chart').click();
      assert.deepEqual(await drawn(), [90], 'a line of qty summed per day: 90 days');
      assert.match(
        (await sheet.locator('.chart-info').textContent()) ?? '',
        /^1,000,000 rows · 90 points · by day/,
      );
    });

    step('chart-bar', 'a bar chart by month, split by region', async () => {
      await pick('chart-type', 'Bar');
      await pick('chart-bucket', 'month');
      assert.deepEqual(await pick('chart-series', 'region'), [3, 3, 3]);
      await shot('ui-chart');
    });

    step('chart-png', 'PNG saves the chart through the save dialog', async () => {
      const file = path.join(workspace!, 'exports', 'chart.png');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.rmSync(file, { force: true });
      await sheet.locator('.chart-png').click();
      const dialog = page.locator('.quick-input-widget', {
        has: page.locator('.monaco-button', { hasText: 'OK' }),
      });
      await dialog.waitFor();
      const deadline = Date.now() + 60_000;
      const written = (): boolean => fs.existsSync(file) && fs.statSync(file).size > 1000;
      while (!written() && Date.now() < deadline) {
        if (await dialog.isVisible()) {
          if ((await dialog.locator('input').first().inputValue()) !== file)
            await dialog.locator('input').first().fill(file);
          await dialog
            .locator('.monaco-button', { hasText: 'OK' })
            .first()
            .click({ timeout: 5_000 })
            .catch(() => undefined);
        }
        await page.waitForTimeout(500);
      }
      assert.ok(written(), `${file} was written`);
      const bytes = fs.readFileSync(file);
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
      // the webview says where the chart went (VS Code's own toast may sit in the notification centre)
      await sheet
        .locator('.notice', { hasText: `Saved the chart to ${file}` })
        .waitFor({ state: 'attached' });
    });
  },
);
