// The set-up most UI files share: a window of its own on a fresh warehouse (an application setting, so
// set in User settings), signed in from the palette as a new account, with a screenshot helper and test
// steps that leave a screenshot when they fail. Call inside a describe(); hooks are registered there.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, type Browser } from './browser.js';
import { signInFromPalette } from './signin.js';
import { setUserSettings } from './userSettings.js';

export const screens = process.env.MDW_SCREENS_DIR ?? path.resolve('test-results/screens');

export interface SignedInWindow {
  /** The workbench page (set once the before hook ran). */
  readonly page: Page;
  /** The browser profile of the window: another page in it is another window of the same VS Code user. */
  readonly context: BrowserContext;
  /** The window's warehouse folder (the User setting the before hook made). */
  readonly warehouse: string;
  /** Saves a screenshot of the whole page as `<name>.png`. */
  shot(name: string): Promise<void>;
  /** A test step that leaves `<name>-failure.png` when it fails. */
  step(name: string, title: string, fn: () => Promise<void>): void;
}

/**
 * Opens code-server at `url` in a browser of its own, on a fresh warehouse folder, with an empty
 * worksheet `file` in `workspace`, and signs in as a new account named after `name`.
 */
export function signedInWindow(url: string, workspace: string, name: string, file: string): SignedInWindow {
  let browser: Browser | undefined;
  let page: Page | undefined;
  let restoreSettings: (() => void) | undefined;
  let warehouse: string | undefined;
  const window: SignedInWindow = {
    get page(): Page {
      if (!page) throw new Error('the window is not open yet');
      return page;
    },
    get context(): BrowserContext {
      if (!browser) throw new Error('the window is not open yet');
      return browser.context;
    },
    get warehouse(): string {
      if (!warehouse) throw new Error('the window is not open yet');
      return warehouse;
    },
    shot: async (shotName) => {
      await window.page.screenshot({ path: path.join(screens, `${shotName}.png`) });
    },
    step: (stepName, title, fn) => {
      it(title, async () => {
        try {
          await fn();
        } catch (e) {
          await window.shot(`${stepName}-failure`).catch(() => undefined);
          throw e;
        }
      });
    },
  };
  before(async () => {
    fs.writeFileSync(path.join(workspace, file), '');
    warehouse = fs.mkdtempSync(path.join(os.tmpdir(), `mdw-ui-${name}-`));
    restoreSettings = setUserSettings(url, { 'microDataWarehouse.warehouse.folder': warehouse });
    browser = await launchBrowser();
    page = browser.page;
    page.setDefaultTimeout(60_000);
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor();
    await signInFromPalette(page, `${name}-ui-${Date.now().toString(36)}@example.test`).catch(
      async (e: unknown) => {
        await window.shot(`${name}-signin-failure`).catch(() => undefined);
        throw e;
      },
    );
  });
  after(async () => {
    await browser?.close();
    restoreSettings?.();
  });
  return window;
}
