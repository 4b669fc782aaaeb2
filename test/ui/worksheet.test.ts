// A user's first worksheet in code-server: open it, type SQL, Ctrl+Enter, see rows; run two statements
// for two tabs; a bad statement marks its line. Run by scripts/vscode/run-tests.mjs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { signedInWindow } from './signedIn.js';

const url = process.env.MDW_WORKBENCH_URL;
const workspace = process.env.MDW_UI_WORKSPACE;

describe(
  'worksheet editor UI',
  { skip: url && workspace ? false : 'needs MDW_WORKBENCH_URL and MDW_UI_WORKSPACE (npm run test:ui)' },
  () => {
    const win = signedInWindow(url!, workspace!, 'worksheet', 'first.mdw.sql');
    const { shot, step } = win;
    let page: Page;
    let sheet: FrameLocator;
    before(() => {
      page = win.page;
    });

    /** Replaces the worksheet's text by typing, as a user would. */
    async function typeSql(text: string): Promise<void> {
      const content = sheet.locator('.cm-content');
      await content.click();
      // Not Ctrl+A: VS Code answers it a moment later with a select-all of its own inside the webview,
      // which would select what was typed meanwhile (no human types that fast).
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Control+Shift+Home');
      await page.keyboard.press('Delete');
      await page.keyboard.type(text);
    }

    step('worksheet-open', 'a .mdw.sql file opens in the worksheet editor', async () => {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible' });
      await input.fill('first.mdw.sql');
      await page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'first.mdw.sql' })
        .first()
        .waitFor();
      await page.keyboard.press('Enter');
      sheet = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await sheet.locator('.cm-content').waitFor();
      await sheet.locator('.ws-run').waitFor();
    });

    step('worksheet-rows', 'typing SQL and Ctrl+Enter shows the rows', async () => {
      await typeSql("SELECT 42 AS answer, 'hello' AS greeting;");
      await page.keyboard.press('Control+Enter');
      const cell = sheet.locator('regular-table tbody td', { hasText: '42' }).first();
      await cell.waitFor();
      assert.equal(await sheet.locator('.tabs .tab').first().textContent(), "SELECT 42 AS answer, 'hello…");
      // The document behind the editor got every keystroke and is dirty.
      await page.locator('.tab.active.dirty').waitFor();
      await shot('worksheet-rows');
    });

    step('worksheet-tabs', 'a second statement adds a tab', async () => {
      await sheet.locator('.cm-content').click();
      await page.keyboard.press('Control+End');
      await page.keyboard.type('\nSELECT range AS n FROM range(1000);');
      await page.keyboard.press('Shift+Control+Enter');
      await sheet.locator('.tabs .tab', { hasText: 'SELECT range AS n' }).waitFor();
      const tabs = await sheet.locator('.tabs .tab').allTextContents();
      assert.equal(tabs.length, 3, tabs.join(' | '));
      await sheet.locator('.tabs .tab', { hasText: 'SELECT range AS n' }).click();
      await sheet.locator('.status', { hasText: '1,000 rows' }).waitFor();
      await shot('worksheet-tabs');
    });

    step('worksheet-error', 'an error marks the line', async () => {
      await typeSql('SELECT 1;\nSELECT *\n  FROM no_such_table;');
      await page.keyboard.press('Shift+Control+Enter');
      const mark = sheet.locator('.cm-lintRange-error');
      await mark.waitFor();
      assert.equal(await mark.textContent(), 'no_such_table');
      await sheet.locator('.cm-gutter-lint .cm-lint-marker-error').waitFor();
      await shot('worksheet-error-vscode');
    });

    step('worksheet-save', 'Ctrl+S saves through VS Code', async () => {
      await sheet.locator('.cm-content').click();
      await page.keyboard.press('Control+S');
      await page.locator('.tab.active.dirty').waitFor({ state: 'detached' });
      assert.equal(
        fs.readFileSync(path.join(workspace!, 'first.mdw.sql'), 'utf8'),
        'SELECT 1;\nSELECT *\n  FROM no_such_table;',
      );
    });
  },
);
