import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Warehouse } from '../../src/engine/warehouse.js';
import { Session } from '../../src/engine/query/session.js';
import type { KeptResult } from '../../src/engine/query/keptResult.js';
import { isEngineError } from '../../src/engine/errors.js';
import { quoteString } from '../../src/engine/names.js';
import type { Cell } from '../../src/shared/results.js';
import { plainRows } from '../support/plainDuckdb.js';

let tmp: string;
let warehouse: Warehouse;
const sessions: Session[] = [];

async function session(options: Parameters<typeof Session.open>[1] = { database: 'data' }): Promise<Session> {
  const s = await Session.open(warehouse, options);
  sessions.push(s);
  return s;
}

async function query(s: Session, sql: string): Promise<KeptResult> {
  const run = await s.run(sql);
  const o = run.outcomes.at(-1);
  assert.ok(o?.status === 'rows', `expected rows, got ${run.error?.message ?? o?.status}`);
  await o.result.whenComplete();
  return o.result;
}

async function allRows(r: KeptResult): Promise<Cell[][]> {
  return (await r.page(0, 100_000)).rows;
}

/** Rows as sorted JSON lines, for comparisons that ignore order. */
function bag(rows: readonly (readonly unknown[])[]): string[] {
  return rows
    .map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)))
    .sort();
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-compare-'));
  warehouse = await Warehouse.open(path.join(tmp, 'wh'));
  await warehouse.withConnection(async (c) => {
    await c.run(`ATTACH ${quoteString(warehouse.databaseFile('data'))} AS data`);
    await c.run(
      `CREATE TABLE data.main.a AS SELECT * FROM (VALUES (1, 'x'), (1, 'x'), (1, 'x'), (2, NULL), (NULL, NULL), (3, 'y')) t(n, "we""ird")`,
    );
    await c.run(
      `CREATE TABLE data.main.b AS SELECT * FROM (VALUES (1, 'x'), (2, NULL), (NULL, NULL), (NULL, NULL), (4, 'z')) t(n, "we""ird")`,
    );
    await c.run(
      `CREATE TABLE data.main.ka AS SELECT * FROM (VALUES (1, 'a', 10), (2, 'b', 20), (NULL, 'n', 30), (4, NULL, 40), (5, 'e', 50), (7, NULL, 70)) t(id, v, w)`,
    );
    await c.run(
      `CREATE TABLE data.main.kb AS SELECT * FROM (VALUES (1, 'a', 10), (2, 'B', 20), (NULL, 'n2', 30), (4, NULL, 40), (6, 'f', 60), (7, 'x', 70)) t(id, v, w)`,
    );
  });
});

after(async () => {
  for (const s of sessions) await s.close();
  await warehouse.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('compare', () => {
  test('whole rows: a multiset difference, duplicates counted and NULLs equal (as EXCEPT ALL)', async () => {
    const s = await session();
    const a = await query(s, 'SELECT * FROM a');
    const b = await query(s, 'SELECT * FROM b');
    const { result, counts, keys } = await s.compare(a.id, b.id);
    assert.deepEqual(keys, []);
    assert.deepEqual(counts, { onlyInA: 3, onlyInB: 2, changed: 0, duplicateKeys: { a: 0, b: 0 } });
    assert.deepEqual(
      result.columns.map((c) => [c.name, c.type]),
      [
        ['_diff', 'VARCHAR'],
        ['n', 'INTEGER'],
        ['we"ird', 'VARCHAR'],
      ],
    );
    assert.equal(result.summary().rowCount, 5);
    assert.ok(result.complete);
    assert.deepEqual(
      bag(await allRows(result)),
      bag([
        ['only in A', 1, 'x'],
        ['only in A', 1, 'x'],
        ['only in A', 3, 'y'],
        ['only in B', null, null],
        ['only in B', 4, 'z'],
      ]),
    );
    // The same rows as DuckDB's own EXCEPT ALL both ways.
    const except = await plainRows(
      `CREATE TABLE a AS SELECT * FROM (VALUES (1, 'x'), (1, 'x'), (1, 'x'), (2, NULL), (NULL, NULL), (3, 'y')) t(n, s);
       CREATE TABLE b AS SELECT * FROM (VALUES (1, 'x'), (2, NULL), (NULL, NULL), (NULL, NULL), (4, 'z')) t(n, s);
       SELECT 'only in A', * FROM (FROM a EXCEPT ALL FROM b) UNION ALL SELECT 'only in B', * FROM (FROM b EXCEPT ALL FROM a)`,
    );
    assert.deepEqual(bag(await allRows(result)), bag(except));
  });

  test('identical results compare to no rows', async () => {
    const s = await session();
    const a = await query(s, 'SELECT * FROM a');
    const again = await query(s, 'SELECT * FROM a');
    const { result, counts } = await s.compare(a.id, again.id);
    assert.deepEqual(counts, { onlyInA: 0, onlyInB: 0, changed: 0, duplicateKeys: { a: 0, b: 0 } });
    assert.equal(result.summary().rowCount, 0);
    assert.deepEqual(await allRows(result), []);
  });

  test('keys: full outer join with NULL keys matching; changed pairs sit together, A before B', async () => {
    const s = await session();
    const a = await query(s, 'SELECT * FROM ka');
    const b = await query(s, 'SELECT * FROM kb');
    const { result, counts, keys } = await s.compare(a.id, b.id, { keys: ['ID'] });
    assert.deepEqual(keys, ['id']);
    assert.deepEqual(counts, { onlyInA: 1, onlyInB: 1, changed: 3, duplicateKeys: { a: 0, b: 0 } });
    // id 4 (NULL v on both sides) is the same; id 7 (NULL against 'x') changed.
    assert.deepEqual(await allRows(result), [
      ['changed (A)', 2, 'b', 20],
      ['changed (B)', 2, 'B', 20],
      ['only in A', 5, 'e', 50],
      ['only in B', 6, 'f', 60],
      ['changed (A)', 7, null, 70],
      ['changed (B)', 7, 'x', 70],
      ['changed (A)', null, 'n', 30],
      ['changed (B)', null, 'n2', 30],
    ]);
  });

  test('several keys; a key column that changes makes a row only in A and one only in B', async () => {
    const s = await session();
    const a = await query(s, 'SELECT * FROM ka');
    const b = await query(s, 'SELECT * FROM kb');
    const { counts } = await s.compare(a.id, b.id, { keys: ['id', 'v'] });
    // Matched on (id, v): (1,a) and (4,NULL) match and agree on w; every other row is on one side only.
    assert.deepEqual(counts, { onlyInA: 4, onlyInB: 4, changed: 0, duplicateKeys: { a: 0, b: 0 } });
  });

  test('duplicate keys are counted and matched pair by pair', async () => {
    const s = await session();
    const a = await query(s, 'SELECT * FROM (VALUES (1, 1), (1, 2), (2, 5)) t(k, v)');
    const b = await query(s, 'SELECT * FROM (VALUES (1, 1), (2, 5), (2, 6)) t(k, v)');
    const { counts, result } = await s.compare(a.id, b.id, { keys: ['k'] });
    assert.deepEqual(counts.duplicateKeys, { a: 1, b: 1 });
    // k=1: A(1,2)~B(1,1) differ; k=2: A(2,5)~B(2,6) differ.
    assert.equal(counts.changed, 2);
    assert.equal(result.summary().rowCount, 4);
  });

  test('columns must match by name and type: the error names each difference', async () => {
    const s = await session();
    const a = await query(s, 'SELECT 1 AS id, 2 AS x, 3 AS y');
    const b = await query(s, "SELECT 1 AS id, 'two' AS x, 3 AS z");
    await assert.rejects(s.compare(a.id, b.id), (e) => {
      assert.ok(isEngineError(e, 'COLUMNS_MISMATCH'), String(e));
      assert.match(e.message, /"x" \(A: INTEGER, B: VARCHAR\)/);
      assert.match(e.message, /only in A: "y"/);
      assert.match(e.message, /only in B: "z"/);
      return true;
    });
    await assert.rejects(s.compare(a.id, a.id, { keys: ['nope'] }), (e) =>
      isEngineError(e, 'INVALID_ARGUMENT'),
    );
    await assert.rejects(s.compare(a.id, 'missing'), (e) => isEngineError(e, 'RESULT_NOT_FOUND'));
  });

  test('columns in another order are matched by name; the differences keep A’s order', async () => {
    const s = await session();
    const a = await query(s, 'SELECT 1 AS id, 2 AS x');
    const b = await query(s, 'SELECT 3 AS x, 1 AS id');
    const { result, counts } = await s.compare(a.id, b.id, { keys: ['id'] });
    assert.equal(counts.changed, 1);
    assert.deepEqual(await allRows(result), [
      ['changed (A)', 1, 2],
      ['changed (B)', 1, 3],
    ]);
  });

  test('the differences are a kept result: sort, filter, stats and export work on them', async () => {
    const s = await session();
    const a = await query(s, 'SELECT * FROM ka');
    const b = await query(s, 'SELECT * FROM kb');
    const { result } = await s.compare(a.id, b.id, { keys: ['id'] });
    assert.equal(s.result(result.id), result);
    const filtered = await result.page(0, 100, {
      filters: [{ column: 0, op: 'equals', value: 'changed (B)' }],
    });
    assert.deepEqual(
      filtered.rows.map((r) => r[2]),
      ['B', 'x', 'n2'],
    );
    const sorted = await result.page(0, 2, { sort: [{ column: 3, direction: 'desc' }] });
    assert.deepEqual(
      sorted.rows.map((r) => r[3]),
      [70, 70],
    );
    const stats = await result.stats(0);
    assert.equal(stats.count, 8);
    const file = path.join(tmp, 'diff.csv');
    assert.equal((await s.export(result, file)).rows, 8);
    assert.match(fs.readFileSync(file, 'utf8'), /^_diff,id,v,w\n/);
  });

  test('a column already named _diff gets _diff_1', async () => {
    const s = await session();
    const a = await query(s, 'SELECT 1 AS _diff');
    const b = await query(s, 'SELECT 2 AS _diff');
    const { result } = await s.compare(a.id, b.id);
    assert.deepEqual(
      result.columns.map((c) => c.name),
      ['_diff_1', '_diff'],
    );
  });

  test('an aborted compare ends with INTERRUPTED; the session compares afterwards', async () => {
    const s = await session();
    const a = await query(s, 'SELECT i, i % 97 AS m FROM range(1000000) t(i)');
    const b = await query(s, 'SELECT i, i % 89 AS m FROM range(1000000) t(i)');
    const controller = new AbortController();
    const pending = s.compare(a.id, b.id, { signal: controller.signal });
    setImmediate(() => controller.abort());
    await assert.rejects(pending, (e) => isEngineError(e, 'INTERRUPTED'));
    // The session still compares afterwards.
    const { counts } = await s.compare(a.id, a.id);
    assert.equal(counts.onlyInA, 0);
  });
});

describe('pins', () => {
  test('a pinned result outlives the session’s bound on results and later runs, until unpinned', async () => {
    const s = await session({ database: 'data', maxResults: 2 });
    const first = await query(s, 'SELECT * FROM ka');
    const pin = await s.pin(first.id, '  before the fix ');
    assert.equal(pin.name, 'before the fix');
    for (let i = 0; i < 4; i++) await query(s, `SELECT ${i} AS i`);
    assert.equal(s.result(first.id), first);
    assert.equal((await first.page(0, 10)).rows.length, 6);
    assert.deepEqual(
      (await s.pinned()).map((p) => [p.name, p.result.id]),
      [['before the fix', first.id]],
    );
    const after = await query(s, 'SELECT * FROM kb');
    const { counts } = await s.compare(first.id, after.id, { keys: ['id'] });
    assert.equal(counts.changed, 3);
    assert.ok(await s.unpin(first.id));
    assert.equal(await s.unpin(first.id), false);
    assert.deepEqual(await s.pinned(), []);
    assert.throws(
      () => s.result(first.id),
      (e) => isEngineError(e, 'RESULT_NOT_FOUND'),
    );
  });

  test('pin names: non-empty, no control characters, unique ignoring case; pinning again renames', async () => {
    const s = await session();
    const a = await query(s, 'SELECT 1 AS x');
    const b = await query(s, 'SELECT 2 AS x');
    await assert.rejects(
      () => s.pin(a.id, '   '),
      (e) => isEngineError(e, 'NAME_INVALID'),
    );
    await assert.rejects(
      () => s.pin(a.id, 'a\nb'),
      (e) => isEngineError(e, 'NAME_INVALID'),
    );
    await assert.rejects(
      () => s.pin('nope', 'x'),
      (e) => isEngineError(e, 'RESULT_NOT_FOUND'),
    );
    await s.pin(a.id, 'Baseline');
    await assert.rejects(
      () => s.pin(b.id, 'baseline'),
      (e) => isEngineError(e, 'NAME_TAKEN'),
    );
    await s.pin(a.id, 'renamed');
    await s.pin(b.id, 'baseline');
    assert.deepEqual(
      (await s.pinned()).map((p) => p.name),
      ['renamed', 'baseline'],
    );
  });
});
