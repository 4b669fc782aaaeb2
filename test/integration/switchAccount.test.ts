import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import type { RunInfo } from '../../src/shared/protocol.js';
import type { WorksheetItem } from '../../src/views/worksheets/worksheetNodes.js';
import type { WorksheetEditorHandle } from '../../src/views/worksheetEditor/worksheetEditorProvider.js';
import { FileKeyProvider } from '../../src/engine/crypto/keys.js';
import { MetadataStore } from '../../src/engine/store/metadataStore.js';
import { MASTER_KEY_SECRET } from '../../src/host/accounts/secretKeyProvider.js';
import { extension, note, signIn, stopTestSmtp, testSmtp, until } from './support.js';

const SIGN_IN = 'microDataWarehouse.account.signIn';

type Parts = MicroDataWarehouseApi['parts'];

/** The `mdw:` URIs of every open tab (text and custom-editor tabs alike). */
function worksheetTabs(): vscode.Uri[] {
  return vscode.window.tabGroups.all.flatMap((g) =>
    g.tabs.flatMap((t) => {
      const input = t.input;
      const uri =
        input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom
          ? input.uri
          : undefined;
      return uri?.scheme === 'mdw' ? [uri] : [];
    }),
  );
}

/** True while an untitled editor tab shows text containing `text`. */
function untitledWith(text: string): boolean {
  return vscode.window.tabGroups.all.some((g) =>
    g.tabs.some(
      (t) =>
        t.input instanceof vscode.TabInputText &&
        t.input.uri.scheme === 'untitled' &&
        vscode.workspace.textDocuments.some(
          (d) =>
            d.uri.toString() === (t.input as vscode.TabInputText).uri.toString() &&
            d.getText().includes(text),
        ),
    ),
  );
}

suite('Account switch and sign-out', function () {
  // Each step waits for a condition; the machine running the suite may be slow.
  this.timeout(300_000);
  let parts: Parts;
  let scratch: string;
  const tag = Date.now().toString(36);
  const alice = `switch-alice-${tag}@example.test`;
  const bob = `switch-bob-${tag}@example.test`;

  suiteSetup(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-switch-'));
    parts = ((await extension().activate()) as MicroDataWarehouseApi).parts;
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', path.join(scratch, 'warehouse'), vscode.ConfigurationTarget.Global);
    await until(
      'the new folder to be taken up',
      async () => (await parts.accounts.ready()) === undefined && parts.warehouse.folder.startsWith(scratch),
    );
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('microDataWarehouse.account.signOut');
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', undefined, vscode.ConfigurationTarget.Global);
    await stopTestSmtp();
  });

  async function databaseNames(): Promise<string[]> {
    const nodes = await parts.databases.getChildren();
    return nodes.map((n) => String(parts.databases.getTreeItem(n).label));
  }

  async function names(): Promise<string[]> {
    const list = await parts.worksheets.getChildren();
    return list.filter((e): e is WorksheetItem => e.kind === 'node').map((e) => e.node.name);
  }

  /** The worksheet editor (webview) of `uri` once it has been sent the document. */
  async function worksheetEditor(uri: vscode.Uri): Promise<WorksheetEditorHandle> {
    return until('the worksheet editor', () => {
      const editor = parts.worksheetEditor.editorsOf(uri)[0];
      return editor?.posted.some((m) => m.type === 'init') ? editor : undefined;
    });
  }

  /** Opens a new worksheet of the signed-in account in its default editor with `sql`, and runs it. */
  async function worksheetWithRun(name: string, sql: string): Promise<vscode.Uri> {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.newWorksheet',
      null,
      name,
    );
    const editor = await worksheetEditor(uri);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(0, 0), sql);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await editor.document.save();
    await editor.host.run('all', 0, 0);
    await until('the worksheet run', () => {
      const run = editor.posted.filter((m): m is { type: 'run'; run: RunInfo } => m.type === 'run').at(-1);
      return !editor.host.isRunning && run?.run.results.length ? run : undefined;
    });
    return uri;
  }

  /** Runs `sql` from a plain .sql file, so the Results panel shows it. */
  async function resultsPanelRun(sql: string): Promise<void> {
    const file = path.join(scratch, `query-${Date.now()}.sql`);
    fs.writeFileSync(file, sql);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('microDataWarehouse.run.statement');
    await until('the Results panel run', () => (parts.results.posted.run?.results.length ?? 0) > 0);
  }

  test('Sign In with Another Account closes every worksheet, result and view of the first', async () => {
    await signIn(alice);
    const a = parts.accounts.current!;
    const aDb = `alpha_db_${tag}`;
    await (await parts.warehouse.engine()).databases.create(aDb);
    const aUri = await worksheetWithRun(`alpha secret ${tag}`, `SELECT 'alpha ${tag}' AS who;\n`);
    // An unsaved edit: it reaches alice's worksheet before she is signed out (saved by VS Code's
    // auto save where it is on, as in code-server, else by the switch).
    const saved = new Promise<vscode.TextDocument>((resolve) => {
      const listener = vscode.workspace.onDidSaveTextDocument((d) => {
        if (d.uri.toString() !== aUri.toString() || !d.getText().includes('-- unsaved line')) return;
        listener.dispose();
        resolve(d);
      });
    });
    const edit = new vscode.WorkspaceEdit();
    edit.insert(aUri, new vscode.Position(1, 0), '-- unsaved line\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await resultsPanelRun(`SELECT 'alpha results ${tag}' AS who;\n`);
    await parts.historyCommands.settled();
    assert.deepEqual(await names(), [`alpha secret ${tag}`]);
    const runs = await parts.history.getChildren();
    assert.ok(runs.length > 0, "alice's run is in History");
    // History's Open SQL: an untitled editor with her SQL.
    await vscode.commands.executeCommand('microDataWarehouse.history.open', runs[0]);
    assert.equal(untitledWith(`alpha results ${tag}`), true);
    await until("alice's database in the Databases view", async () => (await databaseNames()).includes(aDb));
    assert.ok(
      worksheetTabs().some((u) => u.authority === a.tag),
      "alice's worksheet tab is open",
    );
    assert.match(parts.accountStatusBar.text, new RegExp(alice.replace(/[.]/g, '\\.')));

    // The user's path: the account menu's "Sign In with Another Account" runs Sign In.
    await signIn(bob);
    const b = parts.accounts.current!;
    assert.equal(b.email, bob);
    assert.match((await saved).getText(), /-- unsaved line/, "alice's unsaved edit was saved first");
    await until("alice's worksheet tabs closed", () => worksheetTabs().every((u) => u.authority !== a.tag));
    assert.deepEqual(parts.worksheetEditor.editorsOf(aUri), [], 'no worksheet webview of alice is left');
    await until(
      "the editor History opened with alice's SQL closed",
      () => !untitledWith(`alpha results ${tag}`),
    );
    assert.deepEqual(await names(), [], "the Worksheets view shows only bob's (none yet)");
    assert.deepEqual(await parts.history.getChildren(), [], "History shows only bob's runs (none yet)");
    assert.equal((await databaseNames()).includes(aDb), false, "the Databases view shows only bob's");
    assert.equal(parts.results.run, undefined, 'the Results panel was cleared');
    assert.deepEqual(parts.results.posted.run?.results ?? [], [], 'the Results webview shows nothing');
    assert.match(parts.accountStatusBar.text, new RegExp(bob.replace(/[.]/g, '\\.')));
    assert.doesNotMatch(parts.accountStatusBar.text, new RegExp(alice.replace(/[.]/g, '\\.')));
    await assert.rejects(
      Promise.resolve(vscode.workspace.fs.readFile(aUri)),
      /another MicroDataWarehouse account|NoPermissions/,
    );

    // Bob's views load: his worksheet appears, opened in the worksheet editor, and runs.
    await worksheetWithRun(`bravo ${tag}`, 'SELECT 2 AS b;\n');
    assert.deepEqual(await names(), [`bravo ${tag}`]);
    note("switching accounts closed the first account's worksheet editors, results and tree");
  });

  test('Sign Out clears every view, worksheet editor, result and the status bar', async () => {
    const b = parts.accounts.current!;
    await resultsPanelRun('SELECT 42 AS answer;\n');
    await parts.historyCommands.settled();
    assert.ok(worksheetTabs().some((u) => u.authority === b.tag));
    assert.ok((await parts.history.getChildren()).length > 0);
    await vscode.commands.executeCommand('microDataWarehouse.account.signOut');
    assert.equal(parts.accounts.current, undefined);
    await until('the worksheet tabs closed', () => worksheetTabs().length === 0);
    assert.deepEqual(await parts.worksheets.getChildren(), []);
    assert.deepEqual(await parts.history.getChildren(), []);
    assert.deepEqual(await parts.databases.getChildren(), []);
    assert.equal(parts.results.run, undefined);
    assert.deepEqual(parts.results.posted.run?.results ?? [], []);
    assert.match(parts.accountStatusBar.text, /Sign In/);
  });

  test('a sign-in that cannot open the store ends with a message naming the cause, never a busy prompt', async () => {
    await testSmtp();
    // A warehouse whose metadata store was made elsewhere (the mdw command line, another machine).
    const foreign = path.join(scratch, 'foreign');
    const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-foreign-key-'));
    const store = await MetadataStore.open(
      foreign,
      new FileKeyProvider({ file: path.join(keyDir, 'master.key') }),
    );
    store.close();
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', foreign, vscode.ConfigurationTarget.Global);
    await until('the foreign folder to be taken up', () => parts.warehouse.folder === foreign);
    const failures: string[] = [];
    const listener = parts.accountCommands.onDidFailSignIn((m) => failures.push(m));
    // The real secret storage of this window, where the master key lives.
    const secrets = (parts.accounts as unknown as { secrets: vscode.SecretStorage }).secrets;
    const key = await secrets.get(MASTER_KEY_SECRET);
    try {
      // This VS Code's master key is not the one the store was made with.
      const wrong = await vscode.commands.executeCommand(SIGN_IN, { email: alice });
      assert.equal(wrong, undefined, 'the sign-in ended');
      assert.match(failures.at(-1) ?? '', /master key does not open the metadata store/);

      // No master key at all in this browser's / machine's secret storage.
      await secrets.delete(MASTER_KEY_SECRET);
      const missing = await vscode.commands.executeCommand(SIGN_IN, { email: alice });
      assert.equal(missing, undefined, 'the sign-in ended');
      assert.match(failures.at(-1) ?? '', /secret storage holds no master key/);
      assert.equal(parts.accounts.current, undefined);
      note(`messages: ${failures.join(' | ')}`);
    } finally {
      listener.dispose();
      if (key) await secrets.store(MASTER_KEY_SECRET, key);
      fs.rmSync(keyDir, { recursive: true, force: true });
    }
  });
});
