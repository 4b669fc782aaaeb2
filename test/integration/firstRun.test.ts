import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DemoResult } from '../../src/engine/demo.js';
import type { MicroDataWarehouseApi } from '../../src/extension.js';
import { extension, manifest, note, signIn, stopTestSmtp } from './support.js';

suite('First run: demo and walkthrough', () => {
  let parts: MicroDataWarehouseApi['parts'];
  let scratch: string;

  suiteSetup(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-first-run-'));
    parts = ((await extension().activate()) as MicroDataWarehouseApi).parts;
    await parts.warehouse.close();
    await vscode.workspace
      .getConfiguration('microDataWarehouse')
      .update('warehouse.folder', path.join(scratch, 'warehouse'), vscode.ConfigurationTarget.Global);
    await signIn(`first-run-${Date.now()}@example.test`);
  });

  suiteTeardown(async () => {
    await parts?.warehouse.close();
    await stopTestSmtp();
  });

  test('Create Demo Warehouse makes sales, crm and the Getting started worksheets', async () => {
    const started = Date.now();
    const result = (await vscode.commands.executeCommand('microDataWarehouse.demo.create', {
      orderLines: 40_000,
    })) as DemoResult;
    note(`demo with 40,000 order lines: ${Date.now() - started} ms`);
    assert.deepEqual(result, { databases: ['crm', 'sales'], orderLines: 40_000, worksheets: 5 });
    const warehouse = await parts.warehouse.engine();
    const names = (await warehouse.catalog.databases()).map((d) => d.name).sort();
    assert.deepEqual(names, ['crm', 'sales']);
    const tables = (await warehouse.catalog.objects('sales', 'main')).map((o) => o.name);
    assert.deepEqual(tables, ['order_lines', 'orders', 'products']);
    const { account } = await parts.accounts.require();
    const folder = (await account.worksheets.children(null)).find((n) => n.name === 'Getting started');
    assert.ok(folder, 'the Getting started folder exists');
    assert.equal((await account.worksheets.children(folder.id)).length, 5);
    const again = await vscode.commands.executeCommand('microDataWarehouse.demo.create', { orderLines: 10 });
    assert.equal(again, undefined, 'a second demo is refused (its error is shown, nothing is overwritten)');
  });

  test('the walkthrough has six steps, each with a command the extension registers', async () => {
    const walkthroughs = (
      manifest().contributes as {
        walkthroughs: { steps: { id: string; description: string; media: { markdown: string } }[] }[];
      }
    ).walkthroughs;
    assert.equal(walkthroughs.length, 1);
    const steps = walkthroughs[0]!.steps;
    assert.deepEqual(
      steps.map((s) => s.id),
      ['signIn', 'database', 'import', 'run', 'explore', 'export'],
    );
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const step of steps) {
      const commands = [...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]!);
      assert.ok(commands.length > 0, step.id);
      for (const c of commands) assert.ok(registered.has(c), `${step.id}: ${c} is registered`);
      assert.ok(
        fs.existsSync(path.join(extension().extensionPath, step.media.markdown)),
        step.media.markdown,
      );
    }
  });
});
