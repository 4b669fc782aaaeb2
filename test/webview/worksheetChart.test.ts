import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthService } from '../../src/engine/auth/auth.js';
import { DevelopmentMailer, type MailMessage } from '../../src/engine/auth/mailer.js';
import { FileKeyProvider } from '../../src/engine/crypto/keys.js';
import type { Account } from '../../src/engine/store/account.js';
import { MetadataStore } from '../../src/engine/store/metadataStore.js';
import type { ChartSpec } from '../../src/shared/chart.js';
import { EngineFixture } from './support/engineSource.js';
import { openWorksheet, type WorksheetHarness } from './support/worksheetHarness.js';

const SQL = `SELECT DATE '2024-01-01' + (i % 90)::INTEGER AS day, 'r' || (i % 3) AS region, i % 7 AS qty FROM range(9000) t(i);\n`;

let db: EngineFixture;
let dir: string;
let store: MetadataStore;
let account: Account;
let sheetId: string;

async function drawn(h: WorksheetHarness): Promise<number[]> {
  await h.page.waitForFunction(
    () => document.querySelector('.chart-panel')?.getAttribute('data-state') === 'drawn',
  );
  const marks = (await h.page.locator('.chart-panel').getAttribute('data-marks')) ?? '';
  return marks.split(',').filter(Boolean).map(Number);
}

/** Opens the worksheet editor over the stored worksheet, its chart settings kept in the real store. */
function open(): Promise<WorksheetHarness> {
  return openWorksheet(db, SQL, {
    charts: {
      load: () => account.worksheets.charts(sheetId),
      save: (position, spec) => account.worksheets.saveChart(sheetId, position, spec),
    },
  });
}

async function runAll(h: WorksheetHarness): Promise<void> {
  await h.page.locator('.cm-content').click();
  await h.page.keyboard.press('Shift+Control+Enter');
  await h.page.waitForFunction(
    () => document.querySelector('regular-table thead .col-name')?.textContent === 'day',
  );
}

before(async () => {
  db = await EngineFixture.open();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-chart-store-'));
  store = await MetadataStore.open(
    path.join(dir, 'warehouse'),
    new FileKeyProvider({ file: path.join(dir, 'config', 'master.key') }),
  );
  const outbox: MailMessage[] = [];
  const auth = new AuthService(store, new DevelopmentMailer((m) => void outbox.push(m)));
  await auth.requestCode('ann@example.com');
  const code = /\b(\d{6})\b/.exec(outbox.at(-1)!.text)![1]!;
  account = (await auth.verifyCode('ann@example.com', code)).account;
  sheetId = (await account.worksheets.createWorksheet(null, 'by_day', { sql: SQL })).id;
});

after(async () => {
  await store?.close();
  await db?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the worksheet editor charts its result; the settings are kept with the worksheet', async () => {
  let h = await open();
  try {
    await runAll(h);
    await h.page.locator('.view-chart').click();
    assert.deepEqual(await drawn(h), [90], 'a first chart: qty summed per day');
    await h.page.evaluate(() =>
      document.querySelector('.chart-panel')?.setAttribute('data-state', 'picking'),
    );
    await h.page.locator('.chart-type select').selectOption({ label: 'Bar' });
    await drawn(h);
    await h.page.evaluate(() =>
      document.querySelector('.chart-panel')?.setAttribute('data-state', 'picking'),
    );
    await h.page.locator('.chart-bucket select').selectOption({ label: 'month' });
    await drawn(h);
    await h.page.evaluate(() =>
      document.querySelector('.chart-panel')?.setAttribute('data-state', 'picking'),
    );
    await h.page.locator('.chart-series select').selectOption({ label: 'region' });
    assert.deepEqual(await drawn(h), [3, 3, 3], 'three months per region');
    await h.screenshot('worksheet-chart');
    const expected: ChartSpec = {
      type: 'bar',
      x: 0,
      y: [{ column: 2, aggregate: 'sum' }],
      bucket: 'month',
      series: 1,
    };
    let kept: Record<string, ChartSpec> = {};
    for (let i = 0; i < 50 && kept['0']?.series === undefined; i++) {
      kept = await account.worksheets.charts(sheetId);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(kept, { '0': expected });
    assert.deepEqual(h.problems, []);
  } finally {
    await h.close();
  }
  // A new editor (nothing in the webview's own state) runs the worksheet again: the chart comes back.
  h = await open();
  try {
    await runAll(h);
    await h.page.locator('.view-chart').click();
    assert.deepEqual(await drawn(h), [3, 3, 3]);
    assert.equal(await h.page.locator('.chart-type select').inputValue(), 'bar');
    assert.equal(await h.page.locator('.chart-bucket select').inputValue(), 'month');
  } finally {
    await h.close();
  }
});
