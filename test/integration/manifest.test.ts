import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extension, manifest, note } from './support.js';

/** Commands VS Code itself creates for every contributed view. */
const VIEW_COMMAND_SUFFIXES = ['focus', 'resetViewLocation', 'toggleVisibility', 'removeView', 'open'];
const OURS = /^microDataWarehouse\./i;

suite('package.json and code agree', () => {
  const contributes = manifest().contributes;
  const declaredCommands = (contributes.commands ?? []).map((c) => c.command);
  const views = Object.entries(contributes.views ?? {}).flatMap(([container, list]) =>
    list.map((v) => ({ container, ...v })),
  );
  const customEditors = (contributes.customEditors ?? []).map((e) => e.viewType);

  suiteSetup(async () => {
    await extension().activate();
  });

  test('every declared command is registered', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(declaredCommands.length > 0);
    assert.deepEqual(
      declaredCommands.filter((c) => !registered.has(c)),
      [],
    );
  });

  test('no command is registered that package.json does not declare', async () => {
    const generated = new Set(views.flatMap((v) => VIEW_COMMAND_SUFFIXES.map((s) => `${v.id}.${s}`)));
    const ours = (await vscode.commands.getCommands(true)).filter((c) => OURS.test(c) && !generated.has(c));
    note(`${ours.length} registered command(s): ${ours.join(', ')}`);
    assert.deepEqual(
      ours.filter((c) => !declaredCommands.includes(c)),
      [],
    );
  });

  test('every view sits in a declared container and opens', async () => {
    const containers = new Set(
      (contributes.viewsContainers?.activitybar ?? [])
        .concat(contributes.viewsContainers?.panel ?? [])
        .map((c) => c.id),
    );
    assert.ok(views.length > 0);
    for (const view of views) {
      assert.match(view.id, OURS);
      assert.ok(
        containers.has(view.container) || ['explorer', 'scm', 'debug', 'test'].includes(view.container),
        view.container,
      );
      await vscode.commands.executeCommand(`${view.id}.focus`);
    }
  });

  test('every webview view and custom editor has its provider', () => {
    // VS Code refuses a second provider for a view type that already has one: that proves the first.
    const webviewViews = views.filter((v) => v.type === 'webview').map((v) => v.id);
    const probe = { resolveWebviewView: () => undefined, resolveCustomTextEditor: () => undefined };
    for (const id of webviewViews) {
      assert.throws(
        () => vscode.window.registerWebviewViewProvider(id, probe).dispose(),
        /already registered/,
        id,
      );
    }
    for (const viewType of customEditors) {
      assert.throws(
        () => vscode.window.registerCustomEditorProvider(viewType, probe).dispose(),
        /already registered/,
        viewType,
      );
    }
    note(`${webviewViews.length} webview view(s), ${customEditors.length} custom editor(s) checked`);
  });
});
