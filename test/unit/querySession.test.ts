import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import { Warehouse, type CatalogChange } from '../../src/engine/warehouse.js';
import { Session, type StatementOutcome } from '../../src/engine/query/session.js';
import type { KeptResult } from '../../src/engine/query/keptResult.js';
import { isEngineError } from '../../src/engine/errors.js';
import { quoteString } from '../../src/engine/names.js';
import { plainRows } from '../support/plainDuckdb.js';

let tmp: string;
let warehouse: Warehouse;
const sessions: Session[] = [];
const changes: CatalogChange[] = [];

async function session(
  options: Parameters<typeof Session.open>[1] = { database: 'sales' },
): Promise<Session> {
  const s = await Session.open(warehouse, options);
  sessions.push(s);
  return s;
}

function rows(o: StatementOutcome | undefined): KeptResult {
  assert.ok(
    o && o.status === 'rows',
    `expected rows, got ${JSON.stringify(o && o.status === 'error' ? o.error.message : o?.status)}`,
  );
  return o.result;
}

async function direct(sql: string): Promise<DuckDBValue[][]> {
  return warehouse.withConnection(async (c) => (await c.runAndReadAll(sql)).getRows());
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-query-'));
  warehouse = await Warehouse.open(path.join(tmp, 'wh'));
  await warehouse.withConnection(async (c) => {
    await c.run(`ATTACH ${quoteString(warehouse.databaseFile('sales'))} AS sales`);
    await c.run(`ATTACH ${quoteString(warehouse.databaseFile('crm'))} AS crm`);
    await c.run(
      `CREATE TABLE sales.main.big AS SELECT i AS id, md5(i::VARCHAR) AS name, CASE WHEN i % 7 = 0 THEN NULL ELSE i % 100 END AS bucket, (i * 1.5)::DOUBLE AS amount FROM range(300000) t(i)`,
    );
    await c.run(`CREATE TABLE crm.main.customers AS SELECT i AS id, 'c' || i AS name FROM range(10) t(i)`);
  });
  warehouse.onCatalogChanged((c) => changes.push(c));
});

after(async () => {
  for (const s of sessions) await s.close();
  await warehouse.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('runs', () => {
  test('one outcome per statement: rows, changes, plain success', async () => {
    const s = await session();
    const r = await s.run(
      "CREATE TABLE t (a INTEGER, b VARCHAR);\nINSERT INTO t VALUES (1, 'x'), (2, 'y');\nUPDATE t SET b = 'z' WHERE a = 2;\nSELECT * FROM t ORDER BY a;\nINSERT INTO t VALUES (3, 'w') RETURNING a;\nSHOW TABLES; DESCRIBE t; EXPLAIN SELECT 1; PRAGMA database_list; CALL pragma_version()",
    );
    assert.equal(r.error, undefined);
    assert.deepEqual(
      r.outcomes.map((o) => o.status),
      ['ok', 'changes', 'changes', 'rows', 'rows', 'rows', 'rows', 'rows', 'rows', 'rows'],
    );
    assert.equal((r.outcomes[1] as { changes: number }).changes, 2);
    assert.equal((r.outcomes[2] as { changes: number }).changes, 1);
    assert.deepEqual(rows(r.outcomes[3]).firstPage, [
      [1, 'x'],
      [2, 'z'],
    ]);
    assert.deepEqual(rows(r.outcomes[4]).firstPage, [[3]]);
    assert.equal(r.outcomes[5]!.sql, 'SHOW TABLES');
  });

  test('cross-database joins and use()', async () => {
    const s = await session();
    const r = await s.run('SELECT count(*) FROM sales.main.big b JOIN crm.main.customers c ON b.id = c.id');
    assert.deepEqual(rows(r.outcomes[0]).firstPage, [['10']]);
    await s.use('crm');
    assert.deepEqual(await s.current(), { database: 'crm', schema: 'main' });
    assert.deepEqual(rows((await s.run('SELECT count(*) FROM customers')).outcomes[0]).firstPage, [['10']]);
    await assert.rejects(s.use('nope'), (e) => isEngineError(e, 'DATABASE_NOT_FOUND'));
    await assert.rejects(s.use('mdw_results'), (e) => isEngineError(e, 'INTERNAL_FILE_REFUSED'));
  });

  test('a parse error carries line and column in the whole script; earlier statements done, later not run', async () => {
    const s = await session();
    const script = 'CREATE TABLE p1 (a INT);\n\nINSERT INTO p1 VALUES (1);\n  SELECT * FRM p1;\nSELECT 2;';
    const r = await s.run(script);
    assert.deepEqual(
      r.outcomes.map((o) => o.status),
      ['ok', 'changes', 'error', 'notRun'],
    );
    const e = r.error!;
    assert.equal(e.code, 'SQL_PARSE');
    assert.deepEqual({ line: e.position!.line, column: e.position!.column }, { line: 4, column: 16 });
    assert.equal(script.slice(e.position!.offset, e.position!.offset + 2), 'p1');
    assert.match(e.message, /line 4, column 16/);
    assert.deepEqual(rows((await s.run('SELECT count(*) FROM p1')).outcomes[0]).firstPage, [['1']]);
  });

  test('unknown table, unknown column and conversion errors are positioned too', async () => {
    const s = await session();
    const script = 'SELECT 1;\nSELECT x FROM\n   nope_table;';
    const r = await s.run(script);
    assert.equal(r.error?.code, 'SQL_CATALOG');
    assert.deepEqual([r.error!.position!.line, r.error!.position!.column], [3, 4]);
    const r2 = await s.run('SELECT 1; SELECT nocol FROM range(3)');
    assert.equal(r2.error?.code, 'SQL_BINDER');
    assert.equal(
      'SELECT 1; SELECT nocol FROM range(3)'.slice(r2.error!.position!.offset).startsWith('nocol'),
      true,
    );
    const r3 = await s.run("SELECT CAST('x' AS INTEGER)");
    assert.equal(r3.error?.code, 'SQL_CONVERSION');
    const r4 = await s.run('SELECT 1 +');
    assert.equal(r4.error?.code, 'SQL_PARSE');
    assert.equal(r4.error?.position?.offset, 'SELECT 1 +'.length);
  });

  test('a long line that DuckDB shows cut with "..." still maps to the right column', async () => {
    const s = await session();
    const pad = Array.from({ length: 30 }, (_, i) => `${i} AS c${i}`).join(', ');
    const script = `SELECT ${pad}, missing_col, ${pad.replaceAll(' AS c', ' AS d')} FROM range(1)`;
    const e = (await s.run(script)).error!;
    assert.equal(e.code, 'SQL_BINDER');
    assert.equal(script.slice(e.position!.offset).startsWith('missing_col'), true, e.message);
  });

  test('a selected range runs only its statements, positions stay script-relative', async () => {
    const s = await session();
    const script = 'SELECT 1;\nSELECT 2;\nSELECT * FRM z;';
    const r1 = await s.run(script, { range: { start: 10, end: 19 } });
    assert.equal(r1.outcomes.length, 1);
    assert.deepEqual(rows(r1.outcomes[0]).firstPage, [[2]]);
    assert.equal(r1.outcomes[0]!.range.start, 10);
    const r2 = await s.run(script, { range: { start: 20, end: script.length } });
    assert.equal(r2.error?.position?.line, 3);
    await assert.rejects(s.run(script, { range: { start: 5, end: 999 } }), (e) =>
      isEngineError(e, 'INVALID_ARGUMENT'),
    );
  });

  test('odd identifiers with quotes, dots and unicode', async () => {
    const s = await session();
    const r = await s.run(
      'CREATE TABLE "we""ird.tab;le" ("a.b" INT, "ü ñ 日本" VARCHAR, "x""y" INT); INSERT INTO "we""ird.tab;le" VALUES (1, \'é;\', 2); SELECT * FROM "we""ird.tab;le"',
    );
    assert.equal(r.error, undefined);
    const result = rows(r.outcomes[2]);
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['a.b', 'ü ñ 日本', 'x"y'],
    );
    assert.deepEqual(result.firstPage, [[1, 'é;', 2]]);
    const sorted = await result.page(0, 10, {
      sort: [{ column: 1, direction: 'desc' }],
      filters: [{ column: 0, op: 'equals', value: '1' }],
    });
    assert.deepEqual(sorted.rows, [[1, 'é;', 2]]);
    assert.ok(changes.some((c) => c.databases === 'all' || c.databases.includes('sales')));
  });

  test('DDL notifies the catalog with the databases it touched', async () => {
    const s = await session();
    changes.length = 0;
    await s.run('CREATE TABLE crm.main.notes (n INT); SELECT 1');
    assert.deepEqual(changes, [{ databases: ['sales', 'crm'] }]);
  });

  test('a session is busy while running and refuses a second run', async () => {
    const s = await session();
    const iter = s.runIter('SELECT 1; SELECT 2');
    await iter.next();
    await assert.rejects(s.run('SELECT 3'), (e) => isEngineError(e, 'SESSION_BUSY'));
    for await (const o of iter) void o;
    assert.equal((await s.run('SELECT 3')).error, undefined);
  });

  test('closed sessions refuse work and release their results', async () => {
    const s = await session();
    const result = rows((await s.run('SELECT 1')).outcomes[0]);
    await s.close();
    await s.close();
    await assert.rejects(s.run('SELECT 1'), (e) => isEngineError(e, 'SESSION_CLOSED'));
    await assert.rejects(result.page(0, 1), (e) => isEngineError(e, 'RESULT_NOT_FOUND'));
  });
});

describe('files outside the allowed folders', () => {
  test('SQL naming a file outside them is refused with FILE_NOT_ALLOWED; the rest of the script does not run', async () => {
    const s = await session();
    const resultsFile = path.join(warehouse.spaceDir, 'system', 'mdw_results.duckdb');
    const relative = path.relative(process.cwd(), path.join(warehouse.dir, 'warehouse.json'));
    const attempts = [
      `SELECT * FROM read_csv(${quoteString(path.join(warehouse.dir, 'warehouse.json'))})`,
      `COPY (SELECT 1) TO ${quoteString(path.join(warehouse.dir, 'x.csv'))}`,
      `SELECT * FROM read_csv(['/nonexistent.csv', ${quoteString(relative)}])`,
      `SELECT * FROM glob(${quoteString(path.join(path.dirname(warehouse.dir), '*', 'spaces', '**'))})`,
      `SELECT * FROM read_text(E${quoteString(warehouse.dir.replaceAll('/', '\\x2F') + '\\x2Fwarehouse.json')})`,
      `SELECT * FROM read_text($p$${warehouse.dir}/warehouse.json$p$)`,
    ];
    for (const sql of attempts) {
      const r = await s.run(`SELECT 1; ${sql}; SELECT 2`);
      assert.equal(r.error?.code, 'FILE_NOT_ALLOWED', `${sql}: ${r.error?.message}`);
      assert.match(r.error!.message, /allowed folders|no other folder is allowed/, sql);
      assert.deepEqual(
        r.outcomes.map((o) => o.status),
        ['rows', 'error', 'notRun'],
        sql,
      );
    }
    // The results and kept-results databases are the warehouse's own: SQL may not name them, even inside the space.
    for (const db of ['mdw_results', 'mdw_kept', 'MDW_KEPT']) {
      const named = await s.run(`SELECT * FROM ${db}.main.anything`);
      assert.equal(named.error?.code, 'INTERNAL_FILE_REFUSED', db);
    }
    // Attaching a second copy of the open results file inside the space is DuckDB's own refusal.
    assert.notEqual((await s.run(`ATTACH ${quoteString(resultsFile)} AS stolen`)).error, undefined);
    const outside = path.join(tmp, 'outside.csv');
    fs.writeFileSync(outside, 'a,b\n1,2\n');
    const refused = await s.run(`SELECT * FROM read_csv(${quoteString(outside)})`);
    assert.equal(refused.error?.code, 'FILE_NOT_ALLOWED');
    assert.ok(refused.error!.message.includes(outside), refused.error!.message);
  });
});

describe('kept results', () => {
  let s: Session;
  let big: KeptResult;
  before(async () => {
    s = await session({ database: 'sales', pageSize: 500 });
    big = rows((await s.run('SELECT * FROM big')).outcomes[0]);
  });

  test('the first page comes with the outcome; the rest is kept in DuckDB', async () => {
    assert.equal(big.firstPage.length, 500);
    assert.deepEqual(
      big.columns.map((c) => [c.name, c.type, c.kind]),
      [
        ['id', 'BIGINT', 'integer'],
        ['name', 'VARCHAR', 'text'],
        ['bucket', 'BIGINT', 'integer'],
        ['amount', 'DOUBLE', 'float'],
      ],
    );
    await big.whenComplete();
    assert.equal(big.summary().complete, true);
    assert.equal(big.summary().rowCount, 300000);
    assert.ok(s.result(big.id) === big);
  });

  test('pages at any offset match the source rows', async () => {
    await big.whenComplete();
    for (const offset of [0, 2047, 2048, 150000, 299990]) {
      const page = await big.page(offset, 20);
      const expected = Math.min(20, 300000 - offset);
      assert.equal(page.rows.length, expected);
      assert.deepEqual(
        page.rows.map((r) => r[0]),
        Array.from({ length: expected }, (_, i) => String(offset + i)),
      );
      assert.equal(page.totalRows, 300000);
    }
    assert.deepEqual((await big.page(300000, 10)).rows, []);
    await assert.rejects(big.page(-1, 10), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
    await assert.rejects(big.page(0, 1e9), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
  });

  test('sort and filters agree with the same query run directly in DuckDB', async () => {
    const view = {
      sort: [{ column: 1, direction: 'desc' as const }],
      filters: [
        { column: 2, op: 'range' as const, min: '10', max: '20' },
        { column: 1, op: 'contains' as const, value: 'AB' },
      ],
    };
    const expected = await direct(
      `SELECT id::VARCHAR FROM sales.main.big WHERE bucket BETWEEN 10 AND 20 AND contains(lower(name), 'ab') ORDER BY name DESC NULLS LAST, id`,
    );
    const first = await big.page(0, 50, view);
    assert.equal(first.totalRows, expected.length);
    assert.deepEqual(
      first.rows.map((r) => r[0]),
      expected.slice(0, 50).map((r) => r[0]),
    );
    const later = await big.page(700, 50, view);
    assert.deepEqual(
      later.rows.map((r) => r[0]),
      expected.slice(700, 750).map((r) => r[0]),
    );

    const nulls = await big.page(0, 5, { filters: [{ column: 2, op: 'isNull' }] });
    assert.equal(
      nulls.totalRows,
      Number((await direct('SELECT count(*) FROM sales.main.big WHERE bucket IS NULL'))[0]![0]),
    );
    assert.ok(nulls.rows.every((r) => r[2] === null));
    const notNull = await big.page(0, 1, { filters: [{ column: 2, op: 'notNull' }] });
    assert.equal(notNull.totalRows + nulls.totalRows, 300000);
    const eq = await big.page(0, 10, { filters: [{ column: 0, op: 'equals', value: '123' }] });
    assert.deepEqual(
      eq.rows.map((r) => r[0]),
      ['123'],
    );

    const asc = await big.page(0, 3, {
      sort: [
        { column: 2, direction: 'asc' },
        { column: 0, direction: 'desc' },
      ],
    });
    const expectAsc = await direct(
      'SELECT id::VARCHAR FROM sales.main.big ORDER BY bucket ASC NULLS LAST, id DESC LIMIT 3',
    );
    assert.deepEqual(
      asc.rows.map((r) => r[0]),
      expectAsc.map((r) => r[0]),
    );
    const end = await big.page(299998, 5, { sort: [{ column: 2, direction: 'asc' }] });
    assert.deepEqual(
      end.rows.map((r) => r[2]),
      [null, null],
    );
  });

  test('bad filter values and columns are clear errors', async () => {
    await assert.rejects(big.page(0, 5, { filters: [{ column: 0, op: 'equals', value: 'abc' }] }), (e) =>
      isEngineError(e, 'INVALID_ARGUMENT'),
    );
    await assert.rejects(big.page(0, 5, { sort: [{ column: 9, direction: 'asc' }] }), (e) =>
      isEngineError(e, 'INVALID_ARGUMENT'),
    );
    assert.equal((await big.page(0, 1)).rows.length, 1);
  });

  test('column statistics are computed by DuckDB', async () => {
    const stats = await big.stats(2);
    const [[count, nulls, min, max, mean]] = await direct(
      'SELECT count(bucket), count(*) - count(bucket), min(bucket)::VARCHAR, max(bucket)::VARCHAR, avg(bucket) FROM sales.main.big',
    );
    assert.equal(stats.count, Number(count));
    assert.equal(stats.nulls, Number(nulls));
    assert.equal(stats.min, min);
    assert.equal(stats.max, max);
    assert.ok(Math.abs(stats.mean! - Number(mean)) < 1e-9);
    assert.equal(
      stats.histogram.reduce((sum, b) => sum + b.count, 0),
      stats.count,
    );
    const text = await big.stats(1, { filters: [{ column: 0, op: 'range', max: '9' }] });
    assert.equal(text.count, 10);
    assert.equal(text.histogram.length, 10);
  });

  test('a session keeps a bounded number of results and drops the oldest', async () => {
    const small = await session({ database: 'sales', maxResults: 2 });
    const r = await small.run('SELECT 1; SELECT 2; SELECT 3');
    const [first, , third] = r.outcomes.map(rows);
    await assert.rejects(first!.page(0, 1), (e) => isEngineError(e, 'RESULT_NOT_FOUND'));
    assert.throws(
      () => small.result(first!.id),
      (e) => isEngineError(e, 'RESULT_NOT_FOUND'),
    );
    assert.deepEqual((await third!.page(0, 1)).rows, [[3]]);
  });

  test('stream pitfall: later statements never cut a result short', async () => {
    const s2 = await session({ database: 'sales', pageSize: 10 });
    const r = await s2.run(
      'SELECT id FROM big; SELECT count(*) FROM big; SELECT id FROM big WHERE id < 5000',
    );
    const [a, b, c] = r.outcomes.map(rows);
    await c!.whenComplete();
    assert.equal(a!.rowCount, 300000);
    assert.deepEqual(b!.firstPage, [['300000']]);
    assert.equal(c!.rowCount, 5000);
    assert.deepEqual((await a!.page(299999, 1)).rows, [['299999']]);
    const iter = s2.runIter('SELECT id FROM big');
    const first = rows((await iter.next()).value as StatementOutcome);
    const during = await first.page(0, 3);
    assert.deepEqual(
      during.rows.map((x) => x[0]),
      ['0', '1', '2'],
    );
    await first.whenComplete();
    assert.equal(first.rowCount, 300000);
    await iter.return(undefined);
  });

  test('export of a kept result and of a query, formats from the extension', async () => {
    const out = path.join(tmp, 'exports');
    fs.mkdirSync(out, { recursive: true });
    const view = { filters: [{ column: 0, op: 'range' as const, max: '99' }] };
    assert.deepEqual(await s.export(big, path.join(out, 'a.csv'), view), {
      rows: 100,
      file: path.join(out, 'a.csv'),
    });
    assert.equal(fs.readFileSync(path.join(out, 'a.csv'), 'utf8').split('\n')[0], 'id,name,bucket,amount');
    assert.equal((await s.export(big, path.join(out, 'a.parquet'))).rows, 300000);
    // The exports folder is not one SQL may use: the engine wrote there for the user, DuckDB reads it elsewhere.
    const [[n]] = await plainRows(
      `SELECT count(*) FROM read_parquet(${quoteString(path.join(out, 'a.parquet'))})`,
    );
    assert.equal(Number(n), 300000);
    await s.export("SELECT 1 AS a, 'x' AS b;", path.join(out, 'q.json'));
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'q.json'), 'utf8')), [{ a: 1, b: 'x' }]);
    await s.export('SELECT 1 AS a UNION ALL SELECT 2', path.join(out, 'q.ndjson'));
    assert.equal(fs.readFileSync(path.join(out, 'q.ndjson'), 'utf8').trim().split('\n').length, 2);
    await assert.rejects(s.export('SELECT 1', path.join(out, 'q.xlsx')), (e) =>
      isEngineError(e, 'INVALID_ARGUMENT'),
    );
    await assert.rejects(s.export('SELECT 1; SELECT 2', path.join(out, 'q.csv')), (e) =>
      isEngineError(e, 'INVALID_ARGUMENT'),
    );
    await assert.rejects(s.export('SELECT 1', path.join(warehouse.dir, 'q.csv')), (e) =>
      isEngineError(e, 'FILE_NOT_ALLOWED'),
    );
    assert.equal(fs.existsSync(path.join(warehouse.dir, 'q.csv')), false);
    assert.deepEqual(fs.readdirSync(path.join(warehouse.spaceDir, 'system', 'staging')), []);
    await assert.rejects(s.export('SELECT * FROM nope', path.join(out, 'q.csv')), (e) =>
      isEngineError(e, 'SQL_CATALOG'),
    );
    await assert.rejects(s.export('SELECT 1', path.join(out, 'missing', 'dir', 'q.csv')), (e) =>
      isEngineError(e, 'EXPORT_FAILED'),
    );
  });
});

describe('cancel', () => {
  test('a cancel that comes before DuckDB starts executing the statement still stops it', async () => {
    const s = await session();
    // Each delay lands the cancel at another point: before the run starts a statement, while DuckDB extracts
    // or prepares it (an interrupt DuckDB would forget), or while it runs. None may let the statement go on.
    for (const delay of [0, 0, 1, 1, 2, 3, 5, 10]) {
      const running = s.run(
        'SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000) b; SELECT 3',
      );
      await new Promise((resolve) => (delay === 0 ? setImmediate(resolve) : setTimeout(resolve, delay)));
      s.cancel();
      const r = await running;
      const [first, second] = r.outcomes;
      assert.ok(
        first?.status === 'notRun' || (first?.status === 'error' && first.error.code === 'INTERRUPTED'),
        `delay ${delay}: ${first?.status}`,
      );
      assert.equal(second?.status, 'notRun');
    }
    assert.deepEqual(rows((await s.run('SELECT 42')).outcomes[0]).firstPage, [[42]]);
  });

  test('cancel stops a long statement and leaves the session usable', async () => {
    const s = await session();
    const running = s.run('SELECT 1; SELECT sum(hash(i)) FROM range(20000000000) t(i); SELECT 3');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(s.busy, true);
    s.cancel();
    const r = await running;
    assert.deepEqual(
      r.outcomes.map((o) => o.status),
      ['rows', 'error', 'notRun'],
    );
    assert.equal(r.error?.code, 'INTERRUPTED');
    assert.deepEqual(rows((await s.run('SELECT 42')).outcomes[0]).firstPage, [[42]]);
  });

  test('cancel while a result is being kept marks it cancelled with the rows so far', async () => {
    const s = await session({ database: 'sales', pageSize: 10 });
    const iter = s.runIter('SELECT i, md5(i::VARCHAR) FROM range(200000000) t(i); SELECT 2');
    const result = rows((await iter.next()).value as StatementOutcome);
    s.cancel();
    await result.whenComplete();
    assert.equal(result.cancelled, true);
    assert.ok(result.rowCount < 200000000);
    const rest: StatementOutcome[] = [];
    for await (const o of iter) rest.push(o);
    assert.deepEqual(
      rest.map((o) => o.status),
      ['notRun'],
    );
    assert.deepEqual(
      (await result.page(0, 2)).rows.map((r) => r[0]),
      ['0', '1'],
    );
    assert.deepEqual(rows((await s.run('SELECT 7')).outcomes[0]).firstPage, [[7]]);
  });
});

describe('transactions', () => {
  test('BEGIN and COMMIT across runs', async () => {
    const s = await session();
    await s.run('CREATE TABLE tx1 (a INT)');
    assert.deepEqual((await s.run('BEGIN; INSERT INTO tx1 VALUES (1)')).transaction, {
      open: true,
      aborted: false,
    });
    const other = await session();
    assert.deepEqual(rows((await other.run('SELECT count(*) FROM tx1')).outcomes[0]).firstPage, [['0']]);
    assert.deepEqual((await s.run('COMMIT')).transaction, { open: false, aborted: false });
    assert.deepEqual(rows((await other.run('SELECT count(*) FROM tx1')).outcomes[0]).firstPage, [['1']]);
    await s.run('BEGIN; INSERT INTO tx1 VALUES (2)');
    await s.run('ROLLBACK');
    assert.deepEqual(rows((await other.run('SELECT count(*) FROM tx1')).outcomes[0]).firstPage, [['1']]);
  });

  test('a conflict aborts the transaction and COMMIT says so instead of rolling back silently', async () => {
    const a = await session();
    const b = await session();
    await a.run("CREATE TABLE acct (id INT PRIMARY KEY, v VARCHAR); INSERT INTO acct VALUES (1, 'start')");
    await a.run("BEGIN; UPDATE acct SET v = 'a' WHERE id = 1");
    await b.run('BEGIN');
    const conflict = await b.run("UPDATE acct SET v = 'b' WHERE id = 1");
    assert.equal(conflict.error?.code, 'TRANSACTION_CONFLICT');
    assert.deepEqual(conflict.transaction, { open: true, aborted: true });
    assert.deepEqual(b.transaction, { open: true, aborted: true });
    const commit = await b.run('COMMIT');
    assert.equal(commit.error?.code, 'TRANSACTION_ABORTED');
    assert.match(commit.error!.message, /aborted.*Conflict on update/s);
    assert.deepEqual(commit.transaction, { open: false, aborted: false });
    assert.equal((await a.run('COMMIT')).error, undefined);
    assert.deepEqual(rows((await b.run('SELECT v FROM acct')).outcomes[0]).firstPage, [['a']]);
  });

  test('a constraint error inside a transaction aborts it; a catalog error does not', async () => {
    const s = await session();
    await s.run('CREATE TABLE uq (id INT PRIMARY KEY); INSERT INTO uq VALUES (1)');
    const r = await s.run('BEGIN; SELECT * FROM no_such_table');
    assert.deepEqual(r.transaction, { open: true, aborted: false });
    const dup = await s.run('INSERT INTO uq VALUES (1)');
    assert.equal(dup.error?.code, 'SQL_CONSTRAINT');
    assert.deepEqual(dup.transaction, { open: true, aborted: true });
    assert.equal((await s.run('SELECT 1')).error?.code, 'TRANSACTION_ABORTED');
    assert.equal((await s.run('ROLLBACK')).error, undefined);
    assert.deepEqual(s.transaction, { open: false, aborted: false });
  });
});

describe('keeping and views at scale', () => {
  /** The first `n` kept rows, read from the kept table (past the cached first page). */
  async function keptHead(result: KeptResult, n: number): Promise<unknown[][]> {
    return (await result.page(0, n + 1)).rows.slice(0, n);
  }

  test('a re-runnable SELECT is kept whole and its kept rows start with the page shown', async () => {
    const s = await session({ database: 'sales', pageSize: 100 });
    const iter = s.runIter('SELECT id, name FROM big WHERE id % 3 = 0');
    const result = rows((await iter.next()).value as StatementOutcome);
    const shown = structuredClone(result.firstPage);
    for await (const o of iter) void o;
    await result.whenComplete();
    assert.equal(result.error, undefined);
    assert.equal(result.rowCount, 100000);
    assert.deepEqual(await keptHead(result, 100), shown);
    assert.deepEqual((await result.page(99990, 10)).rows.at(-1), [
      '299997',
      (await direct(`SELECT md5('299997')`))[0]![0],
    ]);
  });

  test('other statement forms and statements inside a transaction are kept whole too', async () => {
    const s = await session({ database: 'sales', pageSize: 2 });
    const described = rows((await s.run('DESCRIBE big')).outcomes[0]);
    await described.whenComplete();
    assert.equal(described.error, undefined);
    assert.equal(described.rowCount, 4);
    const nulls = rows((await s.run('SELECT NULL AS n FROM range(10)')).outcomes[0]);
    await nulls.whenComplete();
    assert.equal(nulls.rowCount, 10);
    assert.deepEqual((await nulls.page(8, 2)).rows, [[null], [null]]);
    const r = await s.run('BEGIN; SELECT id FROM big WHERE id < 5000');
    const inTx = rows(r.outcomes[1]);
    await inTx.whenComplete();
    assert.equal(inTx.rowCount, 5000);
    assert.deepEqual((await inTx.page(4999, 1)).rows, [['4999']]);
    assert.deepEqual((await s.run('COMMIT')).transaction, { open: false, aborted: false });
  });

  test('a statement with a volatile function runs once: the kept rows are the rows shown', async () => {
    const s = await session({ database: 'sales', pageSize: 50 });
    const iter = s.runIter('SELECT random() AS r, i FROM range(20000) t(i)');
    const result = rows((await iter.next()).value as StatementOutcome);
    const shown = structuredClone(result.firstPage);
    for await (const o of iter) void o;
    await result.whenComplete();
    assert.equal(result.rowCount, 20000);
    assert.deepEqual(await keptHead(result, 50), shown);
  });

  test('when a view hides a run-dependent result, the kept rows become the first page', async () => {
    const s = await session({ database: 'sales', pageSize: 50 });
    await s.run('CREATE VIEW noisy AS SELECT random() AS r, i FROM range(20000) t(i)');
    const iter = s.runIter('SELECT * FROM noisy');
    const result = rows((await iter.next()).value as StatementOutcome);
    for await (const o of iter) void o;
    await result.whenComplete();
    assert.equal(result.rowCount, 20000);
    assert.deepEqual(await keptHead(result, 50), result.firstPage);
    assert.deepEqual((await result.page(0, 50)).rows, result.firstPage);
  });

  test('sorted pages are right while the sorted copy builds and after it is built', async () => {
    const s = await session({ database: 'sales', pageSize: 100 });
    const result = rows((await s.run('SELECT * FROM big')).outcomes[0]);
    await result.whenComplete();
    const view = { sort: [{ column: 1, direction: 'desc' as const }] };
    const expected = await direct('SELECT id::VARCHAR FROM sales.main.big ORDER BY name DESC NULLS LAST, id');
    const ids = (page: { rows: unknown[][] }): unknown[] => page.rows.map((r) => r[0]);
    const first = await result.page(0, 100, view);
    assert.deepEqual(result.viewCopies, { building: 1, built: 0 });
    assert.deepEqual(
      ids(first),
      expected.slice(0, 100).map((r) => r[0]),
    );
    assert.equal(first.totalRows, 300000);
    const second = await result.page(100, 100, view);
    assert.deepEqual(
      ids(second),
      expected.slice(100, 200).map((r) => r[0]),
    );
    const deep = await result.page(150000, 100, view);
    assert.deepEqual(
      ids(deep),
      expected.slice(150000, 150100).map((r) => r[0]),
    );
    await result.whenViewBuilt(view);
    assert.deepEqual(result.viewCopies, { building: 0, built: 1 });
    assert.deepEqual(ids(await result.page(0, 100, view)), ids(first));
    assert.deepEqual(
      ids(await result.page(299950, 100, view)),
      expected.slice(299950).map((r) => r[0]),
    );
  });

  test('filtered pages and counts are right before and after the filtered copy is built', async () => {
    const s = await session({ database: 'sales', pageSize: 100 });
    const result = rows((await s.run('SELECT * FROM big')).outcomes[0]);
    await result.whenComplete();
    const view = { filters: [{ column: 1, op: 'contains' as const, value: 'a1' }] };
    const expected = await direct(
      `SELECT id::VARCHAR FROM sales.main.big WHERE contains(lower(name), 'a1') ORDER BY id`,
    );
    const first = await result.page(0, 100, view);
    assert.equal(first.totalRows, expected.length);
    assert.deepEqual(
      first.rows.map((r) => r[0]),
      expected.slice(0, 100).map((r) => r[0]),
    );
    await result.whenViewBuilt(view);
    assert.deepEqual(result.viewCopies, { building: 0, built: 1 });
    const middle = Math.floor(expected.length / 2);
    const later = await result.page(middle, 100, view);
    assert.equal(later.totalRows, expected.length);
    assert.deepEqual(
      later.rows.map((r) => r[0]),
      expected.slice(middle, middle + 100).map((r) => r[0]),
    );
    const exported = await result.viewQuery(view);
    assert.equal(Number((await direct(`SELECT count(*) FROM (${exported})`))[0]![0]), expected.length);
  });

  test('releasing a result while its sorted copy builds stops the build and leaves no table behind', async () => {
    const s = await session({ database: 'sales', pageSize: 100 });
    const result = rows((await s.run('SELECT * FROM big CROSS JOIN range(20) r(k)')).outcomes[0]);
    await result.whenComplete();
    const view = {
      sort: [
        { column: 1, direction: 'asc' as const },
        { column: 4, direction: 'desc' as const },
      ],
    };
    await result.page(0, 10, view);
    assert.deepEqual(result.viewCopies, { building: 1, built: 0 });
    await result.release();
    await result.whenViewBuilt(view);
    await assert.rejects(result.page(0, 10, view), (e) => isEngineError(e, 'RESULT_NOT_FOUND'));
    const [, schema, table] = /^"[^"]+"\."([^"]+)"\."([^"]+)"$/.exec(result.tableName)!;
    const left = await direct(
      `SELECT table_name FROM duckdb_tables() WHERE schema_name = '${schema}' AND starts_with(table_name, '${table}')`,
    );
    assert.deepEqual(left, []);
  });
});
