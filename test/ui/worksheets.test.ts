// Runs after workbench.test.ts, in a warehouse folder of its own: secret storage (the master key) lives in the
// browser profile, so another browser cannot open a store the first one made (it says so: KEY_MISSING).
// Signs in from the command palette with development delivery (no SMTP server set: the code is shown in the
// prompt), builds a small worksheet tree, types and runs a statement in the worksheet editor (where worksheets
// open by default), reloads the window, and screenshots the sidebar.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { launchBrowser, type Browser } from './browser.js';
import { answer, runCommand, signInFromPalette } from './signin.js';
import { setUserSettings } from './userSettings.js';

const url = process.env.MDW_WORKBENCH_URL;
const screens = process.env.MDW_SCREENS_DIR ?? path.resolve('test-results/screens');
const email = `ui-${Date.now().toString(36)}@example.test`;

describe(
  'accounts and worksheets UI',
  { skip: url ? false : 'needs MDW_WORKBENCH_URL (npm run test:ui)' },
  () => {
    let browser: Browser;
    let page: Page;

    let restoreSettings: (() => void) | undefined;

    before(async () => {
      // An application setting: only User settings choose the warehouse folder.
      restoreSettings = setUserSettings(url!, {
        'microDataWarehouse.warehouse.folder': fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-ui-warehouse-')),
      });
      browser = await launchBrowser();
      page = browser.page;
      page.setDefaultTimeout(60_000);
      await page.goto(url!);
      await page.locator('.monaco-workbench').waitFor();
    });

    after(async () => {
      await browser?.close();
      restoreSettings?.();
    });

    async function shot(name: string, selector?: string): Promise<void> {
      const file = path.join(screens, `${name}.png`);
      if (selector) await page.locator(selector).screenshot({ path: file });
      else await page.screenshot({ path: file });
    }

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

    const sidebar = () => page.locator('.part.sidebar');
    const worksheetsPane = () =>
      sidebar().locator('.pane', { has: page.locator('.pane-header', { hasText: /worksheets/i }) });
    /** The worksheet editor on screen (the only webview this test shows; hidden ones do not count). */
    const sheet = (): FrameLocator =>
      page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');

    step('signed-out', 'signed out, every view offers Sign In and the status bar says so', async () => {
      await page.locator('.activitybar [aria-label^="MicroDataWarehouse"]').first().click();
      await sidebar()
        .locator('.welcome-view-content', { hasText: 'Sign in to MicroDataWarehouse' })
        .first()
        .waitFor();
      assert.equal(
        await sidebar().locator('.welcome-view-content a.monaco-button', { hasText: 'Sign In' }).count(),
        3,
      );
      await page.locator('.statusbar-item', { hasText: 'Sign In' }).first().waitFor();
      await shot('signed-out', '.part.sidebar');
    });

    step(
      'signin',
      '"MicroDataWarehouse: Sign In": email, then the code shown by development delivery',
      async () => {
        await signInFromPalette(page, email, async (code) => {
          await shot('signin-code');
          await answer(page, code === '000000' ? '111111' : '000000');
          await page.locator('.quick-input-widget', { hasText: /Wrong code; 4 tries left/ }).waitFor();
        });
        await page.locator('.statusbar-item', { hasText: email }).first().waitFor();
        await worksheetsPane().locator('.welcome-view-content', { hasText: 'No worksheets yet' }).waitFor();
      },
    );

    step('worksheets', 'folders and worksheets from the palette, a worksheet saved and run', async () => {
      await runCommand(page, 'MicroDataWarehouse: New Folder');
      await answer(page, 'Reports');
      const reports = worksheetsPane().locator('.monaco-list-row', { hasText: 'Reports' });
      await reports.waitFor();
      await reports.click();
      await runCommand(page, 'MicroDataWarehouse: New Worksheet');
      await answer(page, 'revenue');
      await page.locator('.tab', { hasText: 'revenue.mdw.sql' }).waitFor();
      await sheet().locator('.ws-toolbar .ws-run').waitFor();
      await sheet().locator('.cm-content').click();
      await page.keyboard.type('SELECT 42 AS answer;');
      await page.locator('.tab.dirty', { hasText: 'revenue.mdw.sql' }).waitFor();
      await page.keyboard.press('ControlOrMeta+S');
      await page.locator('.tab.dirty', { hasText: 'revenue.mdw.sql' }).waitFor({ state: 'detached' });
      await page.keyboard.press('ControlOrMeta+Enter');
      await sheet().locator('regular-table tbody td', { hasText: '42' }).first().waitFor();
      const historyPane = sidebar().locator('.pane', {
        has: page.locator('.pane-header', { hasText: /history/i }),
      });
      await historyPane.locator('.monaco-list-row', { hasText: 'SELECT 42 AS answer;' }).waitFor();
      await worksheetsPane().locator('.monaco-list-row', { hasText: 'revenue' }).waitFor();
      await runCommand(page, 'MicroDataWarehouse: New Worksheet');
      await answer(page, 'scratch');
      await page.locator('.tab', { hasText: 'scratch.mdw.sql' }).waitFor();
      await sheet().locator('.ws-toolbar .ws-run').waitFor();
      await worksheetsPane().locator('.monaco-list-row', { hasText: 'scratch' }).waitFor();
      await shot('worksheets', '.part.sidebar');
      await shot('worksheets-workbench');
    });

    step('reload', 'the session and the open worksheets (through mdw:) survive a window reload', async () => {
      await runCommand(page, 'Developer: Reload Window');
      await page.waitForLoadState('load');
      await page.locator('.monaco-workbench').waitFor();
      await page.locator('.statusbar-item', { hasText: email }).first().waitFor();
      await worksheetsPane().locator('.monaco-list-row', { hasText: 'Reports' }).waitFor();
      const tab = page.locator('.tab', { hasText: 'revenue.mdw.sql' });
      await tab.waitFor();
      await tab.click();
      await sheet().locator('.cm-content', { hasText: 'SELECT 42 AS answer;' }).waitFor();
      await shot('after-reload');
    });
  },
);
