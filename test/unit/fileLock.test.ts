import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Warehouse } from '../../src/engine/warehouse.js';
import { tempDir } from '../support/store.js';

/** What another process gets when it opens the same space now: 'OPENED' or the error code. */
function otherProcessOpens(dir: string): string {
  const warehouseJs = path.resolve(__dirname, '../../src/engine/warehouse.js');
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `require(${JSON.stringify(warehouseJs)}).Warehouse.open(${JSON.stringify(dir)}, { space: 'x' }).then((w) => { console.log('OPENED'); return w.close(); }, (e) => console.log(e.code))`,
    ],
    { encoding: 'utf8' },
  );
  return r.stdout.trim();
}

test("listing databases, reading their encryption and renaming one keep DuckDB's lock on every file", async (t) => {
  const { dir, cleanup } = tempDir('mdw-lock-');
  t.after(cleanup);
  const w = await Warehouse.open(dir, { space: 'x' });
  try {
    await w.createDatabase('a');
    await w.createDatabase('b');
    // Each of these reads database files' headers; none may drop the lock DuckDB holds on them.
    assert.deepEqual(
      (await w.listDatabases()).map((d) => [d.name, d.encrypted]),
      [
        ['a', false],
        ['b', false],
      ],
    );
    await w.catalog.databases();
    assert.equal(w.encryptionNote('a'), undefined);
    assert.equal(w.resultsStorage, 'plain');
    await w.renameDatabase('a', 'c');
    assert.deepEqual(
      (await w.listDatabases()).map((d) => d.name),
      ['b', 'c'],
    );
    assert.equal(otherProcessOpens(dir), 'WAREHOUSE_LOCKED');
    await w.dropDatabase('b', { confirm: true });
    assert.equal(otherProcessOpens(dir), 'WAREHOUSE_LOCKED');
  } finally {
    await w.close();
  }
  assert.equal(otherProcessOpens(dir), 'OPENED');
});
