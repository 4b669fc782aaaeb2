import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/** Runs a command from the command palette by its full title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  // Right after a window loads, the palette may open before the extension's contributions are
  // registered, and an open palette does not pick them up: close it and look again.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill('>' + title);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: attempt < 4 ? 10_000 : 60_000 });
      break;
    } catch (e) {
      if (attempt >= 4) throw e;
      await page.keyboard.press('Escape');
    }
  }
  await page.keyboard.press('Enter');
}

/** Answers the input box that is open now. */
export async function answer(page: Page, value: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(value);
  await page.keyboard.press('Enter');
}

/**
 * Signs in through "MicroDataWarehouse: Sign In" with development delivery (no SMTP server set): the code is
 * read from the prompt, as a user on this machine would. `beforeCode` runs while the code prompt is open.
 */
export async function signInFromPalette(
  page: Page,
  email: string,
  beforeCode?: (code: string) => Promise<void>,
): Promise<void> {
  await runCommand(page, 'MicroDataWarehouse: Sign In');
  await answer(page, email);
  const message = page.locator('.quick-input-widget .quick-input-message', {
    hasText: 'Development delivery',
  });
  await message.waitFor();
  const code = /your code is (\d{6})/.exec(await message.innerText())?.[1];
  assert.ok(code, 'the prompt shows the code');
  await beforeCode?.(code);
  await answer(page, code);
  await page.locator('.statusbar-item', { hasText: email }).first().waitFor();
}
