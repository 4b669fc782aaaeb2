// Drives the code-server workbench as a user would. Run by scripts/vscode/run-tests.mjs, which starts
// code-server and passes MDW_WORKBENCH_URL (the extension loaded in development mode) and MDW_SCREENS_DIR.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from './browser.js';

const url = process.env.MDW_WORKBENCH_URL;
const screens = process.env.MDW_SCREENS_DIR ?? path.resolve('test-results/screens');
const text = (s: string) => s.replace(/\u00a0/g, ' ');

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
      await sidebar
        .locator('.welcome-view-content', { hasText: 'Sign in to MicroDataWarehouse' })
        .first()
        .waitFor();
      const headers = (await sidebar.locator('.pane-header .title').allInnerTexts()).map((t) =>
        t.toLowerCase(),
      );
      assert.deepEqual(headers, ['databases', 'worksheets', 'history']);
      const body = text(await sidebar.innerText());
      assert.doesNotMatch(body, /no data provider registered/i, 'every view has a provider');
      for (const welcome of [
        'to see your databases',
        'Sign in to keep SQL worksheets',
        'Sign in to see the queries you ran.',
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
});
