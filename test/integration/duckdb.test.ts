import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Warehouse } from '../../src/engine/warehouse.js';
import { note } from './support.js';

suite('DuckDB in the extension host', () => {
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-it-'));
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('runs on the expected Node', () => {
    note(
      `Node ${process.version} (ABI ${process.versions.modules}, N-API ${process.versions.napi}) in ${process.env.MDW_HOST ?? 'VS Code'}`,
    );
    // code-server's extension host is Node 24; desktop VS Code brings Electron's Node.
    if (process.env.MDW_HOST === 'code-server') assert.equal(process.versions.node.split('.')[0], '24');
    assert.ok(Number(process.versions.napi) >= 8, 'DuckDB needs N-API 8');
  });

  test('@duckdb/node-api loads and answers a query on a warehouse file', async () => {
    const started = performance.now();
    const warehouse = await Warehouse.open(dir);
    try {
      const rows = await warehouse.withConnection(async (c) =>
        (await c.runAndReadAll('select 40 + 2 as answer')).getRowObjectsJson(),
      );
      assert.deepEqual(rows, [{ answer: 42 }]);
    } finally {
      await warehouse.close();
    }
    note(`DuckDB load + open + query: ${(performance.now() - started).toFixed(0)} ms`);
  });
});
