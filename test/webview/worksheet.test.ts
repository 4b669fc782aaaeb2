import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { EngineFixture } from './support/engineSource.js';
import { openWorksheet, type WorksheetHarness } from './support/worksheetHarness.js';

let db: EngineFixture;
let h: WorksheetHarness;

interface Execute {
  type: 'execute';
  mode: string;
  from: number;
  to: number;
}

/** Waits until every keystroke reached the document and returns the editor's text. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => (window as unknown as { worksheet: { synced: boolean } }).worksheet.synced,
  );
}

/** Replaces the whole worksheet from elsewhere (as if another editor did it) and waits for the editor. */
async function setText(text: string): Promise<void> {
  const current = h.document.text();
  h.document.external([{ from: 0, to: current.length, insert: text }]);
  await h.page.waitForFunction(
    (t) =>
      (
        window as unknown as { worksheet: { view: { state: { doc: { toString(): string } } } } }
      ).worksheet.view.state.doc.toString() === t,
    text,
  );
}

/** Puts the cursor at `offset` (or selects [offset, to)) in the editor and focuses it. */
async function place(offset: number, to = offset): Promise<void> {
  await h.page.evaluate(
    ([a, b]) => {
      const view = (
        window as unknown as {
          worksheet: { view: { dispatch(s: unknown): void; focus(): void } };
        }
      ).worksheet.view;
      view.dispatch({ selection: { anchor: a, head: b } });
      view.focus();
    },
    [offset, to],
  );
}

function lastExecute(): Execute {
  const e = h.received.filter((m) => m.type === 'execute').at(-1);
  assert.ok(e, 'an execute message was posted');
  return e as unknown as Execute;
}

async function tabs(page: Page): Promise<string[]> {
  return page.locator('.tabs .tab').allTextContents();
}

/** Texts of the first column's visible body cells once none is loading. */
async function firstColumn(page: Page): Promise<string[]> {
  await page.waitForFunction(() => document.querySelectorAll('regular-table td.loading').length === 0);
  return page.evaluate(() =>
    [...document.querySelectorAll('regular-table tbody tr')].map(
      (tr) => tr.querySelector('td')?.textContent ?? '',
    ),
  );
}

before(async () => {
  db = await EngineFixture.open();
  await db.session.run(
    `CREATE TABLE orders (id INTEGER, customer_name VARCHAR, amount DECIMAL(10,2));
     INSERT INTO orders VALUES (1, 'Ada', 10.5), (2, 'Grace', 20);
     CREATE SCHEMA sales; CREATE TABLE sales.regions (region_id INTEGER, region_name VARCHAR);`,
  );
  h = await openWorksheet(db, 'SELECT 1 AS one;\n');
});

after(async () => {
  await h?.close();
  await db?.close();
});

test('the editor shows the document and typing reaches it', async () => {
  assert.equal(await h.editorText(), 'SELECT 1 AS one;\n');
  await place(h.document.text().length);
  await h.page.keyboard.type('SELECT 2 AS two;');
  await settled(h.page);
  assert.equal(h.document.text(), 'SELECT 1 AS one;\nSELECT 2 AS two;');
  assert.equal(await h.editorText(), h.document.text());
  // Brackets and quotes close themselves; the document gets exactly what the editor shows.
  await h.page.keyboard.type(' -- x(');
  await settled(h.page);
  assert.equal(await h.editorText(), h.document.text());
  assert.deepEqual(h.problems, []);
});

test('fast typing while the document lags and changes elsewhere loses nothing and echoes nothing', async () => {
  await setText('-- top\nSELECT 1;\n');
  h.document.latencyMs = 12;
  await place(h.document.text().length);
  const typed = 'SELECT customer_name, amount FROM orders WHERE amount > 5 ORDER BY amount DESC;';
  const typing = h.page.keyboard.type(typed);
  // Meanwhile, three edits from elsewhere at the top of the document.
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 40));
    h.document.external([{ from: 0, to: 0, insert: `-- external ${i}\n` }]);
  }
  await typing;
  await settled(h.page);
  h.document.latencyMs = 0;
  const text = h.document.text();
  assert.equal(await h.editorText(), text, 'editor and document agree');
  assert.ok(text.endsWith(`SELECT 1;\n${typed}`), `every keystroke in order: ${JSON.stringify(text)}`);
  for (let i = 0; i < 3; i++)
    assert.equal(text.split(`-- external ${i}\n`).length, 2, 'each external edit once');
  // No change came back to the editor twice: its text has exactly one copy of what was typed.
  assert.equal(text.split(typed).length, 2);
  assert.deepEqual(h.problems, []);
  // The races did happen: edits refused or rejected because the document had moved on.
  assert.ok(
    h.hostLog.some((l) => / (refused|raced|rejected)/.test(l)),
    `no race was exercised: ${h.hostLog.join('\n')}`,
  );
});

test('Ctrl+Enter runs the statement at the cursor; a selection runs just the selection', async () => {
  await setText('SELECT 1 AS a;\nSELECT 2 AS b;\nSELECT 40 + 2 AS answer, 7 AS seven;\n');
  await place(20); // inside the second statement
  await h.page.keyboard.press('Control+Enter');
  const e = lastExecute();
  assert.deepEqual([e.mode, e.from, e.to], ['statement', 20, 20]);
  await h.page.waitForFunction(
    () => document.querySelector('regular-table thead .col-name')?.textContent === 'b',
  );
  assert.deepEqual(await tabs(h.page), ['SELECT 2 AS b', 'Messages']);
  assert.deepEqual(await firstColumn(h.page), ['2']);

  // Select "SELECT 40 + 2 AS answer" only (not ", 7 AS seven").
  const text = h.document.text();
  const from = text.indexOf('SELECT 40');
  const to = text.indexOf(', 7');
  await place(from, to);
  await h.page.keyboard.press('Control+Enter');
  await h.page.waitForFunction(() =>
    document.querySelector('.tabs .tab')?.textContent?.startsWith('SELECT 40 + 2 AS answer'),
  );
  const s = lastExecute();
  assert.deepEqual([s.from, s.to], [from, to]);
  await h.page.waitForFunction(
    () => document.querySelector('regular-table thead .col-name')?.textContent === 'answer',
  );
  assert.deepEqual(await h.page.locator('regular-table thead .col-name').allTextContents(), ['answer']);
  assert.deepEqual(await firstColumn(h.page), ['42']);
  assert.match((await h.page.locator('.ws-elapsed').textContent()) ?? '', /^Ran in /);
});

test('Shift+Ctrl+Enter runs all: a tab per statement plus Messages', async () => {
  await setText('SELECT 1 AS a;\nSELECT 2 AS b;\nCREATE TABLE t_made AS SELECT 3 AS c;\n');
  await place(0);
  await h.page.keyboard.press('Shift+Control+Enter');
  assert.equal(lastExecute().mode, 'all');
  await h.page.waitForFunction(() => document.querySelectorAll('.tabs .tab').length === 3);
  assert.deepEqual(await tabs(h.page), ['SELECT 1 AS a', 'SELECT 2 AS b', 'Messages']);
  await h.page.locator('.tabs .tab', { hasText: 'Messages' }).click();
  const messages = await h.page.locator('.message-text').allTextContents();
  assert.deepEqual(messages, ['Returned rows', 'Returned rows', 'Done']);
  assert.equal(await db.scalar('SELECT count(*) FROM t_made'), '1');
});

test('an SQL error marks its line and column in the editor', async () => {
  const text = 'SELECT 1 AS fine;\nSELECT *\n  FROM no_such_table;\n';
  await setText(text);
  await place(0);
  await h.page.keyboard.press('Shift+Control+Enter');
  const mark = h.page.locator('.cm-lintRange-error');
  await mark.waitFor();
  assert.equal(await mark.textContent(), 'no_such_table');
  // The mark sits on line 3, where DuckDB's error points.
  const line = await h.page.evaluate(() => {
    const el = document.querySelector('.cm-lintRange-error')!;
    const lines = [...document.querySelectorAll('.cm-content .cm-line')];
    return lines.findIndex((l) => l.contains(el)) + 1;
  });
  assert.equal(line, 3);
  assert.equal(await h.page.locator('.cm-gutter-lint .cm-lint-marker-error').count(), 1);
  // The Messages tab is flagged and shows the error with its position; the cursor moved to the error.
  await h.page.locator('.tabs .tab.has-error').click();
  assert.match((await h.page.locator('.message.error .message-text').textContent()) ?? '', /no_such_table/);
  assert.equal(await h.page.locator('.message-position').textContent(), 'line 3, column 8');
  const cursor = await h.page.evaluate(
    () =>
      (window as unknown as { worksheet: { view: { state: { selection: { main: { head: number } } } } } })
        .worksheet.view.state.selection.main.head,
  );
  assert.equal(cursor, text.indexOf('no_such_table'));
  await h.screenshot('worksheet-error');
});

test('highlighting and folding come from the shared SQL lexer', async () => {
  await setText(
    'SELECT $é$a;b$é$ AS x, \'it\'\'s\' /* c; */\n  FROM range(3); -- done\nSELECT "q;""" FROM t',
  );
  const texts = async (cls: string): Promise<string[]> =>
    h.page.locator(`.cm-content .${cls}`).allTextContents();
  assert.deepEqual(await texts('sql-string'), ['$é$a;b$é$', "'it''s'"]);
  assert.deepEqual(await texts('sql-comment'), ['/* c; */', '-- done']);
  assert.deepEqual(await texts('sql-quoted'), ['"q;"""']);
  assert.deepEqual(await texts('sql-function'), ['range']);
  assert.ok((await texts('sql-keyword')).includes('FROM'));
  // The two-line statement folds at its first line; the one-line one does not.
  assert.equal(await h.page.locator('.cm-foldGutter span[title="Fold line"]').count(), 1);
});

/** The labels of the completion list once it is live (not greyed out while a newer request is pending). */
async function completionLabels(page: Page): Promise<string[]> {
  const live = '.cm-tooltip-autocomplete:not(.cm-tooltip-autocomplete-disabled)';
  await page.locator(`${live} li`).first().waitFor();
  return page.locator(`${live} li .cm-completionLabel`).allTextContents();
}

/**
 * Accepts the selected completion with Enter as a user who has seen the list does: CodeMirror ignores
 * Enter while the list is greyed out (a request pending) and for its interactionDelay (75 ms) after the
 * list opens, and inserts a newline instead.
 */
async function acceptCompletion(page: Page): Promise<void> {
  await page.locator('.cm-tooltip-autocomplete:not(.cm-tooltip-autocomplete-disabled) li').first().waitFor();
  await page.waitForTimeout(150);
  await page.keyboard.press('Enter');
}

test('completion: keywords, functions, tables after FROM, columns after alias.', async () => {
  await setText('');
  await place(0);
  await h.page.keyboard.type('SEL');
  await h.page.keyboard.press('Control+Space');
  assert.ok((await completionLabels(h.page)).includes('SELECT'));
  await h.page.keyboard.press('Escape');

  await setText('SELECT string_ag');
  await place(16);
  await h.page.keyboard.press('Control+Space');
  assert.ok((await completionLabels(h.page)).includes('string_agg'));
  await h.page.keyboard.press('Escape');

  await setText('SELECT * FROM ');
  await place(14);
  await h.page.keyboard.press('Control+Space');
  const fromList = await completionLabels(h.page);
  for (const name of ['orders', 'sales', 'grid'])
    assert.ok(fromList.includes(name), `${name} in ${fromList.join(',')}`);
  await h.page.keyboard.press('Escape');

  await setText('SELECT  FROM orders AS o');
  await place(7);
  await h.page.keyboard.type('o.');
  const columns = await completionLabels(h.page);
  assert.deepEqual([...columns].sort(), ['amount', 'customer_name', 'id']);
  await h.screenshot('worksheet-completion');
  await acceptCompletion(h.page);
  await settled(h.page);
  assert.match(h.document.text(), /^SELECT o\.(amount|customer_name|id) FROM orders AS o$/);

  await setText('SELECT * FROM sales.');
  await place(20);
  await h.page.keyboard.press('Control+Space');
  assert.deepEqual(await completionLabels(h.page), ['regions']);
  await h.page.keyboard.press('Escape');

  // Inside double quotes: the name is completed inside them, with one closing quote.
  await setText('SELECT * FROM ');
  await place(14);
  await h.page.keyboard.type('"ord');
  assert.ok((await completionLabels(h.page)).includes('orders'));
  await acceptCompletion(h.page);
  await settled(h.page);
  assert.equal(h.document.text(), 'SELECT * FROM "orders"');
});

/** Moves the mouse over the character at `offset` of the editor. */
async function hoverAt(offset: number): Promise<void> {
  const at = await h.page.evaluate((pos) => {
    const view = (
      window as unknown as {
        worksheet: { view: { coordsAtPos(p: number): { left: number; top: number; bottom: number } | null } };
      }
    ).worksheet.view;
    return view.coordsAtPos(pos);
  }, offset);
  assert.ok(at, 'the position is on screen');
  await h.page.mouse.move(0, 0);
  await h.page.mouse.move(at.left + 3, (at.top + at.bottom) / 2);
}

test('hover: the language service describes a table, a column and a function', async () => {
  const text = 'SELECT upper(customer_name) FROM orders';
  await setText(text);
  const tip = h.page.locator('.cm-tooltip-hover .ws-hover');
  await hoverAt(text.indexOf('orders') + 2);
  await tip.waitFor();
  const table = (await tip.textContent()) ?? '';
  assert.match(table, /table\s*grid\.main\.orders/);
  assert.deepEqual(await tip.locator('th').allTextContents(), ['column', 'type']);
  assert.ok((await tip.locator('td').allTextContents()).includes('DECIMAL(10,2)'), table);
  await h.screenshot('worksheet-hover');
  await hoverAt(text.indexOf('customer_name') + 2);
  await h.page.waitForFunction(() =>
    /column\s*customer_name\s*VARCHAR/.test(
      document.querySelector('.cm-tooltip-hover .ws-hover')?.textContent ?? '',
    ),
  );
  await hoverAt(text.indexOf('upper') + 1);
  await h.page.waitForFunction(() =>
    /function\s*upper/.test(document.querySelector('.cm-tooltip-hover .ws-hover')?.textContent ?? ''),
  );
  assert.match((await tip.locator('pre').first().textContent()) ?? '', /^upper\(/);
  await h.page.mouse.move(0, 0);
});

test('signature help follows the argument being typed and closes after the call', async () => {
  await setText('SELECT ');
  await place(7);
  await h.page.keyboard.type('substring(customer_name, ');
  const tip = h.page.locator('.cm-tooltip.ws-signature');
  await tip.waitFor();
  const label = (await tip.locator('.ws-signature-label').textContent()) ?? '';
  assert.match(label, /^substring\(/);
  const active = h.page.locator('.ws-signature-active');
  await h.page.waitForFunction((first) => {
    const a = document.querySelector('.ws-signature-active')?.textContent ?? '';
    return a !== '' && a !== first;
  }, label.slice('substring('.length).split(',')[0]);
  assert.ok(label.includes((await active.textContent()) ?? '-'), 'the second parameter is marked');
  await h.screenshot('worksheet-signature');
  await h.page.keyboard.type('2)');
  await tip.waitFor({ state: 'detached' });
  await settled(h.page);
  assert.equal(h.document.text(), 'SELECT substring(customer_name, 2)');
});

test('diagnostics as you type: syntax errors and unknown tables, nothing run', async () => {
  const executes = h.received.filter((m) => m.type === 'execute').length;
  await setText('');
  await place(0);
  await h.page.keyboard.type(
    "SELECT customer_name FROM orders;\nINSERT INTO orders VALUES (99, 'lint', 1);\nSELECT * FROM no_such_table;\nSELEC 1;",
  );
  const warning = h.page.locator('.cm-lintRange-warning');
  await warning.waitFor();
  assert.deepEqual(await warning.allTextContents(), ['no_such_table']);
  const error = h.page.locator('.cm-lintRange-error');
  await error.waitFor();
  assert.deepEqual(await error.allTextContents(), ['SELEC']);
  assert.equal(await h.page.locator('.cm-gutter-lint .cm-lint-marker-warning').count(), 1);
  assert.equal(await h.page.locator('.cm-gutter-lint .cm-lint-marker-error').count(), 1);
  await h.screenshot('worksheet-diagnostics');
  // The message is DuckDB's, shown where the mark is.
  await hoverAt(h.document.text().indexOf('no_such_table') + 3);
  await h.page.locator('.cm-tooltip-lint').waitFor();
  assert.match((await h.page.locator('.cm-tooltip-lint').textContent()) ?? '', /no_such_table/);
  assert.equal(h.received.filter((m) => m.type === 'execute').length, executes, 'nothing was run');
  assert.equal(
    Number(await db.scalar('SELECT count(*) FROM grid.main.orders WHERE id = 99')),
    0,
    'the INSERT did not run',
  );
  // Fixing the text clears the marks.
  await setText('SELECT customer_name FROM orders;');
  await h.page.waitForFunction(() => document.querySelectorAll('.cm-lintRange').length === 0);
  await h.page.mouse.move(0, 0);
});

test('a language request for an older version of the document is refused as STALE', async () => {
  await setText('SELECT upper(customer_name) FROM orders');
  // The host's JSON-RPC answer to a request posted as the page would post it.
  const answer = (id: number) =>
    h.page.evaluate(
      (wanted) =>
        new Promise<{ result?: unknown; error?: { code: number; data?: { code?: string } } }>((resolve) =>
          window.addEventListener('message', (e: MessageEvent<{ id?: number }>) => {
            if (e.data.id === wanted) resolve(e.data as never);
          }),
        ),
      id,
    );
  const version = h.document.version();
  const stale = answer(70_001);
  h.host.handle({
    jsonrpc: '2.0',
    id: 70_001,
    method: 'hover',
    params: { version: version - 1, offset: 8 },
  });
  assert.equal((await stale).error?.data?.code, 'STALE');
  const fresh = answer(70_002);
  h.host.handle({ jsonrpc: '2.0', id: 70_002, method: 'hover', params: { version, offset: 8 } });
  const result = (await fresh).result as { markdown: string };
  assert.match(result.markdown, /\*\*function\*\* `upper`/);
});

test('Format rewrites the document; the editor follows', async () => {
  await setText('select id,customer_name from orders where amount>5');
  await h.page.locator('.ws-format').click();
  await h.page.waitForFunction(() =>
    (
      window as unknown as { worksheet: { view: { state: { doc: { toString(): string } } } } }
    ).worksheet.view.state.doc
      .toString()
      .includes('\n'),
  );
  assert.equal(await h.editorText(), h.document.text());
  assert.match(
    h.document.text(),
    /^select\n {2}id,\n {2}customer_name\nfrom\n {2}orders\nwhere\n {2}amount > 5$/,
  );
});

test('the split and the active tab come back after the webview is rebuilt', async () => {
  await setText('SELECT 1 AS a;\nSELECT 2 AS b;\n');
  await place(0);
  await h.page.keyboard.press('Shift+Control+Enter');
  await h.page.waitForFunction(() => document.querySelectorAll('.tabs .tab').length === 3);
  await h.page.locator('.ws-splitter').focus();
  await h.page.keyboard.press('ArrowDown');
  await h.page.keyboard.press('ArrowDown');
  const split = await h.page.locator('.ws-editor').evaluate((e) => (e as HTMLElement).style.flexBasis);
  assert.equal(split, '55%');
  await h.page.locator('.tabs .tab', { hasText: 'SELECT 2 AS b' }).click();
  await h.reload();
  assert.equal(await h.page.locator('.ws-editor').evaluate((e) => (e as HTMLElement).style.flexBasis), '55%');
  await h.page.waitForFunction(() =>
    document.querySelector('.tabs .tab[aria-selected="true"]')?.textContent?.startsWith('SELECT 2 AS b'),
  );
  assert.equal(await h.editorText(), h.document.text());
  assert.deepEqual(await firstColumn(h.page), ['2']);
  await h.screenshot('worksheet-dark');
});

test('the toolbar shows the session and is reachable by keyboard', async () => {
  await h.page.waitForFunction(
    () => (document.querySelector('.ws-database') as HTMLElement & { value: string })?.value === 'grid',
  );
  assert.equal(
    await h.page.locator('.ws-schema').evaluate((e) => (e as HTMLElement & { value: string }).value),
    'main',
  );
  assert.equal(await h.page.locator('.ws-transaction').isHidden(), true);
  await setText('BEGIN TRANSACTION;');
  await place(0);
  await h.page.keyboard.press('Control+Enter');
  await h.page.locator('.ws-transaction').waitFor();
  assert.equal(await h.page.locator('.ws-transaction').textContent(), 'Transaction open');
  await setText('ROLLBACK;');
  await place(0);
  await h.page.keyboard.press('Control+Enter');
  await h.page.locator('.ws-transaction').waitFor({ state: 'hidden' });
  // Tab moves through the toolbar; in the editor Tab indents, and Escape then Tab leaves it.
  await h.page.locator('.ws-run').focus();
  await h.page.keyboard.press('Tab');
  assert.equal(await h.page.evaluate(() => document.activeElement?.className), 'ws-run-all');
  await place(0);
  await h.page.keyboard.press('Escape');
  await h.page.keyboard.press('Tab');
  assert.equal(await h.page.evaluate(() => document.activeElement?.className), 'ws-splitter');
});

test('light and high-contrast themes', async () => {
  for (const theme of ['light', 'high-contrast'] as const) {
    const t = await openWorksheet(db, 'SELECT id, customer_name FROM orders;\nSELECT * FROM no_such;\n', {
      theme,
    });
    try {
      await t.page.locator('.cm-content').click();
      await t.page.keyboard.press('Shift+Control+Enter');
      await t.page.locator('.cm-lintRange-error').waitFor();
      await t.page.locator('.tabs .tab').first().click();
      await t.page.waitForFunction(() => document.querySelectorAll('regular-table tbody td').length > 0);
      await t.screenshot(`worksheet-${theme}`);
      assert.deepEqual(t.problems, []);
    } finally {
      await t.close();
    }
  }
});

test('a palette command gets the selection once the keystrokes before it are in the document', async () => {
  await setText('SELECT 1 AS one;\nSELECT 2 AS two;\n');
  await place(20, 23);
  assert.deepEqual(await h.host.selection(), { from: 20, to: 23 });
  await place(h.document.text().length);
  await h.page.keyboard.type('SELECT 3;');
  const selection = await h.host.selection();
  assert.equal(h.document.text(), 'SELECT 1 AS one;\nSELECT 2 AS two;\nSELECT 3;');
  assert.deepEqual(selection, { from: h.document.text().length, to: h.document.text().length });
});

test('the status line shows the real row count and time; an aborted transaction shows as aborted', async () => {
  await setText('SELECT range AS n FROM range(13);\n');
  await place(3);
  await h.page.keyboard.press('Control+Enter');
  await h.page.waitForFunction(() =>
    /^13 rows · /.test(document.querySelector('.status')?.textContent ?? ''),
  );
  const status = (await h.page.locator('.status').textContent()) ?? '';
  assert.doesNotMatch(status, /so far/);
  assert.match(status, /^13 rows · \d+(\.\d+)? m?s/);

  await setText("BEGIN;\nSELECT 'abc'::INT;\n");
  await h.page.keyboard.press('Shift+Control+Enter');
  await h.page.waitForFunction(
    () => document.querySelector('.ws-transaction')?.textContent === 'Transaction aborted',
  );
  assert.equal(await h.page.locator('.ws-transaction').isVisible(), true);
  assert.deepEqual(db.session.transaction, { open: true, aborted: true });
  await assert.rejects(
    h.runs.transaction('worksheet', 'commit'),
    /COMMIT failed: the transaction had been aborted/,
  );
  await h.page.waitForFunction(() => (document.querySelector('.ws-transaction') as HTMLElement).hidden);
});
