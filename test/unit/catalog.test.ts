import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Warehouse, type CatalogChange } from '../../src/engine/warehouse.js';
import { isEngineError } from '../../src/engine/errors.js';
import { tempDir } from '../support/tempDir.js';

async function open(): Promise<Warehouse> {
  return Warehouse.open(tempDir('mdw-cat-'));
}

async function sql(w: Warehouse, text: string): Promise<void> {
  await w.withConnection((c) => c.run(text));
}

test('each level loads on its own: databases, schemas, tables and views, columns', async () => {
  const w = await open();
  await w.createDatabase('sales');
  await sql(
    w,
    `CREATE SCHEMA sales.staging;
     CREATE TABLE sales.main.orders (id INTEGER PRIMARY KEY, amount DECIMAL(18,3) NOT NULL DEFAULT 0, note VARCHAR);
     INSERT INTO sales.main.orders SELECT range, range, NULL FROM range(42);
     COMMENT ON TABLE sales.main.orders IS 'all orders';
     CREATE VIEW sales.main.big_orders AS SELECT * FROM sales.main.orders WHERE amount > 10;`,
  );
  const catalog = w.catalog;

  const dbs = await catalog.databases();
  assert.deepEqual(
    dbs.map((d) => [d.name, d.path, d.readOnly]),
    [['sales', w.databaseFile('sales'), false]],
    'the results database and DuckDB internal ones are hidden',
  );
  assert.deepEqual(
    (await catalog.schemas('SALES')).map((s) => s.name),
    ['main', 'staging'],
  );
  assert.deepEqual(await catalog.objects('sales', 'main'), [
    {
      database: 'sales',
      schema: 'main',
      name: 'big_orders',
      kind: 'view',
      estimatedRows: null,
      columnCount: 3,
      comment: null,
    },
    {
      database: 'sales',
      schema: 'main',
      name: 'orders',
      kind: 'table',
      estimatedRows: 42,
      columnCount: 3,
      comment: 'all orders',
    },
  ]);
  assert.deepEqual(await catalog.objects('sales', 'staging'), []);
  assert.deepEqual(await catalog.columns('sales', 'main', 'orders'), [
    { name: 'id', type: 'INTEGER', nullable: false, default: null, primaryKey: true },
    { name: 'amount', type: 'DECIMAL(18,3)', nullable: false, default: '0', primaryKey: false },
    { name: 'note', type: 'VARCHAR', nullable: true, default: null, primaryKey: false },
  ]);
  assert.deepEqual(
    (await catalog.columns('sales', 'main', 'big_orders')).map((c) => c.name),
    ['id', 'amount', 'note'],
  );

  await assert.rejects(catalog.schemas('nope'), (e) => isEngineError(e, 'DATABASE_NOT_FOUND'));
  await assert.rejects(catalog.objects('sales', 'nope'), (e) => isEngineError(e, 'NOT_FOUND'));
  await assert.rejects(catalog.columns('sales', 'main', 'nope'), (e) => isEngineError(e, 'NOT_FOUND'));
  await assert.rejects(catalog.schemas('mdw_results'), (e) => isEngineError(e, 'DATABASE_NOT_FOUND'));
  await w.close();
});

test('odd identifiers are quoted everywhere', async () => {
  const w = await open();
  await w.createDatabase('odd');
  const schema = 'my "schema". x';
  const table = `t'able; DROP TABLE x --ü`;
  await w.catalog.createSchema('odd', schema);
  await sql(w, `CREATE TABLE odd."my ""schema"". x"."t'able; DROP TABLE x --ü" ("c o""l" INTEGER)`);
  assert.deepEqual(
    (await w.catalog.schemas('odd')).map((s) => s.name),
    ['main', schema],
  );
  assert.deepEqual(
    (await w.catalog.objects('odd', schema)).map((o) => o.name),
    [table],
  );
  assert.deepEqual(
    (await w.catalog.columns('odd', schema, table)).map((c) => c.name),
    ['c o"l'],
  );
  await assert.rejects(w.catalog.createSchema('odd', schema), (e) => isEngineError(e, 'NAME_TAKEN'));
  await assert.rejects(w.catalog.createSchema('odd', ''), (e) => isEngineError(e, 'NAME_INVALID'));
  await w.catalog.dropObject({ kind: 'table', database: 'odd', schema, name: table }, { confirm: true });
  assert.deepEqual(await w.catalog.objects('odd', schema), []);
  await w.close();
});

test('dropObject needs confirmation, and cascade for a non-empty schema', async () => {
  const w = await open();
  await w.createDatabase('d');
  await sql(
    w,
    'CREATE SCHEMA d.s; CREATE TABLE d.s.t AS SELECT 1 AS x; CREATE VIEW d.s.v AS SELECT * FROM d.s.t',
  );
  const c = w.catalog;
  await assert.rejects(c.dropObject({ kind: 'table', database: 'd', schema: 's', name: 't' }), (e) =>
    isEngineError(e, 'CONFIRMATION_REQUIRED'),
  );
  await assert.rejects(
    c.dropObject({ kind: 'schema', database: 'd', schema: 's' }, { confirm: true }),
    (e) => isEngineError(e, 'SQL_CATALOG') && /cascade/.test(e.message),
  );
  assert.equal((await c.objects('d', 's')).length, 2);
  await c.dropObject({ kind: 'view', database: 'd', schema: 's', name: 'v' }, { confirm: true });
  assert.deepEqual(
    (await c.objects('d', 's')).map((o) => o.name),
    ['t'],
  );
  await assert.rejects(
    c.dropObject({ kind: 'view', database: 'd', schema: 's', name: 'v' }, { confirm: true }),
    (e) => isEngineError(e, 'NOT_FOUND'),
  );
  await c.dropObject({ kind: 'schema', database: 'd', schema: 's' }, { confirm: true, cascade: true });
  assert.deepEqual(
    (await c.schemas('d')).map((s) => s.name),
    ['main'],
  );
  await w.close();
});

test('a catalog change reloads only the databases it names', async () => {
  const w = await open();
  const dbs = ['db0', 'db1', 'db2', 'db3', 'db4'];
  for (const db of dbs) {
    await w.createDatabase(db);
    const ddl: string[] = ['BEGIN'];
    for (let s = 0; s < 4; s++) {
      ddl.push(`CREATE SCHEMA ${db}.s${s}`);
      for (let t = 0; t < 20; t++) ddl.push(`CREATE TABLE ${db}.s${s}.t${t} (id INTEGER, name VARCHAR)`);
    }
    ddl.push('COMMIT');
    await sql(w, ddl.join(';\n'));
  }
  const c = w.catalog;
  const heard: CatalogChange[] = [];
  c.onDidChange((change) => heard.push(change));
  const expandAll = async (): Promise<number> => {
    let tables = 0;
    for (const db of await c.databases()) {
      for (const s of await c.schemas(db.name)) tables += (await c.objects(db.name, s.name)).length;
    }
    await c.columns('db3', 's1', 't5');
    return tables;
  };

  assert.equal(await expandAll(), 5 * 4 * 20);
  const first = c.stats;
  assert.equal(first.objectScans, 1, 'one scan filled every database');
  assert.deepEqual(first.objectLoads, { db0: 1, db1: 1, db2: 1, db3: 1, db4: 1 });

  assert.equal(await expandAll(), 400);
  assert.deepEqual(c.stats, first, 'a second expansion is served from the cache');

  await sql(w, 'CREATE TABLE db2.s0.added (x INTEGER)');
  w.notifyCatalogChanged({ databases: ['DB2'] });
  assert.deepEqual(heard, [{ databases: ['DB2'] }]);
  assert.equal(await expandAll(), 401);
  const after = c.stats;
  assert.equal(after.objectScans, 2);
  assert.deepEqual(after.objectLoads, { db0: 1, db1: 1, db2: 2, db3: 1, db4: 1 });
  assert.deepEqual(after.schemaLoads, { db0: 1, db1: 1, db2: 2, db3: 1, db4: 1 });
  assert.equal(after.columnLoads, first.columnLoads, 'db3 columns stayed cached');

  await sql(w, 'ALTER TABLE db3.s1.t5 ADD COLUMN extra DOUBLE');
  w.notifyCatalogChanged({ databases: ['db3'] });
  assert.deepEqual(
    (await c.columns('db3', 's1', 't5')).map((col) => col.name),
    ['id', 'name', 'extra'],
  );

  // Database operations notify on their own; the list follows.
  await w.renameDatabase('db4', 'db9');
  assert.deepEqual(
    (await c.databases()).map((d) => d.name),
    ['db0', 'db1', 'db2', 'db3', 'db9'],
  );
  assert.equal((await c.objects('db9', 's3')).length, 20);
  assert.equal(c.stats.objectLoads.db0, 1, 'db0 was never reloaded');

  c.refresh();
  assert.equal(await expandAll(), 401);
  await w.close();
});

test('concurrent first expansions share one scan', async () => {
  const w = await open();
  for (const db of ['a', 'b', 'c']) {
    await w.createDatabase(db);
    await sql(w, `CREATE TABLE ${db}.main.t (x INTEGER)`);
  }
  const lists = await Promise.all(['a', 'b', 'c', 'a'].map((db) => w.catalog.objects(db, 'main')));
  assert.deepEqual(
    lists.map((l) => l.map((o) => `${o.database}.${o.name}`)),
    [['a.t'], ['b.t'], ['c.t'], ['a.t']],
  );
  assert.equal(w.catalog.stats.objectScans, 1);
  await w.close();
});

test('read-only catalog lists but refuses changes', async () => {
  const dir = tempDir('mdw-cat-');
  const w = await Warehouse.open(dir);
  await w.createDatabase('r');
  await w.close();
  const ro = await Warehouse.open(dir, { readOnly: true });
  assert.deepEqual(
    (await ro.catalog.databases()).map((d) => [d.name, d.readOnly]),
    [['r', true]],
  );
  await assert.rejects(ro.catalog.createSchema('r', 's'), (e) => isEngineError(e, 'WAREHOUSE_READ_ONLY'));
  await assert.rejects(
    ro.catalog.dropObject({ kind: 'schema', database: 'r', schema: 'main' }, { confirm: true }),
    (e) => isEngineError(e, 'WAREHOUSE_READ_ONLY'),
  );
  await ro.close();
});
