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

  test('.duckdb.sql (duckdb-sql) has the same Run and Explain menu entries as .sql', () => {
    const menus =
      (contributes as { menus?: Record<string, { command: string; when?: string }[]> }).menus ?? {};
    for (const [menu, key] of [
      ['editor/title', 'resourceLangId'],
      ['editor/context', 'editorLangId'],
    ] as const) {
      const entries = menus[menu] ?? [];
      const forLanguage = (language: string): string[] =>
        entries
          .filter((e) =>
            (e.when ?? '')
              .split(/\|\||&&/)
              .some((c) => c.replace(/[()]/g, '').trim() === `${key} == ${language}`),
          )
          .map((e) => e.command)
          .sort();
      const sql = forLanguage('sql');
      assert.ok(sql.includes('microDataWarehouse.run.statement'), `${menu} has Run for .sql`);
      assert.ok(sql.includes('microDataWarehouse.plan.explain'), `${menu} has Explain for .sql`);
      assert.deepEqual(forLanguage('duckdb-sql'), sql, menu);
    }
  });

  test('welcome texts and the walkthrough name the keys of each platform', () => {
    const c = contributes as {
      viewsWelcome?: { view: string; contents: string; when?: string }[];
      walkthroughs?: { steps: { description: string; when?: string }[] }[];
    };
    const texts = [
      ...(c.viewsWelcome ?? []).map((w) => ({ text: w.contents, when: w.when ?? '' })),
      ...(c.walkthroughs ?? []).flatMap((w) =>
        w.steps.map((s) => ({ text: s.description, when: s.when ?? '' })),
      ),
    ];
    for (const { text, when } of texts) {
      const mac = /(^|&&\s*)isMac\b/.test(when);
      const notMac = /!isMac\b/.test(when);
      const ctrl = /Ctrl\+/.test(text);
      const cmd = /Cmd\+/.test(text);
      if (mac) assert.ok(!ctrl || cmd, `macOS text names Ctrl only: ${text}`);
      else if (notMac) assert.ok(!cmd || ctrl, `text for other platforms names Cmd only: ${text}`);
      else if (ctrl || cmd) {
        assert.ok(
          ctrl && /Cmd\+[^)]*macOS|macOS[^)]*Cmd\+/.test(text),
          `names both platforms' keys: ${text}`,
        );
      }
    }
    const welcome = (c.viewsWelcome ?? []).filter((w) => w.view === 'microDataWarehouse.databases');
    assert.ok(
      welcome.some(
        (w) =>
          /\[Create Demo Warehouse\]\(command:microDataWarehouse\.demo\.create\)/.test(w.contents) &&
          /microDataWarehouse\.signedIn/.test(w.when ?? '') &&
          !/!microDataWarehouse\.signedIn/.test(w.when ?? ''),
      ),
      'the empty Databases view offers Create Demo Warehouse',
    );
  });

  test('SMTP settings are found by "smtp", apply from User settings, and a workspace cannot set them', async () => {
    const properties =
      (
        contributes as {
          configuration?: { properties: Record<string, { scope?: string; markdownDescription?: string }> };
        }
      ).configuration?.properties ?? {};
    const smtp = Object.entries(properties).filter(([k]) => k.startsWith('microDataWarehouse.smtp.'));
    assert.equal(smtp.length, 5);
    for (const [key, p] of smtp) {
      assert.equal(p.scope, 'application', key);
      assert.match(p.markdownDescription ?? '', /SMTP/, key);
    }
    const config = vscode.workspace.getConfiguration('microDataWarehouse');
    await assert.rejects(
      Promise.resolve(config.update('smtp.host', 'mail.example.test', vscode.ConfigurationTarget.Workspace)),
    );
    assert.equal(config.inspect('smtp.host')?.workspaceValue, undefined);
  });
});
