import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Warehouse, type CatalogChange } from '../../src/engine/warehouse.js';
import { isEngineError } from '../../src/engine/errors.js';
import { formatFromFileName, parseTableName } from '../../src/engine/import.js';
import { quoteString } from '../../src/engine/names.js';
import { plainRows } from '../support/plainDuckdb.js';
import { tempDir } from '../support/tempDir.js';

async function setup(): Promise<{ w: Warehouse; files: string }> {
  const root = tempDir('mdw-imp-');
  const files = path.join(root, 'my files ü');
  fs.mkdirSync(files);
  const w = await Warehouse.open(path.join(root, 'wh'));
  await w.createDatabase('sales');
  return { w, files };
}

async function rows(w: Warehouse, sql: string): Promise<unknown[][]> {
  return w.withConnection(async (c) => (await c.runAndReadAll(sql)).getRows());
}

async function tableExists(w: Warehouse, db: string, schema: string, table: string): Promise<boolean> {
  const found = await rows(
    w,
    `SELECT count(*) FROM duckdb_tables() WHERE database_name = ${quoteString(db)} AND schema_name = ${quoteString(schema)} AND table_name = ${quoteString(table)}`,
  );
  return found[0]![0] === 1n;
}

test('imports CSV, Parquet, JSON and NDJSON into new tables and reports the row count', async () => {
  const { w, files } = await setup();
  const csv = path.join(files, "orders 'q1'.csv");
  fs.writeFileSync(csv, 'id,name,amount\n1,ann,1.5\n2,bob,2.5\n3,"c, d",3\n');
  const parquet = path.join(files, 'orders.parquet');
  await plainRows(
    `COPY (SELECT range AS id, 'n' || range AS name FROM range(1000)) TO ${quoteString(parquet)} (FORMAT parquet)`,
  );
  const json = path.join(files, 'people.json');
  fs.writeFileSync(
    json,
    JSON.stringify([
      { id: 1, tags: ['a'] },
      { id: 2, tags: [] },
    ]),
  );
  const ndjson = path.join(files, 'events.jsonl');
  fs.writeFileSync(ndjson, '{"id":1,"kind":"x"}\n{"id":2,"kind":"y"}\n{"id":3,"kind":null}\n');

  const changes: CatalogChange[] = [];
  w.onCatalogChanged((c) => changes.push(c));
  const r1 = await w.importFile(csv, 'sales.main.orders');
  assert.deepEqual(r1, {
    rows: 3,
    created: true,
    format: 'csv',
    target: { database: 'sales', schema: 'main', table: 'orders' },
  });
  assert.deepEqual(await rows(w, 'SELECT name, amount FROM sales.main.orders ORDER BY id'), [
    ['ann', 1.5],
    ['bob', 2.5],
    ['c, d', 3],
  ]);
  assert.equal((await w.importFile(parquet, { database: 'SALES', table: 'p' })).rows, 1000);
  assert.deepEqual(await rows(w, 'SELECT count(*), max(id) FROM sales.main.p'), [[1000n, 999n]]);
  const r3 = await w.importFile(json, 'sales.people');
  assert.equal(r3.format, 'json');
  assert.deepEqual(await rows(w, 'SELECT id, len(tags) FROM sales.main.people ORDER BY id'), [
    [1n, 1n],
    [2n, 0n],
  ]);
  const r4 = await w.importFile(ndjson, 'sales.main.events');
  assert.deepEqual([r4.format, r4.rows], ['ndjson', 3]);
  assert.ok(
    changes.length === 4 && changes.every((c) => c.databases !== 'all' && c.databases[0] === 'sales'),
  );
  // The catalog sees the new tables after the notification.
  assert.deepEqual(
    (await w.catalog.objects('sales', 'main')).map((o) => [o.name, o.estimatedRows]),
    [
      ['events', 3],
      ['orders', 3],
      ['p', 1000],
      ['people', 2],
    ],
  );
  await w.close();
});

test('odd table, schema and file names', async () => {
  const { w, files } = await setup();
  const file = path.join(files, `we"ird [1] {x} 'ü'.csv`);
  fs.writeFileSync(file, 'a\n1\n2\n');
  const table = `t "q" . dot; ü`;
  const r = await w.importFile(file, { database: 'sales', schema: 'new schema', table });
  assert.equal(r.rows, 2);
  assert.ok(await tableExists(w, 'sales', 'new schema', table), 'schema created on the way');
  assert.deepEqual(await rows(w, `SELECT sum(a) FROM sales."new schema"."t ""q"" . dot; ü"`), [[3n]]);
  // The same target written as text, quoted.
  const again = await w.importFile(file, `sales."new schema"."t ""q"" . dot; ü"`, { append: true });
  assert.equal(again.rows, 2);
  await assert.rejects(w.importFile(file, { database: 'sales', table: '' }), (e) =>
    isEngineError(e, 'NAME_INVALID'),
  );
  await w.close();
});

test('explicit format, compressed files, and unknown extensions', async () => {
  const { w, files } = await setup();
  const dat = path.join(files, 'data.dat');
  fs.writeFileSync(dat, 'x;y\n1;2\n');
  await assert.rejects(
    w.importFile(dat, 'sales.main.d'),
    (e) => isEngineError(e, 'IMPORT_FAILED') && /csv, parquet/.test(e.message),
  );
  assert.equal((await w.importFile(dat, 'sales.main.d', { format: 'csv' })).rows, 1);
  assert.deepEqual(await rows(w, 'SELECT x, y FROM sales.main.d'), [[1n, 2n]]);
  const gz = path.join(files, 'big.csv.gz');
  await plainRows(`COPY (SELECT range AS n FROM range(10)) TO ${quoteString(gz)} (FORMAT csv)`);
  assert.equal((await w.importFile(gz, 'sales.main.gz')).rows, 10);
  assert.equal(formatFromFileName('A.PARQUET'), 'parquet');
  assert.equal(formatFromFileName('x.ndjson.zst'), 'ndjson');
  assert.equal(formatFromFileName('x.xlsx'), undefined);
  await w.close();
});

test('missing, malformed and unsuitable files give clear errors and create nothing', async () => {
  const { w, files } = await setup();
  await assert.rejects(
    w.importFile(path.join(files, 'nope.csv'), 'sales.main.t'),
    (e) => isEngineError(e, 'FILE_NOT_FOUND') && /nope\.csv/.test(e.message),
  );
  await assert.rejects(w.importFile(files, 'sales.main.t', { format: 'csv' }), (e) =>
    isEngineError(e, 'IMPORT_FAILED'),
  );
  const badParquet = path.join(files, 'bad.parquet');
  fs.writeFileSync(badParquet, 'this is not parquet at all');
  await assert.rejects(
    w.importFile(badParquet, 'sales.main.t'),
    (e) => isEngineError(e, 'IMPORT_FAILED') && /Could not import bad\.parquet as PARQUET/.test(e.message),
  );
  const badJson = path.join(files, 'bad.json');
  fs.writeFileSync(badJson, '[{"a": 1}, {"a": ');
  await assert.rejects(
    w.importFile(badJson, 'sales.main.t'),
    (e) => isEngineError(e, 'IMPORT_FAILED') && /JSON/.test(e.message),
  );
  assert.equal(await tableExists(w, 'sales', 'main', 't'), false);

  const ok = path.join(files, 'ok.csv');
  fs.writeFileSync(ok, 'a\n1\n');
  await assert.rejects(w.importFile(ok, 'nodb.main.t'), (e) => isEngineError(e, 'DATABASE_NOT_FOUND'));
  await assert.rejects(w.importFile(ok, 'mdw_results.main.t'), (e) => isEngineError(e, 'DATABASE_NOT_FOUND'));
  await assert.rejects(w.importFile(ok, 'just_a_table'), (e) => isEngineError(e, 'NAME_INVALID'));
  await assert.rejects(w.importFile(ok, 'sales.main.nothing', { append: true }), (e) =>
    isEngineError(e, 'NOT_FOUND'),
  );
  await w.close();
});

test("a CSV file DuckDB's sniffer cannot split is refused with what the sniffer found", async () => {
  const { w, files } = await setup();
  const bad = path.join(files, 'ragged.csv');
  fs.writeFileSync(bad, 'a,b\n1,2\n3\n"x,4');
  await assert.rejects(w.importFile(bad, 'sales.main.ragged'), (e) => {
    assert.ok(isEngineError(e, 'IMPORT_FAILED'), String(e));
    assert.match(e.message, /ragged\.csv: DuckDB's CSV sniffer found no consistent columns/);
    assert.match(e.message, /one column named "a,b" \(delimiter "\|", quote none\)/);
    assert.match(e.message, /comma/);
    assert.match(e.message, /Nothing was imported/);
    return true;
  });
  assert.equal(await tableExists(w, 'sales', 'main', 'ragged'), false);

  const noHeader = path.join(files, 'ragged-no-header.csv');
  fs.writeFileSync(noHeader, '1;2\n3\n4;5;6\n"x;7\n');
  await assert.rejects(
    w.importFile(noHeader, 'sales.main.ragged'),
    (e) => isEngineError(e, 'IMPORT_FAILED') && /semicolon/.test(e.message),
  );

  const oneColumn = path.join(files, 'names.csv');
  fs.writeFileSync(oneColumn, 'name\nann\nbob\n"c, d"\n');
  assert.equal((await w.importFile(oneColumn, 'sales.main.names')).rows, 3, 'a real one-column file imports');
  assert.deepEqual(await rows(w, 'SELECT name FROM sales.main.names ORDER BY name'), [
    ['ann'],
    ['bob'],
    ['c, d'],
  ]);
  const tsv = path.join(files, 'pairs.tsv');
  fs.writeFileSync(tsv, 'k\tv\na,b\t1\nc,d\t2\n');
  assert.equal(
    (await w.importFile(tsv, 'sales.main.pairs')).rows,
    2,
    'commas inside tab-separated fields are fine',
  );
  await w.close();
});

test('CSV: a quoted empty field is an empty string, an empty field NULL (as COPY writes them)', async () => {
  const { w, files } = await setup();
  const csv = path.join(files, 'blanks.csv');
  // Written by DuckDB's own COPY in a plain instance: the warehouse's sandbox keeps SQL out of `files`.
  await plainRows(
    `COPY (SELECT * FROM (VALUES (1, '', NULL), (2, NULL, ''))) TO ${quoteString(csv)} (FORMAT csv)`,
  );
  assert.equal(fs.readFileSync(csv, 'utf8'), 'col0,col1,col2\n1,"",\n2,,""\n');
  await w.importFile(csv, 'sales.main.blanks');
  assert.deepEqual(await rows(w, 'SELECT col1, col2 FROM sales.main.blanks ORDER BY col0'), [
    ['', null],
    [null, ''],
  ]);
  await w.close();
});

test('an existing table needs append; append checks columns and types', async () => {
  const { w, files } = await setup();
  await w.withConnection((c) =>
    c.run(
      'CREATE TABLE sales.main.t (id INTEGER NOT NULL, name VARCHAR, score DOUBLE DEFAULT 0); CREATE VIEW sales.main.v AS SELECT 1 AS id',
    ),
  );
  const good = path.join(files, 'good.csv');
  fs.writeFileSync(good, 'name,id\nann,1\nbob,2\n');
  await assert.rejects(
    w.importFile(good, 'sales.main.t'),
    (e) => isEngineError(e, 'TABLE_EXISTS') && /append/.test(e.message),
  );
  await assert.rejects(
    w.importFile(good, 'sales.main.v', { append: true }),
    (e) => isEngineError(e, 'TABLE_EXISTS') && /view/.test(e.message),
  );
  // Columns match by name; BIGINT values that fit go into INTEGER; missing columns take their default.
  const r = await w.importFile(good, 'sales.main.t', { append: true });
  assert.deepEqual([r.rows, r.created], [2, false]);
  assert.deepEqual(await rows(w, 'SELECT id, name, score FROM sales.main.t ORDER BY id'), [
    [1, 'ann', 0],
    [2, 'bob', 0],
  ]);

  const wrongType = path.join(files, 'wrong.csv');
  fs.writeFileSync(wrongType, 'id,score\n3,high\n4,low\n');
  await assert.rejects(
    w.importFile(wrongType, 'sales.main.t', { append: true }),
    (e) =>
      isEngineError(e, 'IMPORT_MISMATCH') &&
      e.message.includes('"score" (file: VARCHAR, table: DOUBLE, 2 values do not convert)') &&
      !e.message.includes('"id"'),
  );
  const tooBig = path.join(files, 'big.csv');
  fs.writeFileSync(tooBig, 'id\n99999999999\n');
  await assert.rejects(
    w.importFile(tooBig, 'sales.main.t', { append: true }),
    (e) =>
      isEngineError(e, 'IMPORT_MISMATCH') &&
      /"id" \(file: BIGINT, table: INTEGER, 1 value do/.test(e.message),
  );
  const extra = path.join(files, 'extra.csv');
  fs.writeFileSync(extra, 'id,colour,size\n5,red,1\n');
  await assert.rejects(
    w.importFile(extra, 'sales.main.t', { append: true }),
    (e) => isEngineError(e, 'IMPORT_MISMATCH') && /"colour", "size"/.test(e.message),
  );
  const nulls = path.join(files, 'nulls.json');
  fs.writeFileSync(nulls, JSON.stringify([{ id: null, name: 'x' }]));
  await assert.rejects(w.importFile(nulls, 'sales.main.t', { append: true }), (e) =>
    isEngineError(e, 'SQL_CONSTRAINT'),
  );
  assert.deepEqual(
    await rows(w, 'SELECT count(*) FROM sales.main.t'),
    [[2n]],
    'failed appends wrote nothing',
  );
  await w.close();
});

test('an import can be cancelled and writes nothing', async () => {
  const { w, files } = await setup();
  const csv = path.join(files, 'large.csv');
  await plainRows(
    `COPY (SELECT range AS id, md5(range::VARCHAR) AS h, range * 0.5 AS v FROM range(3000000)) TO ${quoteString(csv)} (FORMAT csv)`,
  );
  const before = new AbortController();
  before.abort();
  await assert.rejects(w.importFile(csv, 'sales.main.big', { signal: before.signal }), (e) =>
    isEngineError(e, 'INTERRUPTED'),
  );

  const during = new AbortController();
  const running = w.importFile(csv, 'sales.main.big', { signal: during.signal });
  setTimeout(() => during.abort(), 50);
  await assert.rejects(
    running,
    (e) => isEngineError(e, 'INTERRUPTED') && /nothing was written/.test(e.message),
  );
  assert.equal(await tableExists(w, 'sales', 'main', 'big'), false);
  // The warehouse stays usable and the same import succeeds afterwards.
  assert.equal((await w.importFile(csv, 'sales.main.big')).rows, 3000000);
  await w.close();
});

test('read-only warehouses refuse imports', async () => {
  const { w, files } = await setup();
  const dir = w.dir;
  await w.close();
  const ro = await Warehouse.open(dir, { readOnly: true });
  const csv = path.join(files, 'a.csv');
  fs.writeFileSync(csv, 'a\n1\n');
  await assert.rejects(ro.importFile(csv, 'sales.main.t'), (e) => isEngineError(e, 'WAREHOUSE_READ_ONLY'));
  await ro.close();
});

test('parseTableName splits on dots outside quotes', () => {
  assert.deepEqual(parseTableName('db.s.t'), { database: 'db', schema: 's', table: 't' });
  assert.deepEqual(parseTableName('db.t'), { database: 'db', schema: 'main', table: 't' });
  assert.deepEqual(parseTableName('db."a.b"."c ""d"""'), { database: 'db', schema: 'a.b', table: 'c "d"' });
  for (const bad of ['t', 'a.b.c.d', 'a..b', 'a."b', 'a."b"c', 'a.b"c', '', '.a.b']) {
    assert.throws(
      () => parseTableName(bad),
      (e) => isEngineError(e, 'NAME_INVALID'),
      bad,
    );
  }
});
