import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../../..');

async function lint(file: string, text: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(text, { filePath: path.join(root, file) });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

test('the engine, shared and cli folders may not import vscode', async () => {
  for (const file of ['src/engine/x.ts', 'src/shared/x.ts', 'src/cli/x.ts']) {
    const rules = await lint(file, "import * as vscode from 'vscode';\nexport const x = vscode;\n");
    assert.ok(rules.includes('no-restricted-imports'), `${file}: ${rules.join(', ')}`);
  }
});

test('src/shared may not import node modules or other folders', async () => {
  assert.ok(
    (await lint('src/shared/x.ts', "import * as fs from 'node:fs';\nexport const x = fs;\n")).includes(
      'no-restricted-imports',
    ),
  );
  assert.ok(
    (
      await lint('src/shared/x.ts', "import { x as y } from '../engine/errors.js';\nexport const x = y;\n")
    ).includes('no-restricted-imports'),
  );
});

test('src/shared may import vscode-jsonrpc, but no other package and not its node or browser entry', async () => {
  const rules = async (from: string): Promise<string[]> =>
    lint('src/shared/x.ts', `import * as m from '${from}';\nexport const x = m;\n`);
  assert.deepEqual(await rules('vscode-jsonrpc'), []);
  assert.deepEqual(await rules('./protocol.js'), []);
  for (const bad of ['vscode-jsonrpc/node', 'vscode-jsonrpc/browser', 'sql-formatter'])
    assert.ok((await rules(bad)).includes('no-restricted-imports'), bad);
});

test('the webview imports only itself and src/shared', async () => {
  const bad = await lint(
    'webview-ui/src/x.ts',
    "import { Warehouse } from '../../src/engine/warehouse.js';\nexport const x = Warehouse;\n",
  );
  assert.ok(bad.includes('no-restricted-imports'), bad.join(', '));
  const good = await lint(
    'webview-ui/src/x.ts',
    "import type { Cell } from '../../src/shared/results.js';\nexport type X = Cell;\n",
  );
  assert.deepEqual(good, []);
});

test('the extension itself may import vscode', async () => {
  assert.deepEqual(
    await lint('src/host/x.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n"),
    [],
  );
});
