// The extension as a user gets it: installed from the linux-x64 .vsix, not loaded in development mode.
// Run by scripts/vscode/test-package.mjs, which passes MDW_INSTALLED_EXTENSION (the installed folder) and
// MDW_CODE_SERVER_PGID (code-server's process group, which holds the extension host).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from './browser.js';
import { signInFromPalette } from './signin.js';
import { setUserSettings } from './userSettings.js';

const url = process.env.MDW_WORKBENCH_URL;
const installed = process.env.MDW_INSTALLED_EXTENSION;
const pgid = Number(process.env.MDW_CODE_SERVER_PGID);
const screens = process.env.MDW_SCREENS_DIR ?? path.resolve('test-results/screens');

/**
 * Files named like DuckDB's library that processes of code-server's group, or warehouse services started
 * from the installed package (detached: a group of their own), have mapped.
 */
function mappedDuckDBLibraries(serviceEntries: string[]): string[] {
  const found = new Set<string>();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      // Field 5 of /proc/<pid>/stat is the process group; the command name before it may hold spaces.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const service = args.some((a) => serviceEntries.includes(a));
      if (!service && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
      for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        const file = line.split(/\s+/).slice(5).join(' ');
        if (/\/(libduckdb\.so|duckdb\.node)$/.test(file)) found.add(file);
      }
    } catch {
      // the process ended while we looked
    }
  }
  return [...found].sort();
}

describe(
  'the installed .vsix',
  { skip: url && installed ? false : 'needs MDW_INSTALLED_EXTENSION (npm run test:package)' },
  () => {
    let browser: Browser;
    let page: Page;

    let restoreSettings: (() => void) | undefined;
    before(async () => {
      // A warehouse of its own: this browser profile's secret storage holds none of the earlier windows' keys.
      restoreSettings = setUserSettings(url!, {
        'microDataWarehouse.warehouse.folder': fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-ui-installed-')),
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

    async function step(name: string, fn: () => Promise<void>): Promise<void> {
      try {
        await fn();
      } catch (e) {
        await page.screenshot({ path: path.join(screens, `${name}-failure.png`) }).catch(() => undefined);
        throw e;
      }
    }

    it('is listed as an installed extension, in a window that is not in development mode', () =>
      step('installed', async () => {
        assert.doesNotMatch(await page.title(), /Extension Development Host/);
        await page.keyboard.press('Control+Shift+X');
        const search = page.locator('.extensions-viewlet .suggest-input-container .view-lines');
        await search.waitFor();
        await search.click();
        await page.keyboard.type('@installed MicroDataWarehouse');
        const row = page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'MicroDataWarehouse' });
        await row.first().waitFor();
        await row.first().click();
        const editor = page.locator('.extension-editor');
        await editor.locator('.name', { hasText: 'MicroDataWarehouse' }).waitFor();
        await page.locator('.extension-editor .icon[src]').first().waitFor();
        // The Details tab renders the packaged README in a webview (an overlay outside the editor's DOM).
        const readme = page
          .locator('iframe.webview')
          .first()
          .contentFrame()
          .locator('#active-frame')
          .contentFrame();
        await readme.locator('h1', { hasText: 'MicroDataWarehouse' }).first().waitFor();
        await page.screenshot({ path: path.join(screens, 'installed-extension.png') });
      }));

    it("loads DuckDB's native library from the installed package", () =>
      step('installed-duckdb', async () => {
        // DuckDB runs in the warehouse service, which the extension starts from its own dist/service.js once
        // a signed-in window uses the warehouse (here: the Databases view after Sign In).
        await page.locator('.activitybar [aria-label^="MicroDataWarehouse"]').first().click();
        await page.locator('.part.sidebar .pane-header', { hasText: /databases/i }).waitFor();
        await signInFromPalette(page, `installed-${Date.now().toString(36)}@example.test`);
        const entries = [
          path.join(installed!, 'dist', 'service.js'),
          path.join(fs.realpathSync(installed!), 'dist', 'service.js'),
        ];
        let libs: string[] = [];
        for (let i = 0; i < 120 && !libs.some((f) => f.endsWith('libduckdb.so')); i++) {
          await new Promise((r) => setTimeout(r, 500));
          libs = mappedDuckDBLibraries(entries);
        }
        const expected = path.join(
          fs.realpathSync(installed!),
          'node_modules/@duckdb/node-bindings-linux-x64',
        );
        assert.deepEqual(libs, [path.join(expected, 'duckdb.node'), path.join(expected, 'libduckdb.so')]);
      }));
  },
);
