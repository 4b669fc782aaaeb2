import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import type { Run } from '../../src/host/run/runController.js';
import type { RunInfo, WorksheetSession } from '../../src/shared/protocol.js';
import type { CatalogNode } from '../../src/views/catalog/catalogNodes.js';
import type { WorksheetEditorHandle } from '../../src/views/worksheetEditor/worksheetEditorProvider.js';
import { extension, note, signIn, stopTestSmtp, until } from './support.js';

// Worksheets open in the worksheet editor by default; every palette command acts on it as on a text
// editor. Nothing here changes an editor association or another default.
suite('Worksheet editor through the palette', () => {
  let parts: MicroDataWarehouseApi['parts'];
  let scratch: string;
  const tag = Date.now().toString(36);
  const db = `ws_${tag}`;
  let uri: vscode.Uri;
  let sheet: WorksheetEditorHandle;

  suiteSetup(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-wscmd-'));
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', path.join(scratch, 'warehouse'), vscode.ConfigurationTarget.Global);
    parts = ((await extension().activate()) as MicroDataWarehouseApi).parts;
    await signIn(`worksheet-palette-${tag}@example.test`);
    await vscode.commands.executeCommand('microDataWarehouse.database.create', db);
    uri = await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.newWorksheet',
      null,
      `palette ${tag}`,
    );
    assert.equal(uri.scheme, 'mdw');
    sheet = await until('the worksheet editor (the default for worksheets)', () => {
      const editor = parts.worksheetEditor.editorsOf(uri)[0];
      return editor?.posted.some((m) => m.type === 'init') ? editor : undefined;
    });
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('microDataWarehouse.account.signOut');
    await stopTestSmtp();
  });

  const key = (): string => uri.toString();

  /** Replaces the worksheet's text (as typing or a paste would) and brings its editor to the front. */
  async function setText(text: string): Promise<void> {
    const document = sheet.document;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(0, 0, document.lineCount, 0), text);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await until('the worksheet host to have the text', () => sheet.host.documentText === text);
    await focus();
  }

  async function focus(): Promise<void> {
    await vscode.commands.executeCommand('vscode.open', uri);
    await until('the worksheet editor to be active', () => parts.worksheetEditor.active() === sheet);
  }

  /** Moves the webview's cursor to a 1-based line and column (the message an error position uses). */
  async function cursor(line: number, column = 1): Promise<void> {
    // As the host's own `select` notification travels on the worksheet's JSON-RPC channel.
    assert.ok(
      await sheet.panel.webview.postMessage({ jsonrpc: '2.0', method: 'select', params: { line, column } }),
    );
  }

  async function palette(command: string, ...args: unknown[]): Promise<Run> {
    const run = (await vscode.commands.executeCommand(`microDataWarehouse.${command}`, ...args)) as
      Run | undefined;
    assert.ok(run, `${command} ran something`);
    return run;
  }

  async function rows(run: Run, index = 0): Promise<unknown[][]> {
    const entry = run.results[index];
    assert.ok(entry, `result ${index} of ${run.results.length}`);
    await entry.result.whenComplete();
    return (await entry.result.page(0, 100)).rows;
  }

  function lastPosted<T extends string>(type: T): Record<string, unknown> | undefined {
    return sheet.posted.filter((m) => m.type === type).at(-1) as Record<string, unknown> | undefined;
  }

  function lastSession(): WorksheetSession | undefined {
    return lastPosted('session')?.['session'] as WorksheetSession | undefined;
  }

  async function child(parent: CatalogNode | undefined, label: string): Promise<CatalogNode | undefined> {
    const children = await parts.databases.getChildren(parent);
    return children.find((n) => parts.databases.getTreeItem(n).label === label);
  }

  test('Run All and Run Statement from the palette run the worksheet; its grid shows the rows', async () => {
    await setText(
      `USE ${db};\nCREATE TABLE t AS SELECT range AS n FROM range(13);\nSELECT * FROM t ORDER BY n;\n`,
    );
    const all = await palette('run.all');
    assert.equal(all.status, 'ok');
    assert.equal(all.document, key());
    assert.deepEqual(
      all.messages.map((m) => m.kind),
      ['info', 'info', 'info'],
    );
    assert.equal((await rows(all)).length, 13);
    // The worksheet's own grid got the finished run (not the Results view).
    const shown = await until('the run in the worksheet webview', () => {
      const run = lastPosted('run')?.['run'] as RunInfo | undefined;
      return run?.runId === all.id ? run : undefined;
    });
    assert.equal(shown.results[0]!.summary.rowCount, 13, 'the status line counts the real rows');
    assert.equal(shown.results[0]!.summary.complete, true);
    assert.ok(shown.results[0]!.summary.elapsedMs >= 0);
    assert.notEqual(parts.results.run?.id, all.id, 'the Results view is not used for a worksheet');

    await cursor(3, 5);
    const one = await palette('run.statement');
    assert.equal(one.sql, 'SELECT * FROM t ORDER BY n;');
    assert.equal((await rows(one)).length, 13);
    assert.equal(
      parts.statusBar.text.location,
      `$(database) ${db}.main`,
      'the status bar names database.schema',
    );
    assert.equal(parts.statusBar.text.transaction, undefined);
  });

  test('History records the worksheet runs with the worksheet they came from', async () => {
    await parts.historyCommands.settled();
    const { account } = parts.accounts.current!;
    const node = await account.worksheets.resolve(`/palette ${tag}`);
    assert.ok(node);
    const entries = await account.history.list();
    assert.ok(entries.length >= 2, `history has ${entries.length} entries`);
    assert.equal(entries[0]!.sql, 'SELECT * FROM t ORDER BY n;');
    assert.equal(entries[0]!.rows, 13);
    assert.equal(entries[0]!.status, 'ok');
    assert.equal(entries[0]!.worksheetId, node.id);
    const items = await parts.history.getChildren();
    assert.equal(parts.history.getTreeItem(items[0]!).label, 'SELECT * FROM t ORDER BY n;');
  });

  test('Begin, INSERT, Rollback through the palette with the worksheet active: the row is gone', async () => {
    await setText(`INSERT INTO t VALUES (100);\nSELECT count(*) AS n FROM t;\n`);
    await vscode.commands.executeCommand('microDataWarehouse.transaction.begin');
    assert.deepEqual(parts.runs.state(key()).transaction, { open: true, aborted: false });
    assert.equal(parts.statusBar.text.transaction, '$(git-commit) Transaction open');
    assert.equal(parts.statusBar.contextKeys.transactionOpen, true);
    await until('the toolbar badge to show the transaction', () => lastSession()?.transaction.open);
    await cursor(1);
    await palette('run.statement');
    await cursor(2);
    assert.deepEqual(await rows(await palette('run.statement')), [['14']]);
    await vscode.commands.executeCommand('microDataWarehouse.transaction.rollback');
    assert.deepEqual(parts.runs.state(key()).transaction, { open: false, aborted: false });
    assert.equal(parts.statusBar.text.transaction, undefined);
    assert.equal(parts.statusBar.contextKeys.transactionOpen, false);
    await cursor(2);
    assert.deepEqual(await rows(await palette('run.statement')), [['13']], 'the rollback undid the insert');
  });

  test('an aborted transaction shows as aborted (toolbar, status bar, context key); COMMIT says so', async () => {
    await setText(`BEGIN;\nSELECT 'abc'::INT;\n`);
    const run = await palette('run.all');
    assert.equal(run.status, 'error');
    assert.deepEqual(parts.runs.state(key()).transaction, { open: true, aborted: true });
    assert.equal(parts.statusBar.text.transaction, '$(error) Transaction aborted');
    assert.equal(parts.statusBar.contextKeys.transactionAborted, true);
    const session = await until('the toolbar to learn of the abort', () =>
      lastSession()?.transaction.aborted ? lastSession() : undefined,
    );
    assert.deepEqual(session.transaction, { open: true, aborted: true });
    await assert.rejects(
      parts.runner.transaction('commit'),
      /COMMIT failed: the transaction had been aborted/,
    );
    assert.deepEqual(parts.runs.state(key()).transaction, { open: false, aborted: false });
    assert.equal(parts.statusBar.text.transaction, undefined);
    assert.equal(parts.statusBar.contextKeys.transactionAborted, false);
  });

  test('Export Results from the palette writes the worksheet’s result to a file', async () => {
    await setText(`SELECT n, n * 2 AS twice FROM t WHERE n < 3 ORDER BY n;\n`);
    await palette('run.all');
    const file = vscode.Uri.file(path.join(scratch, 'worksheet-export.csv'));
    const saved = (await vscode.commands.executeCommand('microDataWarehouse.results.export', file)) as {
      saved: boolean;
      target?: string;
    };
    assert.deepEqual(saved, { saved: true, target: file.fsPath });
    assert.equal(fs.readFileSync(file.fsPath, 'utf8'), 'n,twice\n0,0\n1,2\n2,4\n');
  });

  test('Cancel from the palette stops a long query at once; the worksheet stays usable', async () => {
    await setText(
      'SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000) b;\nSELECT 42 AS answer;\n',
    );
    await cursor(1);
    const running = palette('run.statement');
    await until('the query to run', () => parts.runs.isRunning(key()) && parts.statusBar.contextKeys.running);
    await until('the webview to show it running', () => lastPosted('runState')?.['running'] === true);
    const asked = performance.now();
    await vscode.commands.executeCommand('microDataWarehouse.run.cancel');
    const run = await running;
    note(`cancel to run ended: ${(performance.now() - asked).toFixed(0)} ms`);
    assert.equal(run.status, 'cancelled');
    assert.equal(run.messages[0]?.text, 'Cancelled.');
    assert.equal(parts.statusBar.contextKeys.running, false);
    await until('the webview to show it stopped', () => lastPosted('runState')?.['running'] === false);
    await parts.historyCommands.settled();
    const [entry] = await parts.accounts.current!.account.history.list({ limit: 1 });
    assert.equal(entry?.status, 'cancelled');
    await cursor(2);
    assert.deepEqual(await rows(await palette('run.statement')), [[42]]);
  });

  test('DDL in the worksheet refreshes the Databases tree: CREATE OR REPLACE, in a transaction, DROP', async () => {
    const schema = async (): Promise<CatalogNode> => {
      const node = await child(await child(undefined, db), 'main');
      assert.ok(node, 'the main schema');
      return node;
    };
    const tables = async (): Promise<string[]> =>
      (await parts.databases.getChildren(await schema())).map((n) =>
        String(parts.databases.getTreeItem(n).label),
      );
    let events = 0;
    const listener = parts.databases.onDidChangeTreeData(() => events++);
    try {
      assert.ok((await tables()).includes('t'));
      await setText(`CREATE OR REPLACE TABLE ${db}.main.t(a INTEGER, b VARCHAR);\n`);
      let before = events;
      await palette('run.all');
      assert.ok(events > before, 'the tree was told');
      await setText(`BEGIN;\nCREATE OR REPLACE TABLE ${db}.main.in_tx AS SELECT 1 AS x;\nCOMMIT;\n`);
      await palette('run.all');
      assert.ok((await tables()).includes('in_tx'), `after COMMIT: ${(await tables()).join(', ')}`);
      const describe = await child(await schema(), 't');
      assert.ok(describe, 'the replaced table is listed');
      before = events;
      await setText(`DROP TABLE ${db}.main.in_tx;\n`);
      await palette('run.all');
      assert.ok(events > before);
      assert.equal((await tables()).includes('in_tx'), false);
    } finally {
      listener.dispose();
    }
  });

  test('Explain and Explain Analyze open the plan for the worksheet statement; so does the title button', async () => {
    await setText(`SELECT a % 3 AS k, count(*) FROM ${db}.main.t GROUP BY ALL;\n`);
    await cursor(1, 3);
    const plan = (await vscode.commands.executeCommand('microDataWarehouse.plan.explain')) as
      { analyzed: boolean } | undefined;
    assert.ok(plan, 'a plan');
    assert.equal(parts.language.explain.panel.isOpen, true);
    assert.ok(parts.language.explain.panel.plan);
    await focus();
    const analyzed = (await vscode.commands.executeCommand('microDataWarehouse.plan.explainAnalyze')) as
      { analyzed: boolean } | undefined;
    assert.equal(analyzed?.analyzed, true);
    await focus();
    // The editor-title button passes the worksheet's URI.
    const fromButton = await vscode.commands.executeCommand('microDataWarehouse.plan.explain', uri);
    assert.ok(fromButton);
  });

  test('Format SQL from the palette formats the worksheet', async () => {
    await setText('select a,b from t where x=1\n');
    await vscode.commands.executeCommand('microDataWarehouse.sql.format');
    await until('the formatted text', () => sheet.document.getText().startsWith('select\n'));
    assert.match(sheet.host.documentText, /^select\n\s+a,\n\s+b\nfrom\n\s+t\nwhere\n\s+x = 1\n?$/);
  });
});
