// A user's journey through the README's "In VS Code" section, on the default surfaces only: worksheets
// open in the worksheet editor, no editor association or other default is changed. Each bullet is a step
// that asserts what the user sees (workbench DOM, the webviews' DOM, trees, status bar, notifications,
// files on disk) and leaves test-results/screens/journey-NN-<step>.png. A failed step does not stop the
// journey: the next step starts from where the user is, and the summary at the end lists every failure.
// Run by scripts/vscode/run-tests.mjs (alone: `node scripts/vscode/run-tests.mjs --no-integration
// --ui journey`). Sign-in codes come from a real SMTP server on 127.0.0.1, set in User settings.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp.js';
import { launchBrowser, type Browser } from './browser.js';
import { answer, runCommand } from './signin.js';
import { setUserSettings } from './userSettings.js';

const url = process.env.MDW_WORKBENCH_URL;
const screens = process.env.MDW_SCREENS_DIR ?? path.resolve('test-results/screens');
const stamp = Date.now().toString(36);
const FIRST = `journey-${stamp}@example.test`;
const SECOND = `other-${stamp}@example.test`;
/** Ctrl on Linux and Windows, Cmd on macOS: the run keys as a user presses them. */
const MOD = 'ControlOrMeta';
const text = (s: string) => s.replace(/\u00a0/g, ' ');
/** One line: a tab title or a notification as the user reads it. */
const line = (s: string) => s.replace(/\s+/g, ' ').trim();

/** A step's outcome, for the summary at the end. */
interface Outcome {
  n: number;
  name: string;
  ok: boolean;
  screenshot: string;
  problems: string[];
}

describe(
  'journey: the README\'s "In VS Code" section on the default surfaces',
  { skip: url ? false : 'needs MDW_WORKBENCH_URL (npm run test:ui)' },
  () => {
    let browser: Browser;
    let page: Page;
    let smtp: TestSmtp;
    let workspace: string;
    let restoreSettings: (() => void) | undefined;
    const outcomes: Outcome[] = [];

    before(async () => {
      smtp = await startSmtp();
      // A workspace and a warehouse of the journey's own, beside the other UI tests' workspace.
      const base = new URL(url!).searchParams.get('folder')!;
      const stateDir = path.dirname(base);
      workspace = path.join(stateDir, 'journey-workspace');
      fs.rmSync(workspace, { recursive: true, force: true });
      fs.mkdirSync(workspace, { recursive: true });
      const warehouse = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-journey-'));
      fs.writeFileSync(
        path.join(workspace, 'people.csv'),
        'id,name,city\n1,Ada,London\n2,Grace,Arlington\n3,Edsger,Nuenen\n',
      );
      // SMTP and the warehouse folder where a user sets them: User settings (restored afterwards).
      restoreSettings = setUserSettings(url!, {
        // An application setting: only User settings choose the warehouse folder.
        'microDataWarehouse.warehouse.folder': warehouse,
        'microDataWarehouse.smtp.host': '127.0.0.1',
        'microDataWarehouse.smtp.port': smtp.port,
        'microDataWarehouse.smtp.security': 'none',
        'microDataWarehouse.smtp.from': 'MicroDataWarehouse <noreply@example.test>',
      });

      const target = new URL(url!);
      target.searchParams.set('folder', workspace);
      browser = await launchBrowser();
      page = browser.page;
      await page.setViewportSize({ width: 1600, height: 1000 });
      page.setDefaultTimeout(45_000);
      // The first load compiles nothing but fetches a lot: slow on a busy machine.
      await page.goto(target.toString(), { timeout: 180_000 });
      await page.locator('.monaco-workbench').waitFor({ timeout: 180_000 });
    });

    after(async () => {
      await browser?.close();
      await smtp?.close();
      restoreSettings?.();
      const failed = outcomes.filter((o) => !o.ok);
      console.log(
        `\njourney: ${outcomes.length - failed.length} of ${outcomes.length} steps passed` +
          outcomes
            .map(
              (o) =>
                `\n  ${o.ok ? 'pass' : 'FAIL'}  ${String(o.n).padStart(2, '0')} ${o.name}` +
                (o.ok ? '' : `  [${o.screenshot}]\n        ${o.problems.join('\n        ')}`),
            )
            .join(''),
      );
    });

    // ---- helpers: what a user looks at --------------------------------------------------------------

    const sidebar = () => page.locator('.part.sidebar');
    const pane = (title: string) =>
      sidebar()
        .locator('.pane')
        .filter({ has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}`, 'i') }) });
    /** A tree row by its exact label. */
    const row = (inPane: Locator, label: string) =>
      inPane.locator('.monaco-list-row').filter({
        has: page.locator('.label-name').getByText(label, { exact: true }),
      });
    const statusItem = (content: string | RegExp) =>
      page.locator('.part.statusbar .statusbar-item', { hasText: content });
    const toast = (content: string | RegExp) =>
      page.locator('.notifications-toasts .notification-toast', { hasText: content });
    const editorTab = (content: string | RegExp) =>
      page.locator('.part.editor .tabs-container .tab', { hasText: content });
    const centreItem = (content: string | RegExp) =>
      page.locator('.notifications-center .notification-list-item', { hasText: content });
    const bell = () => page.locator('.part.statusbar #status\\.notifications');
    /**
     * A notification the user can see: a toast or, failing that, the same notification in the
     * notification centre, opened from the status bar bell as a user would. (code-server shows no toasts
     * with the smoke-test driver, which run-tests.mjs needs to load the extension in development mode.)
     */
    async function notification(content: string | RegExp, what: string, timeout = 45_000): Promise<Locator> {
      let found: Locator | undefined;
      await until(
        async () => {
          for (const l of [toast(content), centreItem(content)]) {
            if (
              await l
                .first()
                .isVisible()
                .catch(() => false)
            )
              found = l.first();
          }
          if (!found && (await page.locator('.notifications-center.visible').count()) === 0)
            await bell()
              .click()
              .catch(() => undefined);
          return found !== undefined;
        },
        what,
        timeout,
      ).catch(() => {
        throw new Error(
          `${what} is not shown in a toast or the notification centre (waited ${timeout / 1000} s)`,
        );
      });
      return found!;
    }
    const reported = new Set<string>();
    /** The notifications in the centre that no earlier step reported. */
    async function newNotifications(): Promise<string[]> {
      if ((await page.locator('.notifications-center.visible').count()) === 0) await bell().click();
      const centre = page.locator('.notifications-center.visible');
      await centre.waitFor({ timeout: 5_000 });
      const all = (await centre.locator('.notification-list-item-message').allInnerTexts()).map(line);
      await closeNotificationCentre();
      const fresh = all.filter((m) => !reported.has(m));
      for (const m of all) reported.add(m);
      return fresh;
    }
    async function closeNotificationCentre(): Promise<void> {
      if ((await page.locator('.notifications-center.visible').count()) > 0) await bell().click();
    }
    /**
     * Types a path into code-server's file dialog (a quick input) and clicks its accept button (`accept`),
     * again if the dialog was still loading its folder and ignored the first click.
     */
    async function acceptFileDialog(file: string, accept: string): Promise<void> {
      const dialog = page.locator('.quick-input-widget', {
        has: page.locator('.monaco-button', { hasText: accept }),
      });
      await dialog.waitFor();
      await dialog.locator('input').first().fill(file);
      await until(
        async () => {
          if (!(await dialog.isVisible())) return true;
          if ((await dialog.locator('input').first().inputValue()) !== file)
            await dialog.locator('input').first().fill(file);
          await dialog
            .locator('.monaco-button', { hasText: accept })
            .first()
            .click({ timeout: 5_000 })
            .catch(() => undefined);
          await page.waitForTimeout(1_000);
          return !(await dialog.isVisible());
        },
        `the file dialog to accept ${file}`,
        60_000,
      );
    }
    /** Runs a command from the palette; fails saying so when the palette does not list it. */
    async function palette(title: string): Promise<void> {
      await runCommand(page, title).catch(async () => {
        const listed = (await page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map(text);
        await page.keyboard.press('Escape');
        throw new Error(
          `the command palette does not list "${title}" here (it offers: ${listed.slice(0, 5).join(' | ') || 'nothing'})`,
        );
      });
    }
    /** A webview by its frame name (VS Code names each webview's iframe with the webview's id). */
    const webview = (name: string): FrameLocator =>
      page.frameLocator(`iframe.webview.ready[name="${name}"]`).frameLocator('#active-frame');
    /** The name of the webview on screen whose page shows `marker` (hidden webviews do not count). */
    async function webviewShowing(marker: string, what: string, timeout = 45_000): Promise<string> {
      let found: string | undefined;
      await until(
        async () => {
          for (const frame of await page.locator('iframe.webview.ready:visible').all()) {
            const name = await frame.getAttribute('name').catch(() => null);
            if (name && (await webview(name).locator(marker).count()) > 0) found = name;
          }
          return found !== undefined;
        },
        `${what} to show`,
        timeout,
      ).catch(() => {
        throw new Error(`${what} is not shown (waited ${timeout / 1000} s)`);
      });
      return found!;
    }
    let sheetName = '';
    /** The worksheet editor on screen, as found by the last showSheet(). */
    const sheet = (): FrameLocator => webview(sheetName);
    /** Finds the worksheet editor on screen (call it when another one comes to the front). */
    async function showSheet(what: string): Promise<void> {
      sheetName = await webviewShowing('.ws-toolbar .ws-run', what);
    }
    const gridStatus = () => sheet().locator('.ws-results .status');
    const resultTabs = () => sheet().locator('.ws-results .tabs .tab');
    const cell = (value: string) =>
      sheet().locator('regular-table tbody td').getByText(value, { exact: true });

    async function shot(file: string): Promise<void> {
      await page.screenshot({ path: path.join(screens, file) });
    }

    async function openContainer(): Promise<void> {
      // The activity bar icon toggles: click it only when the container is not on screen.
      if (
        !(await pane('Databases')
          .first()
          .isVisible()
          .catch(() => false))
      )
        await page.locator('.activitybar [aria-label^="MicroDataWarehouse"]').first().click();
      await pane('Databases').first().waitFor();
    }

    async function expandPane(title: string): Promise<Locator> {
      const p = pane(title);
      const header = p.locator('.pane-header');
      if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
      return p;
    }

    async function expand(r: Locator): Promise<void> {
      await r.waitFor();
      if ((await r.getAttribute('aria-expanded')) !== 'true') await r.locator('.monaco-tl-twistie').click();
      await page.waitForFunction(
        (el) => el?.getAttribute('aria-expanded') === 'true',
        await r.elementHandle(),
      );
    }

    async function collapse(r: Locator): Promise<void> {
      if ((await r.getAttribute('aria-expanded')) === 'true') await r.locator('.monaco-tl-twistie').click();
    }

    async function level(r: Locator): Promise<number> {
      return Number(await r.getAttribute('aria-level'));
    }

    /** Replaces the worksheet's SQL by typing it, as a user would. */
    async function typeSql(sql: string): Promise<void> {
      const content = sheet().locator('.cm-content');
      await content.click();
      // Not Ctrl+A: VS Code answers it a moment later with a select-all of its own inside the webview.
      await page.keyboard.press(`${MOD}+End`);
      await page.keyboard.press(`${MOD}+Shift+Home`);
      await page.keyboard.press('Delete');
      await page.keyboard.type(sql);
      await page.keyboard.press('Escape'); // a completion list, if one is open
    }

    /** Ctrl+Enter with the cursor in the first statement. */
    async function runFirstStatement(): Promise<void> {
      await sheet().locator('.cm-content').click();
      await page.keyboard.press(`${MOD}+Home`);
      await page.keyboard.press(`${MOD}+Enter`);
    }

    /** Waits until the worksheet is not running, then for its run to show `what`. */
    async function ranTo(what: Locator, timeout = 60_000): Promise<void> {
      await sheet().locator('.ws-toolbar:not(.running)').waitFor({ timeout });
      await what.first().waitFor({ timeout });
    }

    async function until(check: () => boolean | Promise<boolean>, what: string, timeout = 60_000) {
      const end = Date.now() + timeout;
      for (;;) {
        if (await check()) return;
        if (Date.now() > end) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }

    /** Fails with what the user sees instead, not only that something was missing. */
    async function see(l: Locator, what: string, timeout = 45_000): Promise<void> {
      try {
        await l.first().waitFor({ timeout });
      } catch {
        throw new Error(`${what} is not shown (waited ${timeout / 1000} s)`);
      }
    }

    async function frameText(f: FrameLocator): Promise<string> {
      return text(
        await f
          .locator('body')
          .innerText({ timeout: 5_000 })
          .catch(() => ''),
      );
    }

    /**
     * Signs in with the code mailed to `email`. When the code is shown as development delivery instead
     * (the SMTP settings were not used), notes it as a problem and goes on with that code.
     */
    async function signInWithMailedCode(email: string, problems: string[]): Promise<void> {
      await answer(page, email);
      const mailed = smtp.next(email, 90_000).then((m) => ({ via: 'smtp' as const, code: codeIn(m) }));
      const shown = page
        .locator('.quick-input-widget .quick-input-message', { hasText: 'Development delivery' })
        .waitFor({ timeout: 90_000 })
        .then(async () => {
          const message = await page.locator('.quick-input-widget .quick-input-message').innerText();
          return { via: 'development' as const, code: /your code is (\d{6})/.exec(message)?.[1] ?? '' };
        });
      mailed.catch(() => undefined);
      shown.catch(() => undefined);
      const got = await Promise.any([mailed, shown]).catch(() => {
        throw new Error(`no sign-in code for ${email}: no mail reached the SMTP server within 90 s`);
      });
      if (got.via === 'development') {
        problems.push(
          `the code for ${email} was shown as development delivery: the SMTP User settings (smtp.host ${'127.0.0.1'}, port ${smtp.port}) were not used`,
        );
      }
      await page
        .locator('.quick-input-widget', { hasText: `Sign in to MicroDataWarehouse as ${email}` })
        .waitFor();
      await answer(page, got.code);
      await see(statusItem(email), `the status bar item "${email}" after entering the code`, 60_000);
    }

    // ---- steps -------------------------------------------------------------------------------------

    let n = 0;
    /**
     * One bullet of the README. `problems` collects what is wrong but lets the step go on (so one run
     * shows every broken step); a thrown error ends the step. Either fails it, naming its screenshot.
     */
    function step(
      name: string,
      title: string,
      fn: (problems: string[]) => Promise<void>,
      budgetMs = 240_000,
    ): void {
      const index = ++n;
      const screenshot = `journey-${String(index).padStart(2, '0')}-${name}.png`;
      it(`${String(index).padStart(2, '0')} ${title}`, { timeout: budgetMs + 60_000 }, async () => {
        const problems: string[] = [];
        let timer: ReturnType<typeof setTimeout> | undefined;
        const overtime = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the step did not finish within ${budgetMs / 1000} s`)),
            budgetMs,
          );
        });
        try {
          await Promise.race([fn(problems), overtime]);
        } catch (e) {
          problems.push(e instanceof Error ? e.message.split('\n')[0]! : String(e));
        } finally {
          clearTimeout(timer);
        }
        await shot(screenshot).catch(() => undefined);
        // What the step added to the notification centre says what the user was told (errors included).
        // Nothing is cleared: a notification may answer the next step (the demo offer after sign-in).
        const told = await newNotifications().catch(() => [] as string[]);
        if (problems.length > 0 && told.length > 0) problems.push(`notifications: ${told.join(' | ')}`);
        outcomes.push({ n: index, name, ok: problems.length === 0, screenshot, problems });
        if (problems.length > 0) {
          // Leave no prompt or menu open for the next step.
          for (let i = 0; i < 3; i++) await page.keyboard.press('Escape').catch(() => undefined);
          assert.fail(
            `step ${index} "${name}" failed (screenshot ${screenshot}):\n- ${problems.join('\n- ')}`,
          );
        }
      });
    }

    step('signin', 'Sign In: email, then the 6-digit code mailed by the SMTP server', async (problems) => {
      await openContainer();
      const databases = pane('Databases');
      await see(
        databases.locator('.welcome-view-content', { hasText: 'Sign in to MicroDataWarehouse' }),
        'the signed-out welcome of the Databases view',
      );
      await databases.locator('.welcome-view-content a.monaco-button', { hasText: 'Sign In' }).click();
      await signInWithMailedCode(FIRST, problems);
    });

    step(
      'demo',
      'first run: the demo offer is visible; Create Demo Warehouse loads it',
      async (problems) => {
        const databases = pane('Databases');
        const button = databases.locator('.welcome-view-content a.monaco-button', {
          hasText: 'Create Demo Warehouse',
        });
        await see(
          databases.locator('.welcome-view-content', { hasText: 'No databases yet' }),
          'the empty Databases view',
        );
        const offer = await notification(
          'Your warehouse is empty',
          'the demo offer after the first sign-in',
          30_000,
        ).catch((e: Error) => void problems.push(e.message));
        // The offer is visible where the user looks: a button in the empty Databases view.
        if (await button.isVisible().catch(() => false)) {
          await closeNotificationCentre();
          await button.click();
        } else {
          problems.push('the empty Databases view has no "Create Demo Warehouse" button');
          const load = offer?.locator('.monaco-button', { hasText: 'Load Demo' });
          if (load && (await load.isVisible().catch(() => false))) await load.click();
          else await palette('MicroDataWarehouse: Create Demo Warehouse');
        }
        // About 1M generated order lines: minutes on a busy 2-core machine.
        await notification('The demo is ready', 'the notification "The demo is ready"', 540_000);
        await closeNotificationCentre();
        await see(row(databases, 'sales'), 'database "sales" in the Databases view');
        await see(row(databases, 'crm'), 'database "crm" in the Databases view');
        await see(
          row(await expandPane('Worksheets'), 'Getting started'),
          'the "Getting started" folder in the Worksheets view',
        );
      },
      600_000,
    );

    step('databases', 'Databases: sales › main › tables › columns, with row counts and types', async () => {
      const databases = pane('Databases');
      await expand(row(databases, 'sales'));
      await expand(row(databases, 'main'));
      const orders = row(databases, 'orders');
      await expand(orders);
      await see(row(databases, 'ordered_at'), 'column "ordered_at" under sales › main › orders');
      const rows = text((await databases.locator('.monaco-list-row').allInnerTexts()).join('\n'));
      assert.match(rows, /orders\s*~[\d,]+ rows/, `the orders table shows its estimated rows:\n${rows}`);
      assert.match(rows, /order_id\s*BIGINT/, `columns show their types:\n${rows}`);
      assert.match(rows, /order_lines/, rows);
      assert.match(rows, /products/, rows);
      await shot('journey-03-databases-sidebar.png');
      await collapse(orders);
    });

    step(
      'folders',
      'Worksheets: New Folder three deep, New Worksheet inside, opening in the worksheet editor',
      async () => {
        const worksheets = await expandPane('Worksheets');
        // Nothing is selected yet: the first folder goes to the top level, each next one into the one
        // just made (it is revealed and selected, as in the Explorer).
        for (const name of ['Journey', 'Level 2', 'Level 3']) {
          await runCommand(page, 'MicroDataWarehouse: New Folder');
          await answer(page, name);
          await see(row(worksheets, name), `folder "${name}" in the Worksheets view`);
        }
        const levels = [
          await level(row(worksheets, 'Journey')),
          await level(row(worksheets, 'Level 2')),
          await level(row(worksheets, 'Level 3')),
        ];
        assert.deepEqual(
          levels,
          [1, 2, 3],
          `tree levels of Journey › Level 2 › Level 3: ${levels.join(', ')}`,
        );
        await runCommand(page, 'MicroDataWarehouse: New Worksheet');
        await answer(page, 'scratch');
        await see(row(worksheets, 'scratch'), 'worksheet "scratch" in the Worksheets view');
        assert.equal(await level(row(worksheets, 'scratch')), 4, 'scratch is inside Level 3');
        await see(editorTab('scratch'), 'an editor tab "scratch"');
        await showSheet('the worksheet editor (toolbar with Run) for scratch');
      },
    );

    step(
      'open-worksheet',
      'a worksheet opened from the Worksheets view opens in the worksheet editor',
      async () => {
        const worksheets = await expandPane('Worksheets');
        await expand(row(worksheets, 'Getting started'));
        const revenue = row(worksheets, '1 Revenue by region (cross-database join)');
        await revenue.click();
        await see(editorTab('1 Revenue by region'), 'an editor tab "1 Revenue by region…"');
        await showSheet('the worksheet editor (toolbar with Run) for "1 Revenue by region…"');
        await see(
          sheet().locator('.cm-content', { hasText: 'SELECT r.region_name' }),
          "the worksheet's SQL in the worksheet editor",
        );
      },
    );

    step('run-all', 'Run All from the worksheet toolbar shows the rows and a true status line', async () => {
      await sheet().locator('.ws-toolbar .ws-run-all').click();
      await ranTo(cell('North'), 120_000);
      for (const region of ['South', 'East', 'West', 'Central'])
        await see(cell(region), `region ${region} in the grid`);
      await see(
        sheet().locator('.ws-elapsed', { hasText: /^Ran in / }),
        'the elapsed time "Ran in …" in the toolbar',
      );
      const status = text(await gridStatus().innerText());
      assert.match(status, /^5 rows · /, `the grid's status line says "${status}" with 5 rows on screen`);
    });

    step('ctrl-enter', 'Ctrl+Enter runs the statement at the cursor, not the others', async () => {
      await row(pane('Worksheets'), 'scratch').click();
      await see(editorTab('scratch'), 'the scratch tab');
      await showSheet('the worksheet editor of scratch');
      await typeSql("select 42 as answer;\nselect 'second' as which;");
      await runFirstStatement();
      await ranTo(cell('42'));
      const tabs = (await resultTabs().allInnerTexts()).map(text);
      assert.ok(
        tabs.length === 2 && tabs[0]!.startsWith('select 42 as answer') && tabs[1] === 'Messages',
        `result tabs after Ctrl+Enter in the first of two statements: ${tabs.join(' | ')}`,
      );
      await see(gridStatus().filter({ hasText: /^1 row · / }), 'the status line "1 row · …"');
    });

    step('status-bar', "the status bar shows the worksheet's database.schema", async () => {
      // crm comes first, so a new worksheet starts there: switch to sales.
      await typeSql('use sales;');
      await runFirstStatement();
      await sheet().locator('.ws-toolbar:not(.running)').waitFor();
      await until(
        async () =>
          (await sheet()
            .locator('.ws-database')
            .evaluate((e) => (e as HTMLInputElement).value)) === 'sales',
        "the worksheet's database picker to show sales",
        30_000,
      );
      await see(
        statusItem(/\bsales\.main\b/),
        'a status bar item "sales.main" while the worksheet is active',
        30_000,
      );
    });

    step('five-million', 'a query of 5M rows: Ctrl+End reaches the last row in the grid', async () => {
      await typeSql('select range as n, range * 2 as twice from range(5000000);');
      await runFirstStatement();
      await ranTo(cell('0'), 120_000);
      await see(
        gridStatus().filter({ hasText: /^5,000,000 rows · / }),
        'the status line "5,000,000 rows · …"',
        180_000,
      );
      await cell('0').first().click();
      await page.keyboard.press(`${MOD}+End`);
      await see(cell('4999999'), 'row 5,000,000 (n = 4999999) after Ctrl+End', 60_000);
      await see(
        gridStatus().filter({ hasText: /–5,000,000 visible/ }),
        'the status line "rows …–5,000,000 visible"',
      );
    });

    step('sort', 'sorting a column in the grid sorts every row', async () => {
      const head = sheet().locator('regular-table thead .col-head .col-name').getByText('n', { exact: true });
      await head.click();
      await see(
        gridStatus().filter({ hasText: 'sorted by n ▲' }),
        'the status line "sorted by n ▲"',
        120_000,
      );
      await head.click();
      await see(
        gridStatus().filter({ hasText: 'sorted by n ▼' }),
        'the status line "sorted by n ▼"',
        120_000,
      );
      await sheet().locator('regular-table tbody td').first().click();
      await page.keyboard.press(`${MOD}+Home`);
      await see(cell('4999999'), 'n = 4999999 at the top after sorting descending', 60_000);
      const first = text(await sheet().locator('regular-table tbody tr').first().innerText());
      assert.match(first, /4999999\s+9999998/, `the first row after sorting descending: "${first}"`);
    });

    step('filter', 'a filter in the grid keeps the matching rows', async () => {
      await sheet().locator('regular-table thead .col-filter[aria-label="Filter n"]').click();
      const popover = sheet().locator('.popover.filter');
      await see(popover, 'the filter popover of column n');
      await popover.locator('.filter-value input').fill('1234567');
      await popover.locator('.filter-apply').click();
      await see(
        gridStatus().filter({ hasText: /^1 of 5,000,000 rows/ }),
        'the status line "1 of 5,000,000 rows"',
        120_000,
      );
      await see(cell('2469134'), 'the filtered row (twice = 2469134)');
      await see(sheet().locator('.chips .chip', { hasText: 'n = 1234567' }), 'the filter chip "n = 1234567"');
    });

    step('export', 'Export… CSV writes the file (with sort and filter) and says so', async () => {
      const file = path.join(workspace, 'exports', 'journey.csv');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await sheet().locator('.toolbar .export').click();
      const input = page.locator('.quick-input-widget input');
      await see(input, 'the save dialog');
      await acceptFileDialog(file, 'OK');
      await until(
        () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim().length > 0,
        `${file} to be written`,
        90_000,
      );
      const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
      assert.deepEqual(lines, ['n,twice', '1234567,2469134'], `${file} holds:\n${lines.join('\n')}`);
      await notification(/Exported 1 row/, 'a notification "Exported 1 row… to …"', 30_000);
      await closeNotificationCentre();
    });

    step('history', "History lists the worksheet's runs", async () => {
      const history = await expandPane('History');
      await history.locator('.pane-header').hover();
      const refresh = history.locator('.pane-header .action-label[aria-label^="Refresh History"]');
      if (await refresh.isVisible().catch(() => false)) await refresh.click();
      const entry = (sql: string) => history.locator('.monaco-list-row', { hasText: sql });
      await see(entry('from range(5000000)'), 'the 5M-row run in History', 30_000);
      await see(entry('select 42 as answer'), 'the Ctrl+Enter run in History');
      await see(entry('use sales'), 'the "use sales;" run in History');
    });

    step('ddl', '`create or replace table` in a worksheet refreshes the Databases tree', async () => {
      const databases = await expandPane('Databases');
      await see(row(databases, 'orders'), 'sales › main expanded in the Databases view');
      await typeSql('create or replace table sales.main.journey_tx(id integer, label varchar);');
      await runFirstStatement();
      await sheet().locator('.ws-toolbar:not(.running)').waitFor();
      await see(
        row(databases, 'journey_tx'),
        'table journey_tx under sales › main without a manual refresh',
        30_000,
      );
    });

    step(
      'transaction',
      'palette Begin Transaction, insert, palette Rollback Transaction: the row is gone',
      async (problems) => {
        await sheet().locator('.cm-content').click();
        await palette('MicroDataWarehouse: Begin Transaction');
        await see(
          sheet().locator('.ws-transaction:not([hidden])', { hasText: 'Transaction open' }),
          'the toolbar badge "Transaction open"',
          30_000,
        );
        await see(statusItem('Transaction open'), 'the status bar item "Transaction open"', 10_000).catch(
          (e: Error) => problems.push(e.message),
        );
        await typeSql("insert into sales.main.journey_tx values (1, 'rolled back');");
        await runFirstStatement();
        await sheet().locator('.ws-toolbar:not(.running)').waitFor();
        await palette('MicroDataWarehouse: Rollback Transaction');
        await sheet().locator('.ws-transaction[hidden]').waitFor({ state: 'attached', timeout: 30_000 });
        await typeSql('select count(*) as rows_left from sales.main.journey_tx;');
        await runFirstStatement();
        await ranTo(sheet().locator('regular-table thead', { hasText: 'rows_left' }));
        const body = text(await sheet().locator('regular-table tbody tr').first().innerText());
        assert.match(body, /^\s*\S*\s*0\s*$/, `after the rollback the count is "${body}", not 0`);
      },
    );

    step('aborted', 'an aborted transaction is shown as aborted', async (problems) => {
      await typeSql("begin; select 'abc'::int;");
      await page.keyboard.press(`${MOD}+Shift+Enter`);
      await sheet().locator('.ws-toolbar:not(.running)').waitFor();
      await see(
        sheet().locator('.ws-transaction:not([hidden])', { hasText: 'Transaction aborted' }),
        'the toolbar badge "Transaction aborted"',
        30_000,
      ).catch(async (e: Error) =>
        problems.push(
          `${e.message}; the badge says "${text(
            await sheet()
              .locator('.ws-transaction')
              .innerText()
              .catch(() => ''),
          )}"`,
        ),
      );
      await see(statusItem('Transaction aborted'), 'the status bar item "Transaction aborted"', 10_000).catch(
        (e: Error) => problems.push(e.message),
      );
      // Leave no transaction behind for the next steps.
      await typeSql('rollback;');
      await runFirstStatement();
      await sheet().locator('.ws-toolbar:not(.running)').waitFor();
    });

    step(
      'cancel',
      'Cancel stops a long query; it ends as cancelled and the worksheet stays usable',
      async (problems) => {
        // Cancel shows in the editor title only while something runs (a context key).
        const titleCancel = page.locator(
          '.part.editor .editor-actions .action-label[aria-label^="Cancel Query"]',
        );
        await typeSql('select count(*) from range(1000000000000);');
        if (await titleCancel.isVisible())
          problems.push('the editor title shows Cancel Query while nothing runs');
        await runFirstStatement();
        await see(sheet().locator('.ws-toolbar.running'), 'the worksheet running');
        await see(sheet().locator('.ws-elapsed', { hasText: /^Running… / }), '"Running…" in the toolbar');
        await titleCancel
          .waitFor({ timeout: 15_000 })
          .catch(() => problems.push('the editor title shows no Cancel Query while the worksheet runs'));
        await sheet().locator('.ws-cancel').click();
        await sheet().locator('.ws-toolbar:not(.running)').waitFor({ timeout: 120_000 });
        await see(
          sheet().locator('.ws-results .messages', { hasText: 'Cancelled.' }),
          'Messages saying "Cancelled."',
          30_000,
        );
        await typeSql("select 'after cancel' as still_usable;");
        await runFirstStatement();
        await ranTo(cell('after cancel'));
      },
    );

    step('explain', 'palette Explain opens the query plan of the statement at the cursor', async () => {
      await typeSql('select status, count(*) as n from sales.main.orders group by status;');
      await sheet().locator('.cm-content').click();
      await palette('MicroDataWarehouse: Explain');
      await see(editorTab('Query Plan'), 'an editor tab "Query Plan"', 60_000);
      const plan = webview(
        await webviewShowing('.op .op-name', 'plan operators in the Query Plan panel', 60_000),
      );
      assert.match(await frameText(plan), /sales\.main\.orders/, 'the plan shows its SQL');
      await shot('journey-18-explain-panel.png');
      // Close it, as a user would, so the worksheet has the editor area to itself again.
      const tab = editorTab('Query Plan');
      await tab.hover();
      await tab.locator('.tab-actions .action-label').click();
      await tab.waitFor({ state: 'detached' });
    });

    step('sql-error', 'an error is marked at its line and column (marker and Messages)', async () => {
      await typeSql('SELECT 1;\nSELECT *\n  FROM no_such_table;');
      await page.keyboard.press(`${MOD}+Shift+Enter`);
      await sheet().locator('.ws-toolbar:not(.running)').waitFor();
      const mark = sheet().locator('.cm-lintRange-error');
      await see(mark, 'the error underline in the SQL');
      assert.equal(await mark.first().textContent(), 'no_such_table');
      await see(sheet().locator('.cm-gutter-lint .cm-lint-marker-error'), 'the error marker in the gutter');
      await sheet().locator('.ws-results .tabs .tab.has-error', { hasText: 'Messages' }).click();
      await see(
        sheet().locator('.message-position', { hasText: 'line 3, column 8' }),
        'Messages: "line 3, column 8"',
      );
      assert.match(await frameText(sheet()), /no_such_table/);
    });

    step('import', 'Import File…: a CSV file into a new table', async () => {
      const csv = path.join(workspace, 'people.csv');
      await palette('MicroDataWarehouse: Import File…');
      const input = page.locator('.quick-input-widget input');
      await see(input, 'the open dialog');
      await acceptFileDialog(csv, 'Import');
      const pick = page
        .locator('.quick-input-list .monaco-list-row')
        .filter({ has: page.locator('.label-name').getByText('sales', { exact: true }) });
      await see(pick, 'the database pick list with "sales"');
      await pick.click();
      await page.locator('.quick-input-widget', { hasText: 'Import people.csv' }).waitFor();
      await answer(page, 'people');
      await notification(
        /Imported 3 rows into "?sales"?\."?main"?\."?people"?/,
        'the notification "Imported 3 rows into sales.main.people"',
        60_000,
      );
      await closeNotificationCentre();
      await see(row(pane('Databases'), 'people'), 'table people under sales › main', 30_000);
      await typeSql('select name from sales.main.people order by id;');
      await runFirstStatement();
      await ranTo(cell('Edsger'));
    });

    step(
      'move-reload',
      'drag and drop a worksheet between folders; after a reload the tree is the same',
      async () => {
        await sheet().locator('.cm-content').click();
        const saved = line(await sheet().locator('.cm-content').innerText());
        await page.keyboard.press(`${MOD}+S`);
        await page
          .locator('.part.editor .tabs-container .tab.dirty', { hasText: 'scratch' })
          .waitFor({ state: 'detached' });
        const worksheets = await expandPane('Worksheets');
        await collapse(row(worksheets, 'Getting started'));
        const journey = row(worksheets, 'Journey');
        await row(worksheets, 'scratch').dragTo(journey);
        await until(
          async () =>
            (await row(worksheets, 'scratch').count()) === 1 &&
            (await level(row(worksheets, 'scratch'))) === 2,
          'scratch to move into Journey (tree level 2)',
          30_000,
        );
        const before = await treeShape(worksheets);
        await runCommand(page, 'Developer: Reload Window');
        await page.waitForLoadState('load', { timeout: 180_000 });
        await page.locator('.monaco-workbench').waitFor({ timeout: 180_000 });
        // A new extension host starts: minutes on a busy 2-core machine.
        await see(statusItem(FIRST), 'the signed-in account after the reload', 300_000);
        await openContainer();
        const after = await expandPane('Worksheets');
        await see(row(after, 'Journey'), 'folder Journey after the reload', 60_000);
        for (const name of ['Journey', 'Level 2', 'Level 3']) await expand(row(after, name));
        const shape = await treeShape(after);
        assert.deepEqual(
          shape,
          before,
          `the tree after the reload:\n${shape.join('\n')}\nbefore:\n${before.join('\n')}`,
        );
        await see(editorTab('scratch'), 'the scratch tab restored after the reload', 60_000);
        await editorTab('scratch').click();
        await showSheet('the scratch worksheet editor after the reload');
        await until(
          async () => line(await sheet().locator('.cm-content').innerText()) === saved,
          `the saved SQL of scratch after the reload ("${saved}")`,
          60_000,
        );
      },
      480_000,
    );

    /** "level label" for every row of the Journey subtree (expanded), in order. */
    async function treeShape(p: Locator): Promise<string[]> {
      for (const name of ['Journey', 'Level 2', 'Level 3']) await expand(row(p, name));
      const rows = p.locator('.monaco-list-row');
      const out: string[] = [];
      for (let i = 0; i < (await rows.count()); i++) {
        const r = rows.nth(i);
        out.push(`${await r.getAttribute('aria-level')} ${text(await r.locator('.label-name').innerText())}`);
      }
      const start = out.findIndex((l) => l === '1 Journey');
      const end = out.findIndex((l, i) => i > start && l.startsWith('1 '));
      return out.slice(start, end < 0 ? undefined : end);
    }

    step(
      'another-account',
      'Sign In with Another Account shows nothing of the first account',
      async (problems) => {
        await statusItem(FIRST).first().click();
        const choice = page.locator('.quick-input-list .monaco-list-row', {
          hasText: 'Sign In with Another Account',
        });
        await see(choice, 'the account menu entry "Sign In with Another Account"');
        await choice.click();
        await signInWithMailedCode(SECOND, problems);
        await openContainer();
        // Names only the first account has ("Getting started" is also in the empty Databases view's text).
        const markers = [
          FIRST,

          'Journey',
          'Level 3',
          'scratch',
          'Revenue by region',
          'journey_tx',
          'no_such_table',
          'range(5000000)',
          'sales.main.orders',
          'region_name',
        ];
        const leftovers = async (): Promise<string[]> => {
          const found: string[] = [];
          // The views, editors, panel and status bar (not notifications: the new account's demo offer
          // names the "Getting started" worksheets it would make).
          for (const part of ['sidebar', 'editor', 'panel', 'auxiliarybar', 'statusbar']) {
            const shown = text(
              (
                await page
                  .locator(`.part.${part}`)
                  .allInnerTexts()
                  .catch(() => [] as string[])
              ).join('\n'),
            );
            for (const m of markers) if (shown.includes(m)) found.push(`"${m}" in the ${part}`);
          }
          for (const frame of page.frames()) {
            if (frame === page.mainFrame()) continue;
            const body = text(
              await frame
                .locator('body')
                .innerText({ timeout: 2_000 })
                .catch(() => ''),
            );
            for (const m of markers)
              if (body.includes(m)) found.push(`"${m}" in a webview (${frame.url().slice(0, 60)}…)`);
          }
          return found;
        };
        let found: string[] = [];
        await until(
          async () => (found = await leftovers()).length === 0,
          'the first account to be gone from every view',
          30_000,
        ).catch(() =>
          problems.push(
            `30 s after the switch the window still shows the first account: ${found.join('; ')}`,
          ),
        );
        const tabs = (await page.locator('.part.editor .tabs-container .tab').allInnerTexts()).map(line);
        if (tabs.some((t) => /scratch|Revenue by region|Query Plan/.test(t)))
          problems.push(`editor tabs of the first account are open: ${tabs.join(' | ')}`);
        await see(
          pane('Worksheets').locator('.welcome-view-content', { hasText: 'No worksheets yet' }),
          "the second account's empty Worksheets view",
          30_000,
        ).catch((e: Error) => problems.push(e.message));
      },
    );
  },
);
