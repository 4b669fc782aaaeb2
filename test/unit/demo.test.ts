import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createDemo, DEMO_FOLDER, DEMO_PARQUET, demoFilesDir } from '../../src/engine/demo.js';
import { Session } from '../../src/engine/query/index.js';
import type { Account } from '../../src/engine/store/account.js';
import type { MetadataStore } from '../../src/engine/store/metadataStore.js';
import { Warehouse } from '../../src/engine/warehouse.js';
import { fixture, openWithAuth, signIn, type Fixture } from '../support/store.js';

const CSV = path.resolve(__dirname, '../../../media/demo/region_targets.csv');
let f: Fixture;
let store: MetadataStore;
let account: Account;
let warehouse: Warehouse;

before(async () => {
  f = fixture();
  const opened = await openWithAuth(f);
  store = opened.store;
  account = (await signIn(opened.auth, opened.outbox, 'demo@example.com')).account;
  warehouse = await Warehouse.open(f.warehouse, { space: account.space });
});

after(async () => {
  await warehouse?.close();
  await store?.close();
  f?.cleanup();
});

test('the demo makes sales and crm with the requested order lines, and five worksheets that all run', async () => {
  const result = await createDemo(warehouse, {
    csvFile: CSV,
    orderLines: 20_000,
    worksheets: account.worksheets,
  });
  assert.deepEqual(result, { databases: ['crm', 'sales'], orderLines: 20_000, worksheets: 5 });
  const folder = (await account.worksheets.children(null)).find((n) => n.name === DEMO_FOLDER)!;
  const sheets = await account.worksheets.children(folder.id);
  assert.equal(sheets.length, 5);
  for (const node of sheets) {
    const ws = await account.worksheets.open(node.id);
    const session = await Session.open(warehouse, { database: ws.database ?? undefined });
    try {
      const run = await session.run(ws.sql);
      assert.equal(run.error, undefined, `${ws.name}: ${run.error?.message}`);
      const rows = run.outcomes.filter((o) => o.status === 'rows');
      assert.ok(rows.length > 0, ws.name);
      for (const o of rows) if (o.status === 'rows') await o.result.whenComplete();
    } finally {
      await session.close();
    }
  }
  assert.ok(fs.existsSync(path.join(demoFilesDir(warehouse), DEMO_PARQUET)));
  const counts = await warehouse.withConnection(
    async (c) =>
      (
        await c.runAndReadAll(
          `SELECT (SELECT count(*) FROM sales.main.order_lines)::INTEGER, (SELECT count(*) FROM crm.main.region_targets)::INTEGER,
                (SELECT count(*) FROM sales.main.order_lines l LEFT JOIN sales.main.products p USING (product_id) WHERE p.product_id IS NULL)::INTEGER`,
        )
      ).getRows()[0],
  );
  assert.deepEqual(counts, [20_000, 5, 0]);
});

test('the demo never touches existing databases', async () => {
  await assert.rejects(
    createDemo(warehouse, { csvFile: CSV }),
    (e: Error & { code?: string }) => e.code === 'DATABASE_EXISTS',
  );
});
