// Two VS Code windows on one warehouse (issue 12), in code-server: window A is the usual signed-in window;
// window B is a second tab of the same browser profile (the same VS Code user: its secret storage holds the
// master key and the session) on the same folder, with an extension host of its own. Both are clients of
// the one warehouse service: both run worksheets while the other holds its session, a database and a table
// made in A appear in B's Databases view without a refresh, and B does not see A's transaction until A
// commits, and a worksheet of the store (`mdw:`) saved in A shows in B's Worksheets view and, with its new
// text, in B's open worksheet editor, without a refresh. (`mdw` beside a window:
// test/integration/service.test.ts and crossWindow.test.ts.) Run by scripts/vscode/run-tests.mjs
// (`--ui twoWindows`).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { screens, signedInWindow } from './signedIn.js';
import { answer, runCommand } from './signin.js';

const url = process.env.MDW_WORKBENCH_URL;
const workspace = process.env.MDW_UI_WORKSPACE;

const FILE_A = 'twowin-a.mdw.sql';
const FILE_B = 'twowin-b.mdw.sql';
/** The database window A creates (the warehouse folder is fresh for each run). */
const DB = 'shared';
/** The worksheet of the store (not a file) window A makes and window B opens. */
const SHEET = 'shared sheet';
const SHEET_TAB = `${SHEET}.mdw.sql`;

describe(
  'two windows on one warehouse UI',
  { skip: url && workspace ? false : 'needs MDW_WORKBENCH_URL and MDW_UI_WORKSPACE (npm run test:ui)' },
  () => {
    const win = signedInWindow(url!, workspace!, 'twowin', FILE_A);
    /** A test step that leaves a screenshot of window B too when it fails. */
    const step = (name: string, title: string, fn: () => Promise<void>) =>
      win.step(name, title, async () => {
        try {
          await fn();
        } catch (e) {
          if (b) await shot(b, `${name}-b-failure`).catch(() => undefined);
          throw e;
        }
      });
    let a: Page;
    let b: Page;
    let email: string;

    before(() => {
      a = win.page;
      fs.writeFileSync(path.join(workspace!, FILE_B), '');
    });
    after(async () => {
      await b?.close().catch(() => undefined);
    });

    const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screens, `${name}.png`) });

    // ---- what a user looks at, in either window -------------------------------------------------------

    const sidebar = (page: Page) => page.locator('.part.sidebar');
    const pane = (page: Page, title: string) =>
      sidebar(page)
        .locator('.pane')
        .filter({ has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`, 'i') }) });
    /** A tree row by its exact label. */
    const row = (page: Page, inPane: Locator, label: string) =>
      inPane.locator('.monaco-list-row').filter({
        has: page.locator('.label-name').getByText(label, { exact: true }),
      });
    /** The worksheet editor on screen (a hidden webview does not count). */
    const sheet = (page: Page): FrameLocator =>
      page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');

    async function openContainer(page: Page): Promise<Locator> {
      // The activity bar icon toggles: click it only when the container is not on screen.
      if (
        !(await pane(page, 'Databases')
          .first()
          .isVisible()
          .catch(() => false))
      )
        await page.locator('.activitybar [aria-label^="MicroDataWarehouse"]').first().click();
      const databases = pane(page, 'Databases');
      await databases.first().waitFor();
      const header = databases.locator('.pane-header');
      if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
      return databases;
    }

    /** The Worksheets view, expanded (the container is on screen). */
    async function worksheetsPane(page: Page): Promise<Locator> {
      const worksheets = pane(page, 'Worksheets');
      await worksheets.first().waitFor();
      const header = worksheets.locator('.pane-header');
      if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
      return worksheets;
    }

    /** The text of the worksheet editor on screen, as CodeMirror shows it (one line per line). */
    async function editorText(page: Page): Promise<string> {
      const lines = await sheet(page).locator('.cm-content .cm-line').allInnerTexts();
      return lines.join('\n');
    }

    /** Saves the active worksheet with Ctrl+S once the typing reached its document (the tab is dirty). */
    async function save(page: Page, tab: string): Promise<void> {
      const dirty = page.locator('.tab.dirty', { hasText: tab });
      await dirty.waitFor();
      await page.keyboard.press('ControlOrMeta+S');
      await dirty.waitFor({ state: 'detached' });
    }

    async function expand(page: Page, r: Locator): Promise<void> {
      await r.waitFor();
      if ((await r.getAttribute('aria-expanded')) !== 'true') await r.locator('.monaco-tl-twistie').click();
      await page.waitForFunction(
        (el) => el?.getAttribute('aria-expanded') === 'true',
        await r.elementHandle(),
      );
    }

    async function openWorksheet(page: Page, file: string): Promise<void> {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible' });
      await input.fill(file);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: file }).first().waitFor();
      await page.keyboard.press('Enter');
      await page.locator('.tab.active', { hasText: file }).waitFor();
      await sheet(page).locator('.ws-toolbar .ws-run').waitFor();
    }

    /** Replaces the worksheet's text by typing, as a user would (not Ctrl+A: see worksheet.test.ts). */
    async function typeSql(page: Page, text: string): Promise<void> {
      await sheet(page).locator('.cm-content').click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Control+Shift+Home');
      await page.keyboard.press('Delete');
      await page.keyboard.type(text);
    }

    /** Runs every statement (Shift+Ctrl+Enter) and waits for the run to end. */
    async function runAll(page: Page): Promise<void> {
      await page.keyboard.press('Shift+Control+Enter');
      await sheet(page).locator('.ws-toolbar:not(.running)').waitFor();
    }

    /** The cells of the grid's body rows, once its header shows `column` and no cell is loading. */
    async function grid(page: Page, column: string): Promise<string[][]> {
      const s = sheet(page);
      await s.locator('regular-table thead', { hasText: column }).first().waitFor();
      await s.locator('regular-table td.loading').first().waitFor({ state: 'detached' });
      const rows: string[][] = [];
      for (const tr of await s.locator('regular-table tbody tr').all())
        rows.push((await tr.locator('td').allTextContents()).map((t) => t.trim()));
      return rows;
    }

    // ---- the test -------------------------------------------------------------------------------------

    step('twowin-a', 'window A (signed in) runs a worksheet', async () => {
      const account = await a.locator('.statusbar-item', { hasText: '@example.test' }).first().innerText();
      email = /[\w.+-]+@example\.test/.exec(account)?.[0] ?? '';
      assert.ok(email, `the status bar shows the account: ${account}`);
      await openWorksheet(a, FILE_A);
      await typeSql(a, 'SELECT 42 AS answer;');
      await runAll(a);
      assert.deepEqual(await grid(a, 'answer'), [['42']]);
    });

    step('twowin-b', 'window B, a second tab of the same profile, comes up signed in as A', async () => {
      b = await win.context.newPage();
      b.setDefaultTimeout(60_000);
      await b.goto(url!);
      await b.locator('.monaco-workbench').waitFor();
      // The session token and the master key are in the profile's secret storage: no second sign-in.
      await b.locator('.statusbar-item', { hasText: email }).first().waitFor();
      const databases = await openContainer(b);
      await databases.locator('.welcome-view-content', { hasText: 'No databases yet' }).waitFor();
    });

    step('twowin-both', 'both windows run worksheets while the other holds its session', async () => {
      await openWorksheet(b, FILE_B);
      await typeSql(b, "SELECT 'window B' AS who, 7 * 6 AS answer;");
      await runAll(b);
      assert.deepEqual(await grid(b, 'who'), [['window B', '42']]);
      // A's session is still open in the service; A runs again, after B.
      await typeSql(a, "SELECT 'window A' AS who, range AS n FROM range(3);");
      await runAll(a);
      assert.deepEqual(await grid(a, 'who'), [
        ['window A', '0'],
        ['window A', '1'],
        ['window A', '2'],
      ]);
    });

    step('twowin-catalog', "A's new database and table appear in B's Databases view", async () => {
      // B shows its empty Databases view (loaded when B came up) and is not touched until the database shows.
      const databasesB = pane(b, 'Databases');
      await databasesB.locator('.welcome-view-content', { hasText: 'No databases yet' }).waitFor();
      // A: New Database… from the empty Databases view, as a user starts.
      const databasesA = await openContainer(a);
      await databasesA.locator('.welcome-view-content a.monaco-button', { hasText: 'New Database' }).click();
      await answer(a, DB);
      await row(a, databasesA, DB).waitFor();
      // B: the database shows up without a refresh; expand it down to its (empty) schema.
      await expand(b, row(b, databasesB, DB));
      await expand(b, row(b, databasesB, 'main'));
      // A: a table from a worksheet.
      await typeSql(
        a,
        `CREATE TABLE ${DB}.main.visits (id INTEGER, who VARCHAR);\nINSERT INTO ${DB}.main.visits VALUES (1, 'committed');`,
      );
      await runAll(a);
      await row(b, databasesB, 'visits').waitFor();
      await shot(b, 'twowin-b-catalog');
    });

    step('twowin-tx', "B does not see A's open transaction until A commits", async () => {
      await typeSql(a, `BEGIN;\nINSERT INTO ${DB}.main.visits VALUES (2, 'in a transaction');`);
      await runAll(a);
      await sheet(a).locator('.ws-transaction:not([hidden])', { hasText: 'Transaction open' }).waitFor();
      await typeSql(b, `SELECT count(*) AS rows_before_commit FROM ${DB}.main.visits;`);
      await runAll(b);
      assert.deepEqual(await grid(b, 'rows_before_commit'), [['1']]);
      await shot(a, 'twowin-a-transaction');
      await typeSql(a, 'COMMIT;');
      await runAll(a);
      await sheet(a).locator('.ws-transaction[hidden]').waitFor({ state: 'attached' });
      await typeSql(b, `SELECT id, who AS rows_after_commit FROM ${DB}.main.visits ORDER BY id;`);
      await runAll(b);
      assert.deepEqual(await grid(b, 'rows_after_commit'), [
        ['1', 'committed'],
        ['2', 'in a transaction'],
      ]);
      await shot(b, 'twowin-b-after-commit');
      await shot(a, 'twowin-a-after-commit');
    });

    step('twowin-later', 'both windows keep their sessions: B reads the committed table again', async () => {
      await typeSql(b, `SELECT max(id) AS last_id FROM ${DB}.main.visits;`);
      await runAll(b);
      assert.deepEqual(await grid(b, 'last_id'), [['2']]);
    });

    step('twowin-sheet', "a worksheet A saves shows in B's Worksheets view and opens there", async () => {
      // B's Worksheets view, loaded when B came up, has nothing yet and is not refreshed.
      await openContainer(b);
      const worksheetsB = await worksheetsPane(b);
      await worksheetsB.locator('.welcome-view-content', { hasText: 'No worksheets yet' }).waitFor();
      // A: New Worksheet from the palette; it opens in the worksheet editor; type and save.
      await runCommand(a, 'MicroDataWarehouse: New Worksheet');
      await answer(a, SHEET);
      await a.locator('.tab.active', { hasText: SHEET_TAB }).waitFor();
      await sheet(a).locator('.ws-toolbar .ws-run').waitFor();
      await sheet(a).locator('.cm-content').click();
      await a.keyboard.type('SELECT 1 AS v;');
      await save(a, SHEET_TAB);
      // B: the worksheet is listed; a click opens it in the worksheet editor (the default) with A's text.
      const item = row(b, worksheetsB, SHEET);
      await item.click();
      await b.locator('.tab.active', { hasText: SHEET_TAB }).waitFor();
      await sheet(b).locator('.cm-content', { hasText: 'SELECT 1 AS v;' }).waitFor();
      assert.equal(await editorText(b), 'SELECT 1 AS v;');
      await shot(b, 'twowin-b-sheet-opened');
    });

    step(
      'twowin-sheet-update',
      "A saves the worksheet again: B's open editor shows the new text",
      async () => {
        await typeSql(a, 'SELECT 2 AS v;');
        await save(a, SHEET_TAB);
        // B's editor has no unsaved edits: it reloads by itself, and stays clean.
        await sheet(b).locator('.cm-content', { hasText: 'SELECT 2 AS v;' }).waitFor();
        assert.equal(await editorText(b), 'SELECT 2 AS v;');
        assert.equal(await b.locator('.tab.dirty', { hasText: SHEET_TAB }).count(), 0);
        // B runs what it shows now.
        await sheet(b).locator('.cm-content').click();
        await runAll(b);
        assert.deepEqual(await grid(b, 'v'), [['2']]);
        await shot(b, 'twowin-b-sheet-updated');
      },
    );
  },
);
