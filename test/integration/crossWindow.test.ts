import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import type { WorksheetEditorHandle } from '../../src/views/worksheetEditor/worksheetEditorProvider.js';
import type { WorksheetItem } from '../../src/views/worksheets/worksheetNodes.js';
import { mdw, type CliRun } from '../support/cli.js';
import { extension, note, signIn, signInCli, stopTestSmtp, until } from './support.js';

// Another process writes the store this window has open: the real `mdw` command line, signed in to the same
// account of the same warehouse folder with this window's master key. Nothing here calls a refresh command.
suite('Windows see each other', () => {
  let parts: MicroDataWarehouseApi['parts'];
  let scratch: string;
  let warehouse: string;
  let env: NodeJS.ProcessEnv;
  let keyFileBefore: string | undefined;
  const tag = Date.now().toString(36);
  const email = `xwin-${tag}@example.test`;

  /** `mdw --warehouse <this window's folder> args…` in its own process, as a user runs it beside the window. */
  async function cli(...args: string[]): Promise<CliRun> {
    return mdw(['--warehouse', warehouse, ...args], { env });
  }

  async function ok(...args: string[]): Promise<string> {
    const r = await cli(...args);
    assert.equal(r.code, 0, `mdw ${args[0]} ${args[1] ?? ''}: ${r.stderr}`);
    return r.stdout;
  }

  /** Counts the Worksheets tree's reloads from now on (what makes VS Code ask it for its nodes again). */
  function treeReloads(): { count: number; dispose(): void } {
    const counter = { count: 0, dispose: () => listener.dispose() };
    const listener = parts.worksheets.onDidChangeTreeData(() => counter.count++);
    return counter;
  }

  async function rootNames(): Promise<string[]> {
    const nodes = await parts.worksheets.getChildren();
    return nodes.filter((n): n is WorksheetItem => n.kind === 'node').map((n) => n.node.name);
  }

  async function openInDefaultEditor(uri: vscode.Uri): Promise<WorksheetEditorHandle> {
    await vscode.commands.executeCommand('vscode.open', uri);
    return until('the worksheet editor (the default for worksheets)', () => {
      const editor = parts.worksheetEditor.editorsOf(uri)[0];
      return editor?.posted.some((m) => m.type === 'init') ? editor : undefined;
    });
  }

  suiteSetup(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-xwin-'));
    warehouse = path.join(scratch, 'warehouse');
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', warehouse, vscode.ConfigurationTarget.Global);
    parts = ((await extension().activate()) as MicroDataWarehouseApi).parts;
    await until('the new folder to be taken up', () => parts.warehouse.folder === warehouse);
    await signIn(email);
    // The command line gets this window's master key as a user gives it: "Use This Warehouse from the
    // Command Line" writes it to the key file $MDW_KEY_FILE names (here in the scratch folder).
    const keyFile = path.join(scratch, 'cli', 'master.key');
    keyFileBefore = process.env.MDW_KEY_FILE;
    process.env.MDW_KEY_FILE = keyFile;
    assert.ok(await vscode.commands.executeCommand('microDataWarehouse.cli.share', { quiet: true }));
    env = { MDW_KEY_FILE: keyFile, XDG_CONFIG_HOME: path.join(scratch, 'cli'), MDW_SMTP_URL: '' };
    // The CLI signs in to the same account.
    await signInCli(warehouse, email, env);
  });

  suiteTeardown(async () => {
    if (keyFileBefore === undefined) delete process.env.MDW_KEY_FILE;
    else process.env.MDW_KEY_FILE = keyFileBefore;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('microDataWarehouse.account.signOut');
    await stopTestSmtp();
  });

  test('mdw ws save and ws new: the open worksheet editor shows the new text and the tree lists the new worksheet', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.newWorksheet',
      null,
      'shared',
    );
    const editor = await openInDefaultEditor(uri);
    assert.equal(vscode.window.activeTextEditor, undefined, 'the worksheet editor, not a text editor');
    assert.equal(editor.document.isDirty, false);
    await vscode.commands.executeCommand('workbench.action.focusSideBar');
    await vscode.commands.executeCommand('microDataWarehouse.worksheets.focus');
    await until('the Worksheets tree shown', () => parts.worksheets.view.visible);
    assert.deepEqual(await rootNames(), ['shared']);

    const reloads = treeReloads();
    try {
      const sql = `-- saved by mdw ${tag}\nSELECT 42 AS answer;\n`;
      await ok('ws', 'save', '/shared', `--sql=${sql}`);
      await until('the document to show the text saved elsewhere', () => editor.document.getText() === sql);
      await until('the worksheet editor to show it', () => editor.host.documentText === sql);
      assert.equal(editor.document.isDirty, false, 'reloaded from the store, nothing unsaved');

      await ok('ws', 'new', '/made by mdw', '--sql', 'SELECT 1;');
      await until('the tree to reload', () => reloads.count > 0);
      assert.deepEqual((await rootNames()).sort(), ['made by mdw', 'shared']);
      note(`tree reloads: ${reloads.count}`);
    } finally {
      reloads.dispose();
    }
  });

  test('a worksheet being edited keeps its unsaved text; its save then reports the conflict and loses nothing', async () => {
    const uri = (await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.newWorksheet',
      null,
      'draft',
    ))!;
    const editor = await openInDefaultEditor(uri);
    let saves = 0;
    const saved = vscode.workspace.onDidSaveTextDocument((d) => {
      if (d === editor.document) saves++;
    });
    const announced = new Promise<void>((resolve) => {
      const listener = parts.worksheetFs.onDidChangeFile((events) => {
        if (!events.some((e) => e.type === vscode.FileChangeType.Changed && e.uri.path === uri.path)) return;
        listener.dispose();
        resolve();
      });
    });
    // Someone types in this window while the command line saves the same worksheet. (code-server saves a
    // dirty editor a second after the last keystroke by default; the typing goes on until the change is
    // heard, as a user still typing would.)
    let typed = '-- typed here, not saved\n';
    const first = new vscode.WorkspaceEdit();
    first.insert(uri, new vscode.Position(0, 0), typed);
    assert.ok(await vscode.workspace.applyEdit(first));
    let typing = true;
    const typist = (async () => {
      while (typing) {
        const edit = new vscode.WorkspaceEdit();
        edit.insert(uri, editor.document.positionAt(editor.document.getText().length), '.');
        assert.ok(await vscode.workspace.applyEdit(edit), 'a keystroke');
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await ok('ws', 'save', '/draft', '--sql=-- saved by mdw\n');
      await announced;
    } finally {
      typing = false;
      await typist;
    }
    typed = editor.document.getText();
    assert.match(
      typed,
      /^-- typed here, not saved\n\.*$/,
      'the unsaved edits stay; the other text is not loaded',
    );
    assert.equal(editor.document.isDirty, true, 'still dirty');
    assert.equal(saves, 0, 'not saved over the other save');
    await until('the worksheet editor to show the typed text', () => editor.host.documentText === typed);

    // Saving now would overwrite what was saved elsewhere: VS Code refuses and says so (Compare / Overwrite).
    assert.equal(await editor.document.save(), false, 'the save reports the conflict');
    saved.dispose();
    assert.equal(editor.document.isDirty, true);
    assert.equal(editor.document.getText(), typed);
    assert.equal(await ok('ws', 'cat', '/draft'), '-- saved by mdw\n', 'the other save stays in the store');
  });

  test('mdw ws rm: the tree drops the worksheet and its open editor is told it was deleted', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.newWorksheet',
      null,
      'doomed',
    );
    await openInDefaultEditor(uri);
    assert.ok((await rootNames()).includes('doomed'));
    const deleted = new Promise<void>((resolve) => {
      const listener = parts.worksheetFs.onDidChangeFile((events) => {
        if (!events.some((e) => e.type === vscode.FileChangeType.Deleted && e.uri.path === uri.path)) return;
        listener.dispose();
        resolve();
      });
    });
    const reloads = treeReloads();
    try {
      await ok('ws', 'rm', '/doomed', '--yes');
      await deleted;
      await until('the tree to reload', () => reloads.count > 0);
      assert.equal((await rootNames()).includes('doomed'), false);
    } finally {
      reloads.dispose();
    }
  });

  test('mdw ws mv: the tree shows the new name; the old name is gone', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.newWorksheet',
      null,
      'before move',
    );
    await openInDefaultEditor(uri);
    const events: vscode.FileChangeEvent[] = [];
    const listener = parts.worksheetFs.onDidChangeFile((e) => events.push(...e));
    try {
      await ok('ws', 'mv', '/before move', '/after move');
      await until('the move to be announced', () =>
        events.some((e) => e.type === vscode.FileChangeType.Created && e.uri.path === '/after move.mdw.sql'),
      );
      assert.ok(
        events.some((e) => e.type === vscode.FileChangeType.Deleted && e.uri.path === uri.path),
        'the old name is announced gone',
      );
      const names = await rootNames();
      assert.ok(names.includes('after move') && !names.includes('before move'), names.join(', '));
    } finally {
      listener.dispose();
    }
  });

  // `mdw query` runs through the warehouse service beside this window and records the run in the account's History.
  test('a run by mdw: the History view lists it', async () => {
    const changed = new Promise<void>((resolve) => {
      const listener = parts.history.onDidChangeTreeData(() => {
        listener.dispose();
        resolve();
      });
    });
    const sql = `SELECT 'recorded elsewhere ${tag}' AS x`;
    await ok('query', sql);
    await changed;
    const items = await parts.history.getChildren();
    assert.ok(
      items.some((i) => i.kind === 'entry' && i.entry.sql === sql),
      'the run recorded elsewhere is listed',
    );
  });
});
