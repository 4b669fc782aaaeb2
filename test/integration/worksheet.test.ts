import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import type { RunInfo, TextChange } from '../../src/shared/protocol.js';
import { applyChanges } from '../../src/shared/textSync.js';
import type { WorksheetEditorHandle } from '../../src/views/worksheetEditor/worksheetEditorProvider.js';
import { extension, note, signIn, stopTestSmtp, until } from './support.js';

suite('Worksheet editor', () => {
  let parts: MicroDataWarehouseApi['parts'];
  let scratch: string;

  suiteSetup(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-ws-'));
    // A warehouse of its own: the UI tests' windows use the default one.
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', path.join(scratch, 'warehouse'), vscode.ConfigurationTarget.Global);
    parts = ((await extension().activate()) as MicroDataWarehouseApi).parts;
    // Worksheets run in an account's databases.
    await signIn(`worksheet-editor-${Date.now()}@example.test`);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await stopTestSmtp();
  });

  /** The worksheet editor of `uri` once its webview has started and been sent the document. */
  async function editorOf(uri: vscode.Uri): Promise<WorksheetEditorHandle> {
    return until('the worksheet webview', () => {
      const editor = parts.worksheetEditor.editorsOf(uri)[0];
      return editor?.posted.some((m) => m.type === 'init') ? editor : undefined;
    });
  }

  function lastRun(editor: WorksheetEditorHandle): RunInfo | undefined {
    const runs = editor.posted.filter((m): m is { type: 'run'; run: RunInfo } => m.type === 'run');
    return runs.at(-1)?.run;
  }

  test('a .mdw.sql file opens in the worksheet editor by default; any .sql file through Reopen With', async () => {
    const file = path.join(scratch, 'first.mdw.sql');
    fs.writeFileSync(file, 'SELECT 42 AS answer;\n');
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.open', uri);
    const editor = await editorOf(uri);
    assert.equal(editor.document.getText(), 'SELECT 42 AS answer;\n');
    const init = editor.posted.find((m) => m.type === 'init') as unknown as { text: string };
    assert.equal(init.text, 'SELECT 42 AS answer;\n');

    const plain = path.join(scratch, 'plain.sql');
    fs.writeFileSync(plain, 'SELECT 1;\n');
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(plain));
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, plain, 'plain .sql opens as text');
    await vscode.commands.executeCommand(
      'vscode.openWith',
      vscode.Uri.file(plain),
      'microDataWarehouse.worksheet',
    );
    await editorOf(vscode.Uri.file(plain));
  });

  test('document edits reach the webview; undo and save stay VS Code’s', async () => {
    const file = path.join(scratch, 'edits.mdw.sql');
    fs.writeFileSync(file, 'SELECT 1;\r\nSELECT 2;\r\n');
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.open', uri);
    const editor = await editorOf(uri);
    // CRLF on disk, LF offsets in the webview.
    const init = editor.posted.find((m) => m.type === 'init') as unknown as { text: string };
    assert.equal(init.text, 'SELECT 1;\nSELECT 2;\n');
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(1, 0), 'SELECT 3;\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const changed = await until('a changed message', () => editor.posted.find((m) => m.type === 'changed'));
    const { changes } = changed as unknown as { changes: TextChange[] };
    assert.equal(applyChanges(init.text, changes), 'SELECT 1;\nSELECT 3;\nSELECT 2;\n');
    assert.ok(editor.document.isDirty);
    await vscode.commands.executeCommand('undo');
    await until('undo', () => !editor.document.getText().includes('SELECT 3'));
    await until(
      'the undo reaching the webview',
      () => editor.posted.filter((m) => m.type === 'changed').length >= 2,
    );
    await editor.document.save();
    assert.equal(fs.readFileSync(file, 'utf8'), 'SELECT 1;\r\nSELECT 2;\r\n');
  });

  test('runs show rows, a tab per statement, and an error marker at the line and column', async () => {
    const file = path.join(scratch, 'runs.mdw.sql');
    const sql = 'SELECT 42 AS answer;\nSELECT range AS n FROM range(5);\nSELECT *\n  FROM missing_table;\n';
    fs.writeFileSync(file, sql);
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.open', uri);
    const editor = await editorOf(uri);
    const started = performance.now();
    await editor.host.run('statement', 3, 3);
    const first = await until('the first statement', () => {
      const run = lastRun(editor);
      return !editor.host.isRunning && run ? run : undefined;
    });
    assert.deepEqual(
      first.messages.filter((m) => m.kind === 'error'),
      [],
    );
    note(`first statement: ${(performance.now() - started).toFixed(0)} ms`);
    assert.deepEqual(
      first.results.map((r) => r.summary.rowCount),
      [1],
    );
    const before = editor.posted.length;
    await editor.host.run('all', 0, 0);
    const all = await until('the run of every statement', () => {
      const run = lastRun(editor);
      return !editor.host.isRunning && editor.posted.length > before && run?.messages.length === 3
        ? run
        : undefined;
    });
    assert.deepEqual(
      all.results.map((r) => [r.title, r.summary.rowCount]),
      [
        ['SELECT 42 AS answer', 1],
        ['SELECT range AS n FROM rang…', 5],
      ],
    );
    const error = all.messages[2]!;
    assert.equal(error.kind, 'error');
    assert.deepEqual([error.line, error.column], [4, 8]);
    const markers = editor.posted.filter((m) => m.type === 'markers').at(-1) as unknown as {
      markers: { from: number; to: number }[];
    };
    assert.equal(markers.markers.length, 1);
    assert.equal(sql.slice(markers.markers[0]!.from, markers.markers[0]!.to), 'missing_table');
  });
  test('language service in the worksheet editor: the webview gets diagnostics as it loads, completion on request', async () => {
    const file = path.join(scratch, 'language.mdw.sql');
    fs.writeFileSync(file, 'SELECT string_ag FROM missing_table;\nSELEC 1;\n');
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.open', uri);
    const editor = await editorOf(uri);
    type Response = { type: 'wsResponse'; id: number; ok: boolean; result?: unknown };
    const responses = (): Response[] => editor.posted.filter((m): m is Response => m.type === 'wsResponse');
    type Diagnostics = { diagnostics: { start: number; end: number; severity: string; message: string }[] };
    // The real webview asks for diagnostics 400 ms after it got the document; nothing runs.
    const text = editor.document.getText();
    const found = await until('the webview’s diagnostics', () =>
      responses()
        .map((r) => r.result as Diagnostics | undefined)
        .find((r) => r?.diagnostics?.some((d) => d.severity === 'error')),
    );
    assert.deepEqual(
      found.diagnostics.map((d) => [d.severity, text.slice(d.start, d.end)]),
      [
        ['warning', 'missing_table'],
        ['error', 'SELEC'],
      ],
    );
    assert.match(found.diagnostics[0]!.message, /missing_table/);
    assert.equal(editor.posted.filter((m) => m.type === 'run').length, 0, 'nothing was run');
    // An edit from elsewhere reaches the webview, which checks the new text again.
    const fix = new vscode.WorkspaceEdit();
    fix.replace(uri, new vscode.Range(1, 0, 1, 5), 'SELECT');
    assert.ok(await vscode.workspace.applyEdit(fix));
    await until('diagnostics of the fixed text', () =>
      responses()
        .map((r) => r.result as Diagnostics | undefined)
        .find(
          (r) =>
            r?.diagnostics !== undefined &&
            r.diagnostics.length === 1 &&
            r.diagnostics[0]!.severity === 'warning',
        ),
    );
    // The extension host cannot type into the webview's iframe: ask as the webview's completion does.
    const id = 900_001;
    editor.host.handle({
      type: 'wsRequest',
      id,
      method: 'completion',
      params: { version: editor.document.version, offset: 'SELECT string_ag'.length },
    });
    const completion = await until('the completion', () => responses().find((r) => r.id === id));
    assert.ok(completion.ok, JSON.stringify(completion));
    const result = completion.result as { items: { label: string; kind: string }[]; replaceStart: number };
    assert.ok(result.items.some((i) => i.label === 'string_agg' && i.kind === 'function'));
    assert.equal(result.replaceStart, 'SELECT '.length);
  });
});
