// Chart, pin and compare in code-server, as a user does it: run a worksheet, chart the result, Pin… it
// (VS Code's input box), change the SQL and run again, Compare… (pick the pinned result, then the key
// column): the differences open beside the worksheet with their counts. Run by scripts/vscode/run-tests.mjs.
import * as assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { signedInWindow } from './signedIn.js';

const url = process.env.MDW_WORKBENCH_URL;
const workspace = process.env.MDW_UI_WORKSPACE;

const BEFORE =
  "SELECT * FROM (VALUES (1, 'apples', 10), (2, 'pears', 20), (3, 'plums', 30)) t(id, item, qty);";
const AFTER = "SELECT * FROM (VALUES (1, 'apples', 10), (2, 'pears', 25), (4, 'figs', 40)) t(id, item, qty);";

describe(
  'pin and compare UI',
  { skip: url && workspace ? false : 'needs MDW_WORKBENCH_URL and MDW_UI_WORKSPACE (npm run test:ui)' },
  () => {
    const win = signedInWindow(url!, workspace!, 'compare', 'compare.mdw.sql');
    const { shot, step } = win;
    let page: Page;
    let sheet: FrameLocator;
    before(() => {
      page = win.page;
    });

    async function typeSql(text: string): Promise<void> {
      await sheet.locator('.cm-content').click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Control+Shift+Home');
      await page.keyboard.press('Delete');
      await page.keyboard.type(text);
    }

    /**
     * The body rows of the grid (in any editor or panel) whose tab contains `tab`, once they include
     * `cell` and none is loading. Frames are looked up afresh each time: a webview may be rebuilt.
     */
    async function gridRows(tab: string, cell: string): Promise<string[][]> {
      for (let i = 0; i < 240; i++) {
        for (const frame of page.frames()) {
          const rows = await frame
            .evaluate(
              ([t, c]) => {
                const tabs = [...document.querySelectorAll('.tabs .tab')].map((e) => e.textContent ?? '');
                if (!tabs.some((x) => x.includes(t!))) return undefined;
                if (document.querySelectorAll('regular-table td.loading').length > 0) return undefined;
                const rows = [...document.querySelectorAll('regular-table tbody tr')].map((tr) =>
                  [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
                );
                return rows.some((r) => r.includes(c!)) ? rows : undefined;
              },
              [tab, cell],
            )
            .catch(() => undefined);
          if (rows) return rows;
        }
        await page.waitForTimeout(250);
      }
      throw new Error(`no grid with a tab "${tab}" shows "${cell}"`);
    }

    const quickInput = (): ReturnType<Page['locator']> => page.locator('.quick-input-widget');

    step('compare-open', 'the worksheet opens and runs a first query', async () => {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible' });
      await input.fill('compare.mdw.sql');
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'compare.mdw.sql' })
        .first()
        .waitFor();
      await page.keyboard.press('Enter');
      sheet = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await sheet.locator('.cm-content').waitFor();
      await typeSql(BEFORE);
      await page.keyboard.press('Control+Enter');
      await sheet.locator('regular-table tbody td', { hasText: 'plums' }).first().waitFor();
    });

    step('compare-chart', 'the result is charted from its Chart switch, then back to the grid', async () => {
      await sheet.locator('.view-chart').click();
      const panel = sheet.locator('.chart-panel[data-state="drawn"]');
      await panel.waitFor();
      const marks = ((await panel.getAttribute('data-marks')) ?? '').split(',').filter(Boolean).map(Number);
      assert.deepEqual(marks, [3], 'qty per id: one mark for each of the 3 rows');
      await sheet.locator('.view-grid').click();
      await sheet.locator('regular-table tbody td', { hasText: 'plums' }).first().waitFor();
    });

    step('compare-pin', 'Pin… asks for a name and pins the result', async () => {
      await sheet.locator('vscode-button.result-pin').click();
      const input = quickInput().locator('input');
      await input.waitFor({ state: 'visible' });
      assert.equal(await input.inputValue(), 'Result 1');
      await input.fill('before');
      await page.keyboard.press('Enter');
      // code-server shows no toasts under the test driver: the notification is in the centre (the bell).
      const toast = page.locator('.notification-toast, .notifications-center .notification-list-item', {
        hasText: 'Pinned "before"',
      });
      for (let i = 0; i < 120 && !(await toast.first().isVisible()); i++) {
        if ((await page.locator('.notifications-center.visible').count()) === 0)
          await page
            .locator('.part.statusbar #status\\.notifications')
            .click()
            .catch(() => undefined);
        await page.waitForTimeout(250);
      }
      await toast.first().waitFor({ timeout: 5_000 });
      await page.keyboard.press('Escape');
    });

    step(
      'compare-diff',
      'run again, Compare… with the pinned result by id: the differences open beside',
      async () => {
        await typeSql(AFTER);
        await page.keyboard.press('Control+Enter');
        await sheet.locator('regular-table tbody td', { hasText: 'figs' }).first().waitFor();
        await sheet.locator('vscode-button.result-compare').click();
        const pinned = page.locator('.quick-input-list .monaco-list-row', { hasText: 'before' }).first();
        await pinned.waitFor();
        await pinned.click();
        // The key columns: a multi-select list of the columns both results have. Tick "id", then OK.
        const id = page
          .locator('.quick-input-list .monaco-list-row:visible')
          .filter({ has: page.getByText('id', { exact: true }) })
          .first();
        await id.waitFor();
        const selected = page.locator('.quick-input-widget', { hasText: '1 Selected' });
        // The list may still be laid out when it first shows: click again until the tick shows.
        for (let i = 0; i < 20 && !(await selected.isVisible()); i++) {
          await id
            .getByText('id', { exact: true })
            .click({ timeout: 2_000 })
            .catch(() => undefined);
          await page.waitForTimeout(250);
        }
        await selected.waitFor({ timeout: 10_000 }).catch(async () => {
          throw new Error(`"id" is not ticked: ${await id.evaluate((e) => e.outerHTML)}`);
        });
        await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).first().click();
        const rows = await gridRows('1 only in A · 1 only in B · 1 changed', 'figs');
        assert.deepEqual(rows, [
          ['changed (A)', '2', 'pears', '25'],
          ['changed (B)', '2', 'pears', '20'],
          ['only in B', '3', 'plums', '30'],
          ['only in A', '4', 'figs', '40'],
        ]);
        await shot('compare-workbench');
      },
    );
  },
);
