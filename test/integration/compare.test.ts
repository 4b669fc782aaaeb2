import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import type { OpenedResult } from '../../src/host/run/compareFlow.js';
import type { PinInfo } from '../../src/engine/query/index.js';
import { extension, signIn, stopTestSmtp, until } from './support.js';

type Parts = MicroDataWarehouseApi['parts'];

suite('Pin and compare from the Results panel', () => {
  let parts: Parts;
  let scratch: string;
  const tag = Date.now().toString(36);

  suiteSetup(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-compare-'));
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', path.join(scratch, 'warehouse'), vscode.ConfigurationTarget.Global);
    parts = ((await extension().activate()) as MicroDataWarehouseApi).parts;
    await signIn(`compare-${tag}@example.test`);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await parts?.warehouse.close();
    await stopTestSmtp();
  });

  test('a text editor’s result: Pin Result…, run again, Compare Results… opens the differences beside', async () => {
    const file = path.join(scratch, 'orders.sql');
    fs.writeFileSync(file, "SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) t(id, v);\n");
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    await vscode.commands.executeCommand('microDataWarehouse.run.statement');
    const first = parts.results.run;
    assert.ok(first?.results[0], 'the first run reached the Results view');
    await first.results[0].result.whenComplete();
    const pin = (await vscode.commands.executeCommand(
      'microDataWarehouse.results.pin',
      0,
      'first',
    )) as PinInfo;
    assert.equal(pin.name, 'first');
    assert.equal(pin.resultId, first.results[0].result.id);

    await editor.edit((e) =>
      e.replace(
        new vscode.Range(0, 0, editor.document.lineCount, 0),
        "SELECT * FROM (VALUES (1, 'a'), (2, 'B'), (4, 'd')) t(id, v);\n",
      ),
    );
    await vscode.commands.executeCommand('microDataWarehouse.run.statement');
    const second = parts.results.run;
    assert.ok(second && second !== first && second.results[0]);
    await second.results[0].result.whenComplete();
    // The pinned result outlived the run that replaced it in the Results panel.
    assert.deepEqual(
      (await parts.compare.flow.pins(second.key)).map((p) => p.name),
      ['first'],
    );

    const opened = (await vscode.commands.executeCommand('microDataWarehouse.results.compare', 0, {
      other: pin.resultId,
      keys: ['id'],
    })) as OpenedResult;
    assert.deepEqual(opened.counts, { onlyInA: 1, onlyInB: 1, changed: 1, duplicateKeys: { a: 0, b: 0 } });
    const diff = opened.run.results[0]!.result;
    assert.deepEqual((await diff.page(0, 10)).rows, [
      ['changed (A)', 2, 'B'],
      ['changed (B)', 2, 'b'],
      ['only in B', 3, 'c'],
      ['only in A', 4, 'd'],
    ]);
    // The differences opened in a grid beside the editor, whose webview asked for them.
    const panel = parts.compare.open.find((p) => p.opened === opened);
    assert.ok(panel, 'a result panel opened');
    const posted = await until('the result panel to receive the differences', () => panel.posted());
    assert.match(posted.results[0]!.title, /1 only in A · 1 only in B · 1 changed/);
    assert.equal(posted.results[0]!.summary.rowCount, 4);

    // Open Pinned Result… shows the pinned rows beside too; Unpin lets it go.
    const pinned = await parts.compare.flow.openPinned(second.key, pin.resultId);
    assert.equal((await pinned!.run.results[0]!.result.page(0, 10)).rows.length, 3);
    assert.ok(await parts.compare.flow.unpin(second.key, pin.resultId));
    assert.deepEqual(await parts.compare.flow.pins(second.key), []);
  });
});
