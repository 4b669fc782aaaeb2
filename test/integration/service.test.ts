import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import type { RemoteEngine } from '../../src/engine/service/engine.js';
import type { ResultsRun } from '../../src/views/results/resultsViewProvider.js';
import { mdw } from '../support/cli.js';
import { extension, signIn, signInCli, stopTestSmtp, until } from './support.js';

type Parts = MicroDataWarehouseApi['parts'];

// The window is a client of the warehouse service, as `mdw` is: both use one warehouse at the same time.
suite('One warehouse for this window and mdw (the warehouse service)', () => {
  let parts: Parts;
  let scratch: string;
  let warehouse: string;
  let cliEnv: NodeJS.ProcessEnv;
  let files = 0;
  let keyFileBefore: string | undefined;
  const tag = Date.now().toString(36);
  const db = `svc_${tag}`;
  const email = `service-${tag}@example.test`;

  suiteSetup(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-svc-'));
    warehouse = path.join(scratch, 'warehouse');
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', warehouse, vscode.ConfigurationTarget.Global);
    parts = ((await extension().activate()) as MicroDataWarehouseApi).parts;
    await signIn(email);
    // The command line's own key file and config folder, in this test's scratch folder (not the user's).
    cliEnv = {
      MDW_KEY_FILE: path.join(scratch, 'cli', 'master.key'),
      XDG_CONFIG_HOME: path.join(scratch, 'cli', 'config'),
      MDW_SMTP_URL: '',
    };
    // The extension host's "Use This Warehouse from the Command Line" writes where $MDW_KEY_FILE says.
    keyFileBefore = process.env.MDW_KEY_FILE;
    process.env.MDW_KEY_FILE = cliEnv.MDW_KEY_FILE;
  });

  suiteTeardown(async () => {
    if (keyFileBefore === undefined) delete process.env.MDW_KEY_FILE;
    else process.env.MDW_KEY_FILE = keyFileBefore;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await parts?.warehouse.close();
    await stopTestSmtp();
  });

  async function openSql(text: string): Promise<vscode.TextEditor> {
    const file = path.join(scratch, `query${++files}.sql`);
    fs.writeFileSync(file, text);
    return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
  }

  async function runLine(editor: vscode.TextEditor, line: number): Promise<ResultsRun> {
    const p = new vscode.Position(line, 0);
    editor.selection = new vscode.Selection(p, p);
    const before = parts.results.run;
    await vscode.commands.executeCommand('microDataWarehouse.run.statement');
    const after = parts.results.run;
    assert.ok(after && after !== before, 'the run reached the Results view');
    return after;
  }

  async function cell(run: ResultsRun): Promise<unknown> {
    assert.equal(run.error, undefined, run.messages.map((m) => m.text).join('; '));
    const entry = run.results[0];
    assert.ok(entry, 'the run has a result');
    await entry.result.whenComplete();
    return (await entry.result.page(0, 1)).rows[0]?.[0];
  }

  function cli(...args: string[]): ReturnType<typeof mdw> {
    return mdw(['--warehouse', warehouse, ...args], { env: cliEnv, cwd: scratch });
  }

  test('"Use This Warehouse from the Command Line" writes the master key for mdw (0600), never over another key', async () => {
    const shared = (await vscode.commands.executeCommand('microDataWarehouse.cli.share', {
      quiet: true,
    })) as {
      keyFile: string;
    };
    assert.equal(shared.keyFile, cliEnv.MDW_KEY_FILE);
    assert.ok(fs.existsSync(shared.keyFile));
    assert.equal(fs.statSync(shared.keyFile).mode & 0o777, 0o600);
    // Again: the same key is accepted.
    assert.ok(await vscode.commands.executeCommand('microDataWarehouse.cli.share', { quiet: true }));
    // A key file holding another key (it may open other data) is left as it is.
    const other = path.join(scratch, 'other.key');
    const otherKey = crypto.randomBytes(32);
    fs.writeFileSync(other, otherKey, { mode: 0o600 });
    process.env.MDW_KEY_FILE = other;
    try {
      assert.equal(
        await vscode.commands.executeCommand('microDataWarehouse.cli.share', { quiet: true }),
        undefined,
      );
      assert.deepEqual(fs.readFileSync(other), otherKey);
    } finally {
      process.env.MDW_KEY_FILE = cliEnv.MDW_KEY_FILE;
    }
    // The CLI signs in to the same account.
    await signInCli(warehouse, email, cliEnv);
  });

  test('mdw answers while this window holds a session with an open transaction, and does not see it until COMMIT', async () => {
    await parts.catalogCommands.newDatabase(db);
    const editor = await openSql(
      [
        `CREATE TABLE "${db}".main.t AS SELECT range AS id FROM range(3);`,
        'BEGIN;',
        `INSERT INTO "${db}".main.t VALUES (100);`,
        `SELECT count(*) FROM "${db}".main.t;`,
        'COMMIT;',
      ].join('\n'),
    );
    await runLine(editor, 0);
    await runLine(editor, 1);
    await runLine(editor, 2);
    // This window sees its own row...
    assert.equal(await cell(await runLine(editor, 3)), '4');
    // ...mdw, through the same service at the same time, does not until COMMIT.
    const before = await cli('query', '--format', 'csv', `SELECT count(*) AS n FROM "${db}".main.t`);
    assert.equal(before.code, 0, before.stderr);
    assert.equal(before.stdout.trim().split('\n')[1], '3');
    await runLine(editor, 4);
    const after = await cli('query', '--format', 'csv', `SELECT count(*) AS n FROM "${db}".main.t`);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout.trim().split('\n')[1], '4');
  });

  test("a table mdw creates appears in this window's Databases tree without a refresh", async () => {
    const made = await cli('query', `CREATE TABLE "${db}".main.from_cli AS SELECT 1 AS x`);
    assert.equal(made.code, 0, made.stderr);
    const label = (n: unknown): string => String(parts.databases.getTreeItem(n as never).label);
    await until('the table in the tree', async () => {
      const dbs = await parts.databases.getChildren(undefined);
      const dbNode = dbs.find((n) => label(n) === db);
      if (!dbNode) return false;
      const main = (await parts.databases.getChildren(dbNode)).find((n) => label(n) === 'main');
      if (!main) return false;
      return (await parts.databases.getChildren(main)).some((n) => label(n) === 'from_cli');
    });
  });

  test('the service killed mid-query: the run says so, the next run starts a new service, committed rows are there', async () => {
    const editor = await openSql(
      [
        'SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000) b;',
        `SELECT count(*) FROM "${db}".main.t;`,
      ].join('\n'),
    );
    const engine = (await parts.warehouse.engine()) as RemoteEngine;
    const pid = engine.servicePid;
    assert.ok(pid, 'the service runs');
    const key = editor.document.uri.toString();
    const p = new vscode.Position(0, 0);
    editor.selection = new vscode.Selection(p, p);
    const notices: string[] = [];
    const listening = parts.warehouse.onDidLoseService((m) => notices.push(m));
    const running = vscode.commands.executeCommand('microDataWarehouse.run.statement');
    await until('the query to run', () => parts.warehouse.openSession(key)?.busy);
    process.kill(pid, 'SIGKILL');
    await running;
    // The window said so in a notification.
    await until('the notification', () => notices.length > 0);
    listening.dispose();
    assert.match(
      notices[0]!,
      /warehouse service stopped .* What was committed is kept; the next action starts it again/,
    );
    const failed = parts.results.run!;
    assert.equal(failed.messages[0]?.kind, 'error');
    assert.match(failed.messages[0]?.text ?? '', /warehouse service stopped/);
    assert.equal(await cell(await runLine(editor, 1)), '4');
    const again = (await parts.warehouse.engine()) as RemoteEngine;
    assert.ok(again.servicePid && again.servicePid !== pid, 'a new service answered');
  });
});
