import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import type { CatalogNode } from '../../src/views/catalog/catalogNodes.js';
import type { ResultsRun } from '../../src/views/results/resultsViewProvider.js';
import { extension, note, signIn, stopTestSmtp, until } from './support.js';

type Parts = MicroDataWarehouseApi['parts'];

suite('Databases view, runs and the Results view', () => {
  let parts: Parts;
  let scratch: string;
  let files = 0;
  const tag = Date.now().toString(36);
  const dbA = `it_a_${tag}`;
  const dbB = `it_b_${tag}`;

  suiteSetup(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-ext-'));
    // A warehouse of this workspace only: the UI test's window uses the default one at the same time.
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', path.join(scratch, 'warehouse'), vscode.ConfigurationTarget.Global);
    parts = ((await extension().activate()) as MicroDataWarehouseApi).parts;
    assert.equal(parts.warehouse.isOpen, false, 'the warehouse opens on first use only');
    // Databases belong to an account: this suite works in its own.
    await signIn(`databases-${tag}@example.test`);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The scratch folder stays: later suites may open this workspace's warehouse again (TMPDIR is per run).
    await parts?.warehouse.close();
    await stopTestSmtp();
  });

  async function openSql(text: string): Promise<vscode.TextEditor> {
    const file = path.join(scratch, `query${++files}.sql`);
    fs.writeFileSync(file, text);
    const document = await vscode.workspace.openTextDocument(file);
    return vscode.window.showTextDocument(document);
  }

  function cursorAt(editor: vscode.TextEditor, line: number, character = 0): void {
    const p = new vscode.Position(line, character);
    editor.selection = new vscode.Selection(p, p);
  }

  async function run(command: 'statement' | 'all'): Promise<ResultsRun> {
    const before = parts.results.run;
    await vscode.commands.executeCommand(`microDataWarehouse.run.${command}`);
    const after = parts.results.run;
    assert.ok(after && after !== before, 'the run reached the Results view');
    return after;
  }

  async function rows(run: ResultsRun, index = 0): Promise<unknown[][]> {
    const entry = run.results[index];
    assert.ok(entry, `result ${index} exists`);
    await entry.result.whenComplete();
    return (await entry.result.page(0, 100)).rows;
  }

  async function child(parent: CatalogNode | undefined, label: string): Promise<CatalogNode> {
    const children = await parts.databases.getChildren(parent);
    const found = children.find((n) => parts.databases.getTreeItem(n).label === label);
    assert.ok(
      found,
      `"${label}" under ${parent ? String(parts.databases.getTreeItem(parent).label) : 'the root'}: ${children.map((n) => parts.databases.getTreeItem(n).label).join(', ')}`,
    );
    return found;
  }

  test('creating a database, schema and table shows them in the tree', async () => {
    let treeChanges = 0;
    const listening = parts.databases.onDidChangeTreeData(() => treeChanges++);
    try {
      await vscode.commands.executeCommand('microDataWarehouse.database.create', dbA);
      await vscode.commands.executeCommand('microDataWarehouse.schema.create', dbA, 'sales');
      assert.ok(parts.warehouse.isOpen);
      const changesBeforeDdl = treeChanges;
      const editor = await openSql(
        `CREATE TABLE ${dbA}.sales.orders (id INTEGER PRIMARY KEY, amount DECIMAL(10,2) NOT NULL);\n` +
          `INSERT INTO ${dbA}.sales.orders VALUES (1, 9.50), (2, 20.00);\n`,
      );
      cursorAt(editor, 0);
      const result = await run('all');
      assert.deepEqual(
        result.messages.map((m) => m.kind),
        ['info', 'info'],
      );
      assert.ok(treeChanges > changesBeforeDdl, 'DDL in an editor refreshes the tree');
    } finally {
      listening.dispose();
    }

    const db = await child(undefined, dbA);
    const dbItem = parts.databases.getTreeItem(db);
    assert.equal((dbItem.iconPath as vscode.ThemeIcon).id, 'database');
    assert.match((dbItem.tooltip as vscode.MarkdownString).value, /Not encrypted/);
    const schema = await child(db, 'sales');
    const table = await child(schema, 'orders');
    const tableItem = parts.databases.getTreeItem(table);
    assert.equal(tableItem.contextValue, 'table');
    assert.equal(tableItem.description, '~2 rows');
    assert.match((tableItem.tooltip as vscode.MarkdownString).value, /2 columns/);
    const id = await child(table, 'id');
    assert.equal(parts.databases.getTreeItem(id).description, 'INTEGER not null');
    assert.equal((parts.databases.getTreeItem(id).iconPath as vscode.ThemeIcon).id, 'key');
    assert.equal(
      parts.databases.getTreeItem(await child(table, 'amount')).description,
      'DECIMAL(10,2) not null',
    );

    await vscode.commands.executeCommand('microDataWarehouse.databases.focus');
    await parts.databasesView.reveal(table, { expand: true, select: true });
    assert.equal((parts.databasesView.selection[0] as CatalogNode | undefined)?.id, table.id);

    await vscode.commands.executeCommand('microDataWarehouse.databases.copyName', table);
    assert.equal(await vscode.env.clipboard.readText(), `"${dbA}"."sales"."orders"`);
  });

  test('Preview Rows and Describe show a table in the Results view', async () => {
    const table = await child(await child(await child(undefined, dbA), 'sales'), 'orders');
    await vscode.commands.executeCommand('microDataWarehouse.databases.preview', table);
    assert.deepEqual(await rows(parts.results.run!), [
      [1, '9.50'],
      [2, '20.00'],
    ]);
    await vscode.commands.executeCommand('microDataWarehouse.databases.describe', table);
    const described = await rows(parts.results.run!);
    assert.deepEqual(
      described.map((r) => [r[0], r[1]]),
      [
        ['id', 'INTEGER'],
        ['amount', 'DECIMAL(10,2)'],
      ],
    );
  });

  test('Import File… and a file dropped onto a table', async () => {
    const first = path.join(scratch, 'people.csv');
    fs.writeFileSync(first, 'id,name\n1,Ada\n2,Grace\n3,Edsger\n');
    const imported = (await vscode.commands.executeCommand(
      'microDataWarehouse.import.file',
      vscode.Uri.file(first),
      {
        database: dbA,
        schema: 'sales',
        table: 'people',
      },
    )) as { rows: number; created: boolean };
    assert.equal(imported.rows, 3);
    assert.equal(imported.created, true);

    const second = path.join(scratch, 'more people.csv');
    fs.writeFileSync(second, 'id,name\n4,Barbara\n');
    const people = await child(await child(await child(undefined, dbA), 'sales'), 'people');
    const data = new vscode.DataTransfer();
    data.set('text/uri-list', new vscode.DataTransferItem(vscode.Uri.file(second).toString()));
    await parts.databases.handleDrop(people, data, new vscode.CancellationTokenSource().token);
    const refreshed = await child(await child(await child(undefined, dbA), 'sales'), 'people');
    assert.equal(parts.databases.getTreeItem(refreshed).description, '~4 rows');
  });

  test('a cross-database query returns the right rows to the Results view', async () => {
    await vscode.commands.executeCommand('microDataWarehouse.database.create', dbB);
    const editor = await openSql(
      `CREATE TABLE ${dbB}.main.customers AS SELECT * FROM (VALUES (1, 'Ada'), (2, 'Grace')) v(id, name);\n` +
        `SELECT o.id, c.name, o.amount\n  FROM ${dbA}.sales.orders o\n  JOIN ${dbB}.main.customers c ON c.id = o.id\n ORDER BY o.id;\n`,
    );
    cursorAt(editor, 0);
    await run('statement');
    cursorAt(editor, 2, 4);
    const result = await run('statement');
    assert.equal(result.results.length, 1);
    assert.deepEqual(await rows(result), [
      [1, 'Ada', '9.50'],
      [2, 'Grace', '20.00'],
    ]);
    assert.deepEqual(
      result.results[0]!.result.summary().columns.map((c) => `${c.name} ${c.type}`),
      ['id INTEGER', 'name VARCHAR', 'amount DECIMAL(10,2)'],
    );

    // The host side posted this run to the webview once it said it was ready.
    await vscode.commands.executeCommand('microDataWarehouse.results.focus');
    const posted = await until('the Results webview to receive the run', () => {
      const p = parts.results.posted;
      return p.ready && p.run?.runId === result.id ? p.run : undefined;
    });
    assert.equal(posted.results.length, 1);
    assert.equal(posted.results[0]!.summary.rowCount, 2);
    assert.equal(posted.results[0]!.summary.complete, true);
    assert.equal(posted.messages.length, 1);
    assert.equal(posted.messages[0]!.rows, 2);
  });

  test('Export Results… writes the shown result as CSV, Parquet and JSON', async () => {
    // Exports go where the user chose, even outside the folders SQL may use.
    const data = path.join(scratch, 'data');
    fs.mkdirSync(data, { recursive: true });
    const editor = await openSql(`SELECT id, amount FROM ${dbA}.sales.orders ORDER BY id;\n`);
    cursorAt(editor, 0);
    await run('statement');
    for (const ext of ['csv', 'parquet', 'json']) {
      const file = vscode.Uri.file(path.join(data, `export.${ext}`));
      const saved = (await vscode.commands.executeCommand('microDataWarehouse.results.export', file)) as {
        saved: boolean;
        target?: string;
      };
      assert.deepEqual(saved, { saved: true, target: file.fsPath });
      assert.ok(fs.statSync(file.fsPath).size > 0);
    }
    assert.equal(fs.readFileSync(path.join(data, 'export.csv'), 'utf8'), 'id,amount\n1,9.50\n2,20.00\n');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(data, 'export.json'), 'utf8')), [
      { id: 1, amount: 9.5 },
      { id: 2, amount: 20 },
    ]);
    // SQL may not read it yet: the folder is not allowed, and the error names the setting.
    const readBack = `SELECT count(*) AS n, sum(amount) AS total FROM '${path.join(data, 'export.parquet')}';\n`;
    cursorAt(await openSql(readBack), 0);
    const refused = await run('statement');
    const error = refused.messages.find((m) => m.kind === 'error');
    assert.ok(error, 'the read is refused');
    assert.match(error.text, /microDataWarehouse\.files\.allowedFolders/);
    // Allowed in the (user) settings, after the warehouse reopens: it reads the file back.
    const config = vscode.workspace.getConfiguration('microDataWarehouse');
    await config.update('files.allowedFolders', [data], vscode.ConfigurationTarget.Global);
    try {
      await parts.warehouse.close();
      cursorAt(await openSql(readBack), 0);
      assert.deepEqual(await rows(await run('statement')), [['2', '29.50']]);
    } finally {
      await config.update('files.allowedFolders', undefined, vscode.ConfigurationTarget.Global);
      await parts.warehouse.close();
    }
  });

  test('a warehouse folder that cannot open: Sign In says why; the good folder comes back signed in', async () => {
    const config = vscode.workspace.getConfiguration('microDataWarehouse');
    const good = config.get<string>('warehouse.folder');
    const notAFolder = path.join(scratch, 'not-a-folder');
    fs.writeFileSync(notAFolder, 'plain file');
    await config.update('warehouse.folder', notAFolder, vscode.ConfigurationTarget.Global);
    // Closed after the change: the visible tree may reopen the warehouse at any moment.
    await parts.warehouse.close();
    try {
      // Sessions belong to one warehouse folder: no account can exist in this one, so the view offers
      // Sign In (its welcome text), and signing in says what is wrong.
      await parts.accounts.ready();
      assert.deepEqual(await parts.databases.getChildren(), []);
      await assert.rejects(
        parts.accounts.requestCode(`x-${tag}@example.test`),
        /is a file, not a warehouse folder/,
      );
    } finally {
      await config.update('warehouse.folder', good, vscode.ConfigurationTarget.Global);
      await parts.warehouse.close();
    }
    await vscode.commands.executeCommand('microDataWarehouse.databases.refresh');
    await child(undefined, dbA);
  });

  test('a transaction spans two runs in one editor and stays invisible to another', async () => {
    const editor = await openSql(
      `INSERT INTO ${dbA}.sales.orders VALUES (3, 1.25);\nSELECT count(*) AS n FROM ${dbA}.sales.orders;\n`,
    );
    const key = editor.document.uri.toString();
    await vscode.commands.executeCommand('microDataWarehouse.transaction.begin');
    assert.deepEqual(parts.warehouse.state(key)?.transaction, { open: true, aborted: false });
    assert.equal(parts.statusBar.text.transaction, '$(git-commit) Transaction open');
    assert.match(parts.statusBar.text.location ?? '', new RegExp(`\\$\\(database\\) \\w+\\.main`));

    cursorAt(editor, 0);
    await run('statement');
    cursorAt(editor, 1);
    assert.deepEqual(await rows(await run('statement')), [['3']]);

    const other = await openSql(`SELECT count(*) AS n FROM ${dbA}.sales.orders;\n`);
    cursorAt(other, 0);
    assert.deepEqual(
      await rows(await run('statement')),
      [['2']],
      'another editor does not see uncommitted rows',
    );

    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('microDataWarehouse.transaction.rollback');
    assert.deepEqual(parts.warehouse.state(key)?.transaction, { open: false, aborted: false });
    assert.equal(parts.statusBar.text.transaction, undefined);
    cursorAt(vscode.window.activeTextEditor!, 1);
    assert.deepEqual(await rows(await run('statement')), [['2']], 'the rollback undid the insert');
  });

  test('Cancel Query stops a long query and the session stays usable', async () => {
    const editor = await openSql(
      'SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000) b;\nSELECT 42 AS answer;\n',
    );
    const key = editor.document.uri.toString();
    cursorAt(editor, 0);
    const running = vscode.commands.executeCommand('microDataWarehouse.run.statement');
    await until('the query to run', () => parts.warehouse.openSession(key)?.busy);
    await vscode.commands.executeCommand('microDataWarehouse.run.cancel');
    await running;
    const cancelled = parts.results.run!;
    assert.equal(cancelled.messages[0]?.kind, 'error');
    assert.equal(cancelled.messages[0]?.text, 'Cancelled.');
    assert.equal(parts.runner.diagnosticsOf(editor.document.uri).length, 0, 'a cancel is not a diagnostic');
    cursorAt(editor, 1);
    assert.deepEqual(await rows(await run('statement')), [[42]]);
  });

  test("a bad statement's error: line and column, a diagnostic, and the cursor moved there", async () => {
    const editor = await openSql('SELECT 1;\nSELECT *\n  FROM no_such_table_xyz;\nSELECT 2;\n');
    cursorAt(editor, 0);
    const result = await run('all');
    assert.deepEqual(
      result.messages.map((m) => m.kind),
      ['info', 'error', 'info'],
    );
    const error = result.messages[1]!;
    assert.equal(error.line, 3);
    assert.equal(error.column, 8);
    assert.match(error.text, /no_such_table_xyz/);
    assert.match(result.messages[2]!.text, /Not run/);

    const [diagnostic, ...more] = parts.runner.diagnosticsOf(editor.document.uri);
    assert.ok(diagnostic);
    assert.equal(more.length, 0);
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(editor.document.getText(diagnostic.range), 'no_such_table_xyz');
    assert.deepEqual(
      [editor.selection.active.line, editor.selection.active.character],
      [error.line! - 1, error.column! - 1],
    );
    // The next successful run clears it.
    cursorAt(editor, 0);
    await run('statement');
    assert.equal(parts.runner.diagnosticsOf(editor.document.uri).length, 0);
  });

  test('Format SQL formats the document with the DuckDB dialect', async () => {
    const editor = await openSql('select a,b from t where x=$name\n');
    editor.options = { tabSize: 2, insertSpaces: true };
    await vscode.commands.executeCommand('microDataWarehouse.sql.format');
    assert.equal(editor.document.getText(), 'select\n  a,\n  b\nfrom\n  t\nwhere\n  x = $name\n');
    note('formatted through the command; the same edits serve as the sql document formatter');
  });
});
