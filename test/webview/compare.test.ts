import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { openGrid, type Harness } from './support/harness.js';
import { EngineFixture } from './support/engineSource.js';
import {
  CompareFlow,
  type CompareFlowUi,
  type OpenedResult,
  type ResultPick,
} from '../../src/host/run/compareFlow.js';
import { RunController, type Run } from '../../src/host/run/runController.js';
import type { GridRun } from '../../src/host/grid/gridHost.js';

const KEY = 'worksheet:orders';
let db: EngineFixture;
let h: Harness;
let runs: RunController;
let flow: CompareFlow;
const asked: { pinName: { suggested: string; empty?: string }[]; picks: ResultPick[][]; keys: string[][] } = {
  pinName: [],
  picks: [],
  keys: [],
};
const shown: OpenedResult[] = [];
const infos: string[] = [];
const failures: string[] = [];

function gridRun(run: Run): GridRun {
  return {
    id: run.id,
    results: run.results.map((e) => ({ title: e.title, source: e.result })),
    messages: run.messages,
  };
}

/** Text of every drawn body cell of column `name`, top to bottom, once no cell is loading. */
async function columnTexts(page: Page, name: string): Promise<string[]> {
  await page.waitForFunction(() => document.querySelectorAll('regular-table td.loading').length === 0);
  return page.evaluate((n) => {
    const table = document.querySelector('regular-table')!;
    const heads = [...table.querySelectorAll('thead th')];
    const index = heads.findIndex((th) => th.querySelector('.col-name')?.textContent === n);
    return [...table.querySelectorAll('tbody tr')].map((tr) => tr.children[index]?.textContent ?? '');
  }, name);
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400 && !(await check()); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(await check(), `${what} (failures: ${failures.join('; ')}; problems: ${h.problems.join('; ')})`);
}

async function showRun(script: string): Promise<Run> {
  const run = await runs.run({ key: KEY, document: KEY, script });
  assert.equal(run.error, undefined);
  await Promise.all(run.results.map((e) => e.result.whenComplete()));
  h.host.showRun(gridRun(run));
  await h.page.locator('.tab', { hasText: 'SELECT' }).first().waitFor();
  return run;
}

before(async () => {
  db = await EngineFixture.open();
  await db.session.run(
    `CREATE TABLE orders AS SELECT i::INTEGER AS id, 'item ' || i AS item, i * 10 AS qty FROM range(1, 6) t(i)`,
  );
  runs = new RunController({ session: () => Promise.resolve(db.session) });
  const ui: CompareFlowUi = {
    pinName: (suggested, validate) => {
      asked.pinName.push({ suggested, ...(validate('  ') ? { empty: validate('  ') } : {}) });
      return Promise.resolve('before the change');
    },
    pickResult: (_title, items) => {
      asked.picks.push(items);
      return Promise.resolve(items.find((i) => i.label.includes('before the change'))?.resultId);
    },
    pickKeys: (columns) => {
      asked.keys.push(columns);
      return Promise.resolve(['id']);
    },
    progress: (_title, work) => work(new AbortController().signal),
    // The extension opens the differences in a panel beside the editor: the same grid bundle and host.
    show: (opened) => {
      shown.push(opened);
      h.host.showRun(gridRun(opened.run));
    },
    info: (message) => infos.push(message),
  };
  flow = new CompareFlow(runs, ui);
  const guard = (work: () => Promise<unknown>): void =>
    void work().catch((e: unknown) => failures.push(e instanceof Error ? e.message : String(e)));
  h = await openGrid(
    { results: [], messages: [] },
    {
      resultActions: {
        pin: (source) => guard(() => flow.pin(KEY, source.summary().resultId)),
        compare: (source) => guard(() => flow.compare(KEY, source.summary().resultId)),
      },
    },
  );
});

after(async () => {
  await h?.close();
  runs?.dispose();
  await db?.close();
});

test('pin a result in the grid, run again, compare the two: the differences show with their counts', async () => {
  const first = await showRun('SELECT * FROM orders ORDER BY id');
  await h.page.locator('vscode-button.result-pin').click();
  await until('the result is pinned', async () => (await db.session.pinned()).length === 1);
  const pins = await db.session.pinned();
  assert.deepEqual(asked.pinName, [{ suggested: 'Result 1', empty: 'Give the pinned result a name.' }]);
  assert.equal(pins[0]!.name, 'before the change');
  assert.equal(pins[0]!.resultId, first.results[0]!.result.id);
  assert.match(infos.at(-1) ?? '', /Pinned "before the change"/);

  await db.session.run(
    `UPDATE orders SET qty = 99 WHERE id = 2; DELETE FROM orders WHERE id = 5; INSERT INTO orders VALUES (6, 'item 6', 60)`,
  );
  const second = await showRun('SELECT * FROM orders ORDER BY id');
  assert.notEqual(second.results[0]!.result.id, first.results[0]!.result.id);
  await h.page.locator('vscode-button.result-compare').click();
  await until('the differences are shown', () => shown.length === 1);
  assert.deepEqual(
    asked.picks[0]!.map((p) => p.label),
    ['📌 before the change'],
  );
  assert.deepEqual(asked.keys, [['id', 'item', 'qty']]);
  const opened = shown[0]!;
  assert.deepEqual(opened.counts, { onlyInA: 1, onlyInB: 1, changed: 1, duplicateKeys: { a: 0, b: 0 } });
  // A is the latest result (the one Compare… was pressed on), B the pinned one.
  await h.page.locator('.tab', { hasText: '1 only in A · 1 only in B · 1 changed' }).waitFor();
  assert.deepEqual(await columnTexts(h.page, '_diff'), [
    'changed (A)',
    'changed (B)',
    'only in B',
    'only in A',
  ]);
  assert.deepEqual(await columnTexts(h.page, 'qty'), ['99', '20', '50', '60']);
  await h.page.waitForFunction(() => document.querySelector('.status')?.textContent?.startsWith('4 rows'));
  await h.screenshot('compare-differences');
  assert.deepEqual(failures, []);
  assert.deepEqual(h.problems, []);
});
