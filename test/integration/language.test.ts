import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import type { QueryPlan } from '../../src/shared/plan.js';
import { extension, note, signIn, stopTestSmtp, until } from './support.js';

type Parts = MicroDataWarehouseApi['parts'];

suite('DuckDB SQL language features', () => {
  let parts: Parts;
  let scratch: string;
  let files = 0;
  const db = `lang_${Date.now().toString(36)}`;

  suiteSetup(async () => {
    parts = ((await extension().activate()) as MicroDataWarehouseApi).parts;
    await parts.warehouse.close();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-lang-'));
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', path.join(scratch, 'warehouse'), vscode.ConfigurationTarget.Global);
    // Databases belong to an account: this suite works in its own.
    await signIn(`language-${Date.now()}@example.test`);
    const engine = await parts.warehouse.engine();
    await engine.databases.create(db);
    const session = await engine.openSession();
    const made = await session.run(
      `CREATE TABLE "${db}".main.orders AS SELECT range AS id, range % 7 AS customer_id, range * 2.5 AS amount FROM range(1000);
       CREATE TABLE "${db}".main.customers AS SELECT range AS id, 'c' || range AS name FROM range(7);`,
    );
    await session.close();
    assert.equal(made.error, undefined);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await parts?.warehouse.close();
    await stopTestSmtp();
  });

  async function open(text: string, extension = '.duckdb.sql'): Promise<vscode.TextEditor> {
    const file = path.join(scratch, `lang${++files}${extension}`);
    fs.writeFileSync(file, text);
    const document = await vscode.workspace.openTextDocument(file);
    return vscode.window.showTextDocument(document);
  }

  function at(document: vscode.TextDocument, marker: string, delta = 0): vscode.Position {
    const offset = document.getText().indexOf(marker);
    assert.ok(offset >= 0, marker);
    return document.positionAt(offset + delta);
  }

  test('.duckdb.sql files are DuckDB SQL; .sql files stay SQL', async () => {
    assert.equal((await open('SELECT 1')).document.languageId, 'duckdb-sql');
    assert.equal((await open('SELECT 1', '.sql')).document.languageId, 'sql');
  });

  test('completion: tables after FROM, columns after an alias', async () => {
    const editor = await open(`SELECT o. FROM ${db}.main.orders o JOIN `);
    const document = editor.document;
    const afterJoin = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      document.uri,
      document.positionAt(document.getText().length),
    );
    const labels = afterJoin.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes(db), 'databases after JOIN');
    const columns = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      document.uri,
      at(document, 'o.', 2),
      '.',
    );
    const fields = columns.items
      .filter((i) => i.kind === vscode.CompletionItemKind.Field)
      .map((i) => i.label);
    assert.deepEqual([...fields].sort(), ['amount', 'customer_id', 'id']);
    note(`${afterJoin.items.length} items after JOIN; columns after "o.": ${fields.join(', ')}`);
  });

  test('hover: a table shows its columns and rows', async () => {
    const editor = await open(`SELECT * FROM ${db}.main.orders`);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      editor.document.uri,
      at(editor.document, 'orders', 2),
    );
    const text = hovers
      .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value)))
      .join('\n');
    assert.match(text, /~1,000 rows/);
    assert.match(text, /`customer_id`/);
  });

  test('signature help inside a function call', async () => {
    const editor = await open("SELECT substring('abc', 2, )");
    const help = await vscode.commands.executeCommand<vscode.SignatureHelp>(
      'vscode.executeSignatureHelpProvider',
      editor.document.uri,
      at(editor.document, ', )', 2),
      ',',
    );
    assert.ok(help && help.signatures.length > 0);
    assert.match(
      help.signatures[help.activeSignature]!.label,
      /^substring\(string VARCHAR, start BIGINT, length BIGINT\)/,
    );
    assert.equal(help.activeParameter, 2);
  });

  test('diagnostics as you type: a syntax error and an unknown table', async () => {
    const editor = await open(`SELECT 1;\nSELECT * FROM ${db}.main.nowhere;\nSELEC 2;`);
    const diagnostics = await until('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(editor.document.uri).filter((x) => x.source === 'DuckDB');
      return d.length >= 2 && d;
    });
    const byLine = diagnostics.map((d) => [d.range.start.line, d.severity]).sort();
    assert.deepEqual(byLine, [
      [1, vscode.DiagnosticSeverity.Warning],
      [2, vscode.DiagnosticSeverity.Error],
    ]);
    await editor.edit((b) => b.replace(new vscode.Range(2, 0, 2, 5), 'SELECT'));
    await until('the fixed error to go', () => {
      const d = vscode.languages.getDiagnostics(editor.document.uri).filter((x) => x.source === 'DuckDB');
      return d.length === 1;
    });
  });

  test('CodeLens: Run and Explain above each statement; Explain shows the plan', async () => {
    const editor = await open(
      `SELECT 1;\n\nSELECT c.name, count(*) FROM ${db}.main.orders o JOIN ${db}.main.customers c ON c.id = o.customer_id GROUP BY 1;`,
    );
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      'vscode.executeCodeLensProvider',
      editor.document.uri,
    );
    assert.deepEqual(
      lenses.map((l) => [l.range.start.line, l.command?.command]),
      [
        [0, 'microDataWarehouse.run.range'],
        [0, 'microDataWarehouse.plan.explain'],
        [2, 'microDataWarehouse.run.range'],
        [2, 'microDataWarehouse.plan.explain'],
      ],
    );
    const explain = lenses[3]!.command!;
    const plan = await vscode.commands.executeCommand<QueryPlan>(
      explain.command,
      ...(explain.arguments ?? []),
    );
    assert.ok(plan, 'the command returns the plan');
    assert.equal(parts.language.explain.panel.plan, plan);
    assert.ok(parts.language.explain.panel.isOpen);
    assert.match(plan.text, /HASH_JOIN/);
    const analyzed = await vscode.commands.executeCommand<QueryPlan>(
      'microDataWarehouse.plan.explainAnalyze',
      ...(explain.arguments ?? []),
    );
    assert.ok(analyzed?.analyzed && analyzed.totalMs !== null);
    note(`plan panel shows ${analyzed.roots[0]?.name}, total ${analyzed.totalMs?.toFixed(1)} ms`);
  });

  test('formatting: document and range, with the keyword case setting', async () => {
    const config = vscode.workspace.getConfiguration('microDataWarehouse');
    await config.update('format.keywordCase', 'upper', vscode.ConfigurationTarget.Workspace);
    try {
      const editor = await open('select a from t;\nselect b,c from u where x=1;\n');
      const options = { tabSize: 2, insertSpaces: true };
      const apply = async (edits: vscode.TextEdit[]): Promise<void> => {
        const edit = new vscode.WorkspaceEdit();
        edit.set(editor.document.uri, edits);
        assert.ok(await vscode.workspace.applyEdit(edit));
      };
      // VS Code turns a provider's edit into minimal edits: check the text they make.
      await apply(
        await vscode.commands.executeCommand<vscode.TextEdit[]>(
          'vscode.executeFormatRangeProvider',
          editor.document.uri,
          new vscode.Range(1, 8, 1, 10),
          options,
        ),
      );
      assert.equal(
        editor.document.getText(),
        'select a from t;\nSELECT\n  b,\n  c\nFROM\n  u\nWHERE\n  x = 1;\n',
        'only the statement touched',
      );
      await apply(
        await vscode.commands.executeCommand<vscode.TextEdit[]>(
          'vscode.executeFormatDocumentProvider',
          editor.document.uri,
          options,
        ),
      );
      assert.match(editor.document.getText(), /^SELECT\n {2}a\nFROM\n {2}t;\n\nSELECT\n {2}b,/);
    } finally {
      await config.update('format.keywordCase', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
