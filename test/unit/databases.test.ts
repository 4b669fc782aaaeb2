import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Warehouse, type CatalogChange } from '../../src/engine/warehouse.js';
import { isEngineError } from '../../src/engine/errors.js';
import { tempDir } from '../support/tempDir.js';

async function open(): Promise<Warehouse> {
  return Warehouse.open(tempDir('mdw-db-'));
}

async function rows(w: Warehouse, sql: string): Promise<unknown[][]> {
  return w.withConnection(async (c) => (await c.runAndReadAll(sql)).getRows());
}

test('create, list, and query across databases', async () => {
  const w = await open();
  const changes: CatalogChange[] = [];
  w.onCatalogChanged((c) => changes.push(c));
  const sales = await w.createDatabase('sales');
  assert.equal(sales.name, 'sales');
  assert.equal(sales.path, path.join(w.databasesDir, 'sales.duckdb'));
  assert.ok(fs.existsSync(sales.path));
  await w.createDatabase('crm-2024');
  assert.deepEqual(changes, [{ databases: ['sales'] }, { databases: ['crm-2024'] }]);

  await w.withConnection(async (c) => {
    await c.run('CREATE TABLE sales.main.orders AS SELECT range AS id, range % 3 AS customer FROM range(9)');
    await c.run(
      `CREATE TABLE "crm-2024".main.customers AS SELECT range AS id, 'c' || range AS name FROM range(3)`,
    );
  });
  const joined = await rows(
    w,
    `SELECT c.name, count(*) FROM sales.main.orders o JOIN "crm-2024".main.customers c ON o.customer = c.id GROUP BY ALL ORDER BY 1`,
  );
  assert.deepEqual(joined, [
    ['c0', 3n],
    ['c1', 3n],
    ['c2', 3n],
  ]);

  const list = await w.listDatabases();
  assert.deepEqual(
    list.map((d) => [d.name, d.attached, d.readOnly]),
    [
      ['crm-2024', true, false],
      ['sales', true, false],
    ],
  );
  assert.ok(list.every((d) => d.sizeBytes > 0));
  await w.close();
});

test('database names: invalid and reserved names are refused with what is allowed', async () => {
  const w = await open();
  for (const bad of ['', 'a.b', 'a/b', '..', 'a"b', "a'b", 'a b', 'é', 'x'.repeat(64), '../etc']) {
    await assert.rejects(
      w.createDatabase(bad),
      (e) => isEngineError(e, 'DATABASE_NAME_INVALID') && /letters, digits/.test(e.message),
      JSON.stringify(bad),
    );
  }
  for (const reserved of ['memory', 'SYSTEM', 'temp', 'main', 'mdw_results', 'MDW_x']) {
    await assert.rejects(
      w.createDatabase(reserved),
      (e) => isEngineError(e, 'DATABASE_NAME_INVALID') && /reserved/.test(e.message),
    );
  }
  assert.deepEqual(fs.readdirSync(w.databasesDir), []);
  await w.close();
});

test('names are case-insensitively unique', async () => {
  const w = await open();
  await w.createDatabase('Sales');
  await assert.rejects(
    w.createDatabase('sales'),
    (e) => isEngineError(e, 'DATABASE_EXISTS') && /"Sales"/.test(e.message),
  );
  await w.createDatabase('crm');
  await assert.rejects(w.renameDatabase('crm', 'SALES'), (e) => isEngineError(e, 'DATABASE_EXISTS'));
  // A database attached by hand under a name takes that name too.
  await w.withConnection((c) => c.run(`ATTACH ':memory:' AS scratch`));
  await assert.rejects(w.createDatabase('Scratch'), (e) => isEngineError(e, 'DATABASE_EXISTS'));
  assert.equal(fs.existsSync(w.databaseFile('Scratch')), false);
  await w.close();
});

test('rename keeps the data, survives reopening, and refuses unknown or bad names', async () => {
  const w = await open();
  await w.createDatabase('old');
  await w.withConnection((c) => c.run('CREATE TABLE old.main.t AS SELECT range AS id FROM range(100)'));
  const changes: CatalogChange[] = [];
  w.onCatalogChanged((c) => changes.push(c));
  const renamed = await w.renameDatabase('OLD', 'new_name');
  assert.equal(renamed.name, 'new_name');
  assert.deepEqual(changes, [{ databases: ['old', 'new_name'] }]);
  assert.deepEqual(await rows(w, 'SELECT count(*) FROM new_name.main.t'), [[100n]]);
  await assert.rejects(rows(w, 'SELECT count(*) FROM old.main.t'), /old/);
  assert.deepEqual(fs.readdirSync(w.databasesDir), ['new_name.duckdb']);

  await assert.rejects(w.renameDatabase('missing', 'x'), (e) => isEngineError(e, 'DATABASE_NOT_FOUND'));
  await assert.rejects(w.renameDatabase('new_name', 'a.b'), (e) => isEngineError(e, 'DATABASE_NAME_INVALID'));
  await assert.rejects(w.renameDatabase('../new_name', 'x'), (e) => isEngineError(e, 'DATABASE_NOT_FOUND'));
  // Changing only the case is allowed.
  await w.renameDatabase('new_name', 'New_Name');
  assert.deepEqual(await rows(w, 'SELECT count(*) FROM New_Name.main.t'), [[100n]]);

  const dir = w.dir;
  await w.close();
  const again = await Warehouse.open(dir);
  assert.deepEqual(
    (await again.listDatabases()).map((d) => d.name),
    ['New_Name'],
  );
  assert.deepEqual(await rows(again, 'SELECT count(*) FROM New_Name.main.t'), [[100n]]);
  await again.close();
});

test('rename and drop refuse a database held by an open transaction, and lose nothing', async () => {
  const w = await open();
  await w.createDatabase('busy');
  await w.withConnection((c) => c.run('CREATE TABLE busy.main.t AS SELECT range AS id FROM range(10)'));
  const session = await w.connect();
  await session.run('BEGIN TRANSACTION');
  await session.run('INSERT INTO busy.main.t VALUES (100)');

  await assert.rejects(w.renameDatabase('busy', 'other'), (e) => isEngineError(e, 'DATABASE_IN_USE'));
  await assert.rejects(w.dropDatabase('busy', { confirm: true }), (e) => isEngineError(e, 'DATABASE_IN_USE'));
  assert.ok(fs.existsSync(w.databaseFile('busy')));
  assert.equal(fs.existsSync(w.databaseFile('other')), false);

  // The transaction still completes, and the database comes back under its name once released.
  const back = new Promise<void>((resolve) => {
    const sub = w.onCatalogChanged((c) => {
      if (c.databases !== 'all' && c.databases.includes('busy')) {
        sub.dispose();
        resolve();
      }
    });
  });
  await session.run('INSERT INTO busy.main.t VALUES (101)');
  await session.run('COMMIT');
  w.release(session);
  // The re-attach timer does not keep a process alive; this test must stay alive to see it.
  const keepAlive = setInterval(() => undefined, 1000);
  await back;
  clearInterval(keepAlive);
  assert.deepEqual(await rows(w, 'SELECT count(*), max(id) FROM busy.main.t'), [[12n, 101n]]);
  await w.renameDatabase('busy', 'other');
  assert.deepEqual(await rows(w, 'SELECT count(*) FROM other.main.t'), [[12n]]);
  await w.close();
});

test('drop needs confirmation, then removes the file and its WAL', async () => {
  const w = await open();
  await w.createDatabase('gone');
  await w.withConnection((c) => c.run('CREATE TABLE gone.main.t AS SELECT 1 AS x'));
  await assert.rejects(
    w.dropDatabase('gone'),
    (e) => isEngineError(e, 'CONFIRMATION_REQUIRED') && /gone/.test(e.message),
  );
  await assert.rejects(w.dropDatabase('gone', { confirm: false }), (e) =>
    isEngineError(e, 'CONFIRMATION_REQUIRED'),
  );
  assert.deepEqual(await rows(w, 'SELECT x FROM gone.main.t'), [[1]]);

  const changes: CatalogChange[] = [];
  w.onCatalogChanged((c) => changes.push(c));
  await w.dropDatabase('GONE', { confirm: true });
  assert.deepEqual(changes, [{ databases: ['gone'] }]);
  assert.deepEqual(fs.readdirSync(w.databasesDir), []);
  await assert.rejects(rows(w, 'SELECT x FROM gone.main.t'), /gone/);
  await assert.rejects(w.dropDatabase('gone', { confirm: true }), (e) =>
    isEngineError(e, 'DATABASE_NOT_FOUND'),
  );
  // The name is free again and starts empty.
  await w.createDatabase('gone');
  assert.deepEqual(await rows(w, `SELECT count(*) FROM duckdb_tables() WHERE database_name = 'gone'`), [
    [0n],
  ]);
  await w.close();
});

test('concurrent database operations do not interleave', async () => {
  const w = await open();
  await w.createDatabase('a');
  const results = await Promise.allSettled([
    w.renameDatabase('a', 'b'),
    w.renameDatabase('a', 'c'),
    w.createDatabase('a'),
  ]);
  assert.equal(results[0].status, 'fulfilled');
  assert.ok(results[1].status === 'rejected' && isEngineError(results[1].reason, 'DATABASE_NOT_FOUND'));
  assert.equal(results[2].status, 'fulfilled');
  assert.deepEqual(
    (await w.listDatabases()).map((d) => d.name),
    ['a', 'b'],
  );
  await w.close();
});
