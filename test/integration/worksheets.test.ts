import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import type { WorksheetEditorHandle } from '../../src/views/worksheetEditor/worksheetEditorProvider.js';
import type { WorksheetElement, WorksheetItem } from '../../src/views/worksheets/worksheetNodes.js';
import { deadPort, codeIn } from '../support/smtp.js';
import { extension, note, signIn, stopTestSmtp, testSmtp, until } from './support.js';

type Parts = MicroDataWarehouseApi['parts'];

const SIGN_IN = 'microDataWarehouse.account.signIn';
const TREE_MIME = 'application/vnd.code.tree.microdatawarehouse.worksheets';

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (e: { code?: string; message?: string }) => {
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message ?? '', message);
    return true;
  });
}

suite('Accounts, Worksheets and History', () => {
  let parts: Parts;
  let scratch: string;
  const tag = Date.now().toString(36);
  const alice = `alice-${tag}@example.test`;
  const bob = `bob-${tag}@example.test`;

  suiteSetup(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-accounts-'));
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
    await stopTestSmtp();
  });

  /** The worksheet editor (the default for worksheets) of `uri`, once its webview has the document. */
  async function worksheetEditor(uri: vscode.Uri): Promise<WorksheetEditorHandle> {
    return until('the worksheet editor', () => {
      const editor = parts.worksheetEditor.editorsOf(uri)[0];
      return editor?.posted.some((m) => m.type === 'init') ? editor : undefined;
    });
  }

  /** Edits a document as typing in its editor would (the worksheet editor applies edits the same way). */
  async function insert(document: vscode.TextDocument, at: vscode.Position, text: string): Promise<void> {
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, at, text);
    assert.ok(await vscode.workspace.applyEdit(edit));
  }

  async function children(parent?: WorksheetElement): Promise<WorksheetItem[]> {
    const list = await parts.worksheets.getChildren(parent);
    return list.filter((e): e is WorksheetItem => e.kind === 'node');
  }

  async function child(parent: WorksheetItem | undefined, name: string): Promise<WorksheetItem> {
    const list = await children(parent);
    const found = list.find((c) => c.node.name === name);
    assert.ok(found, `"${name}" in ${parent?.path ?? '/'}: ${list.map((c) => c.node.name).join(', ')}`);
    return found;
  }

  test('signed out: the views are empty (welcome text with Sign In) and no warehouse opens', async () => {
    assert.equal(parts.accounts.current, undefined);
    assert.deepEqual(await parts.worksheets.getChildren(), []);
    assert.deepEqual(await parts.history.getChildren(), []);
    assert.deepEqual(await parts.databases.getChildren(), []);
    await rejectsWith(parts.warehouse.engine(), 'NOT_SIGNED_IN', /Sign in/);
    assert.match(parts.accountStatusBar.text, /Sign In/);
  });

  test('sign-in errors: a malformed address, an SMTP server that is down, a wrong code, resend too soon', async () => {
    await rejectsWith(parts.accounts.requestCode('not-an-address'), 'AUTH_EMAIL_INVALID');
    const server = await testSmtp();
    const config = vscode.workspace.getConfiguration('microDataWarehouse');
    await config.update('smtp.port', await deadPort(), vscode.ConfigurationTarget.Global);
    await rejectsWith(parts.accounts.requestCode(alice), 'MAIL_FAILED', /refused the connection/);
    await config.update('smtp.port', server.port, vscode.ConfigurationTarget.Global);
    // The failed send did not count: a code goes out at once.
    const sent = await parts.accounts.requestCode(alice);
    assert.equal(sent.email, alice);
    assert.match(sent.delivery, /^SMTP smtp:\/\/127\.0\.0\.1:/);
    const code = codeIn(await server.next(alice));
    const wrong = code === '000000' ? '111111' : '000000';
    await rejectsWith(parts.accounts.verifyCode(alice, wrong), 'AUTH_CODE_WRONG', /4 tries left/);
    await rejectsWith(parts.accounts.requestCode(alice), 'AUTH_RATE_LIMITED', /Try again in \d+ seconds?/);
    assert.equal(parts.accounts.current, undefined, 'still signed out');
  });

  test('Sign In with a code read from a real SMTP server (the earlier code still works)', async () => {
    const server = await testSmtp();
    // The prompt opens on the earlier code (no new code yet); the code from the mailbox is entered.
    const mail = server.mails.filter((m) => m.text?.includes('sign-in code')).pop();
    assert.ok(mail, 'a sign-in mail arrived');
    const prompting = vscode.commands.executeCommand(SIGN_IN, { email: alice });
    await vscode.commands.executeCommand(SIGN_IN, { email: alice, code: codeIn(mail) });
    assert.equal(((await prompting) as { email: string } | undefined)?.email, alice);
    const current = parts.accounts.current;
    assert.ok(current);
    assert.equal(current.email, alice);
    assert.equal(parts.warehouse.space, current.account.space);
    assert.match(parts.accountStatusBar.text, new RegExp(alice.replace(/[.]/g, '\\.')));
    await rejectsWith(parts.accounts.verifyCode(alice, codeIn(mail)), 'AUTH_CODE_EXPIRED');
    // A restore (what a reload does) finds the same session in SecretStorage.
    const restored = await parts.accounts.restore('test');
    assert.equal(restored?.sessionId, current.sessionId);
  });

  test('worksheets: New Folder, New Worksheet in the selected folder, save through mdw:, read back', async () => {
    const reports = await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.newFolder',
      null,
      'Reports',
    );
    assert.equal(reports.path, '/Reports');
    const reportsItem = await child(undefined, 'Reports');
    await vscode.commands.executeCommand('microDataWarehouse.worksheets.newFolder', reportsItem, '2026');
    const year = await child(reportsItem, '2026');
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.newWorksheet',
      year,
      'revenue',
    );
    assert.equal(uri.scheme, 'mdw');
    assert.equal(uri.path, '/Reports/2026/revenue.mdw.sql');
    assert.equal(uri.authority, parts.accounts.current!.tag);
    const editor = await worksheetEditor(uri);
    assert.equal(editor.document.languageId, 'sql');
    assert.equal(vscode.window.activeTextEditor, undefined, 'a worksheet opens in the worksheet editor');
    const sql = `-- revenue ${tag}\nSELECT 42 AS answer;\n`;
    await insert(editor.document, new vscode.Position(0, 0), sql);
    assert.equal(editor.document.isDirty, true);
    await until('the webview to get the edit', () => editor.host.documentText === sql);
    // Saved as a user saves: Save with the worksheet editor active.
    await vscode.commands.executeCommand('workbench.action.files.save');
    await until('the worksheet saved', () => !editor.document.isDirty);

    const { account } = parts.accounts.current!;
    const node = await account.worksheets.resolve('/Reports/2026/revenue');
    assert.ok(node);
    assert.equal((await account.worksheets.open(node.id)).sql, sql);
    assert.equal(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)), sql);
    const revisions = await account.worksheets.revisions(node.id);
    assert.equal(revisions.length, 2, 'created empty, then saved');
    assert.equal(revisions[0]!.sql, sql);
    const stat = await vscode.workspace.fs.stat(uri);
    assert.equal(stat.type, vscode.FileType.File);
    assert.equal(stat.size, Buffer.byteLength(sql));
    const listing = await vscode.workspace.fs.readDirectory(uri.with({ path: '/Reports/2026' }));
    assert.deepEqual(listing, [['revenue.mdw.sql', vscode.FileType.File]]);

    // Nothing readable lands in the warehouse folder.
    const bytes = fs.readFileSync(path.join(scratch, 'warehouse', 'store', 'metadata.log'));
    for (const marker of [`revenue ${tag}`, 'Reports', alice]) {
      assert.equal(bytes.includes(Buffer.from(marker)), false, `"${marker}" is not in the store file`);
    }

    await vscode.commands.executeCommand('workbench.action.focusSideBar');
    await vscode.commands.executeCommand('microDataWarehouse.worksheets.focus');
    await vscode.commands.executeCommand('vscode.open', uri);
    await vscode.commands.executeCommand('microDataWarehouse.worksheets.reveal');
    await until(
      'the worksheet selected in the tree',
      () => parts.worksheets.view.selection[0]?.id === node.id,
    );
  });

  test('rename a worksheet and a folder: the open editor follows, unsaved text included', async () => {
    const year = await child(await child(undefined, 'Reports'), '2026');
    const sheet = await child(year, 'revenue');
    const before = vscode.workspace.textDocuments.find((d) => d.uri.path === '/Reports/2026/revenue.mdw.sql');
    assert.ok(before, 'the worksheet is open');
    assert.equal(parts.worksheetEditor.editorsOf(before.uri).length, 1, 'in the worksheet editor');
    await insert(before, new vscode.Position(0, 0), '-- unsaved\n');
    const renamed = await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.rename',
      sheet,
      'revenue by month',
    );
    assert.equal(renamed.path, '/Reports/2026/revenue by month.mdw.sql');
    const moved = await until('the editor on the new name', () =>
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === renamed.toString()),
    );
    assert.equal(moved.isDirty, true, 'unsaved changes move with the document');
    assert.match(moved.getText(), /^-- unsaved\n-- revenue/);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(before.uri)), /EntryNotFound|FileNotFound/);

    await vscode.commands.executeCommand(
      'microDataWarehouse.worksheets.rename',
      await child(undefined, 'Reports'),
      'Finance',
    );
    const doc = await until('the editor under the renamed folder', () =>
      vscode.workspace.textDocuments.find((d) => d.uri.path === '/Finance/2026/revenue by month.mdw.sql'),
    );
    assert.equal(doc.isDirty, true);
    assert.equal(await doc.save(), true);
    const { account } = parts.accounts.current!;
    const node = await account.worksheets.resolve('/finance/2026/REVENUE BY MONTH');
    assert.match((await account.worksheets.open(node!.id)).sql, /^-- unsaved/);

    // A taken name is refused with the store's message and nothing changes.
    await vscode.commands.executeCommand(
      'microDataWarehouse.worksheets.newWorksheet',
      await child(undefined, 'Finance'),
      'notes',
    );
    const result = await vscode.commands.executeCommand(
      'microDataWarehouse.worksheets.rename',
      await child(await child(undefined, 'Finance'), 'notes'),
      '2026',
    );
    assert.equal(result, undefined);
    assert.ok(await child(await child(undefined, 'Finance'), 'notes'));
  });

  test('drag and drop moves one or several nodes; a folder cannot go into itself', async () => {
    const finance = await child(undefined, 'Finance');
    await vscode.commands.executeCommand('microDataWarehouse.worksheets.newFolder', null, 'Archive');
    const archive = await child(undefined, 'Archive');
    const year = await child(finance, '2026');
    const notes = await child(finance, 'notes');
    const data = new vscode.DataTransfer();
    data.set(TREE_MIME, new vscode.DataTransferItem([year, notes]));
    await parts.worksheets.handleDrop(archive, data);
    assert.deepEqual(
      (await children(finance)).map((c) => c.node.name),
      [],
    );
    assert.deepEqual(
      (await children(await child(undefined, 'Archive'))).map((c) => c.node.name),
      ['2026', 'notes'],
    );
    assert.ok(
      vscode.workspace.textDocuments.some((d) => d.uri.path === '/Archive/2026/revenue by month.mdw.sql'),
      'the open worksheet moved with its folder',
    );
    // Dropped on a worksheet: into its folder, before it.
    await vscode.commands.executeCommand(
      'microDataWarehouse.worksheets.newWorksheet',
      await child(undefined, 'Archive'),
      'first',
    );
    const one = new vscode.DataTransfer();
    one.set(
      TREE_MIME,
      new vscode.DataTransferItem([await child(await child(undefined, 'Archive'), 'first')]),
    );
    await parts.worksheets.handleDrop(await child(await child(undefined, 'Archive'), 'notes'), one);
    assert.deepEqual(
      (await children(await child(undefined, 'Archive'))).map((c) => c.node.name),
      ['2026', 'first', 'notes'],
    );

    const arch = await child(undefined, 'Archive');
    await rejectsWith(
      parts.worksheetCommands.move([arch], await child(arch, '2026')),
      'MOVE_INVALID',
      /into itself or one of its own folders/,
    );
  });

  test('Delete… counts folders and worksheets, and removes them', async () => {
    const archive = await child(undefined, 'Archive');
    const report = await vscode.commands.executeCommand(
      'microDataWarehouse.worksheets.delete',
      archive,
      [archive],
      {
        confirmed: true,
      },
    );
    assert.deepEqual(report, { folders: 2, worksheets: 3 });
    assert.deepEqual(
      (await children()).map((c) => c.node.name),
      ['Finance'],
    );
    await assert.rejects(
      Promise.resolve(
        vscode.workspace.fs.stat(
          vscode.Uri.from({ scheme: 'mdw', authority: parts.accounts.current!.tag, path: '/Archive' }),
        ),
      ),
    );
  });

  test('History records runs from a worksheet with status, duration and rows; Run Again runs it again', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>(
      'microDataWarehouse.worksheets.newWorksheet',
      null,
      `history ${tag}`,
    );
    const editor = await worksheetEditor(uri);
    const sql = 'SELECT * FROM range(7);\nSELECT nope FROM nowhere;\n';
    await insert(editor.document, new vscode.Position(0, 0), sql);
    await until('the webview to get the text', () => editor.host.documentText === sql);
    // The cursor moves as an error position picked in Messages moves it; the palette runs that statement.
    await editor.panel.webview.postMessage({
      jsonrpc: '2.0',
      method: 'select',
      params: { line: 1, column: 1 },
    });
    await vscode.commands.executeCommand('microDataWarehouse.run.statement');
    await editor.panel.webview.postMessage({
      jsonrpc: '2.0',
      method: 'select',
      params: { line: 2, column: 4 },
    });
    await vscode.commands.executeCommand('microDataWarehouse.run.statement');
    await parts.historyCommands.settled();
    const { account } = parts.accounts.current!;
    const node = await account.worksheets.resolve(`/history ${tag}`);
    const entries = await account.history.list();
    assert.equal(entries.length, 2);
    const [failed, ok] = entries;
    assert.equal(ok!.sql, 'SELECT * FROM range(7);');
    assert.equal(ok!.status, 'ok');
    assert.equal(ok!.rows, 7);
    assert.equal(ok!.worksheetId, node!.id);
    assert.ok(ok!.durationMs >= 0);
    assert.equal(failed!.status, 'error');
    assert.match(failed!.error ?? '', /nowhere/);

    const items = await parts.history.getChildren();
    assert.equal(items.length, 2);
    const okItem = items[1]!;
    const treeItem = parts.history.getTreeItem(okItem);
    assert.equal(treeItem.label, 'SELECT * FROM range(7);');
    assert.match(String(treeItem.description), /^7 rows · \d+ ms · /);
    assert.equal((treeItem.iconPath as vscode.ThemeIcon).id, 'pass');
    assert.equal((parts.history.getTreeItem(items[0]!).iconPath as vscode.ThemeIcon).id, 'error');

    await vscode.commands.executeCommand('microDataWarehouse.history.runAgain', okItem);
    await parts.historyCommands.settled();
    const again = await account.history.list();
    assert.equal(again.length, 3);
    assert.equal(again[0]!.sql, 'SELECT * FROM range(7);');
    assert.equal(again[0]!.worksheetId, null, 'run again runs in a new SQL editor');
    assert.equal(vscode.window.activeTextEditor?.document.getText(), 'SELECT * FROM range(7);');
  });

  test('two accounts see only their own worksheets, history and databases', async () => {
    const a = parts.accounts.current!;
    const aDb = `alice_db_${tag}`;
    await (await parts.warehouse.engine()).databases.create(aDb);
    const aUri = vscode.Uri.from({ scheme: 'mdw', authority: a.tag, path: '/Finance' });
    assert.equal((await vscode.workspace.fs.stat(aUri)).type, vscode.FileType.Directory);

    await signIn(bob);
    const b = parts.accounts.current!;
    assert.equal(b.email, bob);
    assert.notEqual(b.account.id, a.account.id);
    assert.notEqual(parts.warehouse.space, a.account.space);
    assert.deepEqual(await children(), [], "bob does not see alice's worksheets");
    assert.deepEqual(await parts.history.getChildren(), [], 'nor her history');
    const dbs = (await parts.databases.getChildren()).map((n) => parts.databases.getTreeItem(n).label);
    assert.equal(dbs.includes(aDb), false, `bob's databases: ${dbs.join(', ')}`);
    await assert.rejects(
      Promise.resolve(vscode.workspace.fs.stat(aUri)),
      /another MicroDataWarehouse account|NoPermissions/,
    );
    // Alice's session ended when bob signed in here.
    await rejectsWith(a.account.worksheets.children(), 'NOT_SIGNED_IN');

    await vscode.commands.executeCommand('microDataWarehouse.worksheets.newWorksheet', null, 'bob only');
    assert.deepEqual(
      (await children()).map((c) => c.node.name),
      ['bob only'],
    );
  });

  test('Sign Out Everywhere ends the session; signed out, everything is closed again', async () => {
    const b = parts.accounts.current!;
    const ended = await vscode.commands.executeCommand<number>(
      'microDataWarehouse.account.signOutEverywhere',
    );
    assert.equal(ended, 1);
    assert.equal(parts.accounts.current, undefined);
    await rejectsWith(b.account.worksheets.children(), 'NOT_SIGNED_IN');
    assert.deepEqual(await parts.worksheets.getChildren(), []);
    assert.deepEqual(await parts.databases.getChildren(), []);
    assert.match(parts.accountStatusBar.text, /Sign In/);
    await rejectsWith(parts.warehouse.engine(), 'NOT_SIGNED_IN');
    note('signed in, worked and signed out through the commands with codes from a real SMTP server');
  });
});
