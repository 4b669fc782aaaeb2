import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Warehouse } from '../../src/engine/warehouse.js';
import { Session } from '../../src/engine/query/session.js';
import type { Cell, ColumnKind } from '../../src/shared/results.js';

let tmp: string;
let warehouse: Warehouse;
let session: Session;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-values-'));
  warehouse = await Warehouse.open(path.join(tmp, 'wh'));
  session = await Session.open(warehouse);
});

after(async () => {
  await session.close();
  await warehouse.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs `SELECT expr, CAST(expr AS VARCHAR)` and returns the cell, DuckDB's text, type and kind. */
async function probe(
  expr: string,
): Promise<{ cell: Cell; text: string | null; type: string; kind: ColumnKind }> {
  const r = await session.run(`SELECT ${expr} AS v, CAST(${expr} AS VARCHAR) AS s`);
  assert.equal(r.error, undefined, `${expr}: ${r.error?.message}`);
  const o = r.outcomes[0]!;
  assert.ok(o.status === 'rows');
  const [cell, text] = o.result.firstPage[0]!;
  return {
    cell: cell!,
    text: text as string | null,
    type: o.result.columns[0]!.type,
    kind: o.result.columns[0]!.kind,
  };
}

const textTypes: [string, ColumnKind][] = [
  ['(-9223372036854775808)::BIGINT', 'integer'],
  ['18446744073709551615::UBIGINT', 'integer'],
  ['(-170141183460469231731687303715884105728)::HUGEINT', 'integer'],
  ['340282366920938463463374607431768211455::UHUGEINT', 'integer'],
  ["'-123456789012345678901234567890123456789012345'::BIGNUM", 'integer'],
  ['123.450::DECIMAL(10,3)', 'decimal'],
  ['-0.0000000001::DECIMAL(38,10)', 'decimal'],
  ['12345678901234567890.12::DECIMAL(38,2)', 'decimal'],
  ['0.123::DECIMAL(38,38)', 'decimal'],
  ['(-0.123)::DECIMAL(38,38)', 'decimal'],
  ['0::DECIMAL(38,38)', 'decimal'],
  ['0.5::DECIMAL(1,1)', 'decimal'],
  ['(-0.5)::DECIMAL(4,4)', 'decimal'],
  ['0.5::DECIMAL(9,9)', 'decimal'],
  ['0.5::DECIMAL(18,18)', 'decimal'],
  ['0.5::DECIMAL(5,4)', 'decimal'],
  ['(-0.5)::DECIMAL(19,18)', 'decimal'],
  ['-(0.0::DOUBLE)', 'float'],
  ['-(0.0::FLOAT)', 'float'],
  ["'2024-02-29'::DATE", 'temporal'],
  ["'infinity'::DATE", 'temporal'],
  ["'-infinity'::DATE", 'temporal'],
  ["'0044-03-15 (BC)'::DATE", 'temporal'],
  ["'0001-06-01 (BC)'::DATE", 'temporal'],
  ["'0001-01-01 (BC)'::DATE", 'temporal'],
  ["'0001-12-31 (BC)'::DATE", 'temporal'],
  ["'0002-12-31 (BC)'::DATE", 'temporal'],
  ["'0001-01-01'::DATE", 'temporal'],
  ["'0001-06-01 (BC)'::DATE::TIMESTAMP + INTERVAL '10:20:30.5'", 'temporal'],
  ["('0001-06-01 (BC)'::DATE::TIMESTAMP + INTERVAL 10 HOUR)::TIMESTAMP_S", 'temporal'],
  ["('0001-06-01 (BC)'::DATE::TIMESTAMP + INTERVAL 10 HOUR)::TIMESTAMP_MS", 'temporal'],
  ["'0001-06-01 (BC)'::DATE::TIMESTAMPTZ + INTERVAL 10 HOUR", 'temporal'],
  ["'23:59:59.999999'::TIME", 'temporal'],
  ["'12:00:00.123456789'::TIME_NS", 'temporal'],
  ["'12:34:56.789+05:30'::TIMETZ", 'temporal'],
  ["'2024-01-02 03:04:05.123456'::TIMESTAMP", 'temporal'],
  ["'2024-01-02 03:04:05'::TIMESTAMP_S", 'temporal'],
  ["'2024-01-02 03:04:05.12'::TIMESTAMP_MS", 'temporal'],
  ["'2024-01-02 03:04:05.123456789'::TIMESTAMP_NS", 'temporal'],
  ["'infinity'::TIMESTAMP", 'temporal'],
  ["'-infinity'::TIMESTAMP_NS", 'temporal'],
  ["'2024-07-02 03:04:05.5+02'::TIMESTAMPTZ", 'temporal'],
  ["'1800-01-01 00:00:00+00'::TIMESTAMPTZ", 'temporal'],
  ["'-infinity'::TIMESTAMPTZ", 'temporal'],
  ["INTERVAL '1 year 2 months 3 days 04:05:06.789'", 'temporal'],
  ["INTERVAL '-36 hours 1 microsecond'", 'temporal'],
  ["'1a2b3c4d-1111-2222-3333-444455556666'::UUID", 'text'],
  ["'\\xAA\\x00abc'::BLOB", 'binary'],
  ["'010110'::BIT", 'binary'],
  ["'b'::ENUM('a', 'b')", 'text'],
  ['\'{"a": [1, 2.5, null]}\'::JSON', 'text'],
  ["'tab\there, nul-free control \u0001\u001f, quote '' and \" and emoji 😀 and 日本'", 'text'],
];

test("scalars that JSON cannot hold exactly arrive as DuckDB's own VARCHAR text", async () => {
  for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe']) {
    await session.run(`SET TimeZone = '${zone}'`);
    for (const [expr, kind] of textTypes) {
      const p = await probe(expr);
      assert.equal(p.cell, p.text, `${expr} in ${zone}`);
      assert.equal(p.kind, kind, expr);
    }
  }
  await session.run("SET TimeZone = 'UTC'");
});

test('small integers, booleans, floats and NULL', async () => {
  for (const expr of [
    '127::TINYINT',
    '(-32768)::SMALLINT',
    '2147483647::INTEGER',
    '255::UTINYINT',
    '65535::USMALLINT',
    '4294967295::UINTEGER',
  ]) {
    const p = await probe(expr);
    assert.equal(typeof p.cell, 'number');
    assert.equal(String(p.cell), p.text, expr);
    assert.equal(p.kind, 'integer');
  }
  assert.equal((await probe('true')).cell, true);
  assert.equal((await probe('false')).kind, 'boolean');
  for (const expr of [
    '0.1::FLOAT',
    '3.4e38::FLOAT',
    '1e-45::FLOAT',
    '0.1::DOUBLE',
    '1e20::DOUBLE',
    '-1.5e-300::DOUBLE',
    '1/3::DOUBLE',
    '16777217::FLOAT',
  ]) {
    const p = await probe(expr);
    assert.equal(typeof p.cell, 'number', expr);
    assert.equal(p.cell, Number(p.text), `${expr}: ${String(p.cell)} vs ${p.text}`);
    assert.equal(p.kind, 'float');
  }
  for (const [expr, text] of [
    ["'nan'::DOUBLE", 'nan'],
    ["'inf'::FLOAT", 'inf'],
    ["'-inf'::DOUBLE", '-inf'],
  ]) {
    const p = await probe(expr!);
    assert.equal(p.cell, text);
    assert.equal(p.text, text);
  }
  const n = await probe('NULL');
  assert.equal(n.cell, null);
  assert.equal((await probe('NULL::TIMESTAMPTZ')).cell, null);
});

test('nested values keep their shape; their leaves match DuckDB text', async () => {
  await session.run("SET TimeZone = 'Asia/Kolkata'");
  const list = await probe("[TIMESTAMPTZ '2024-01-01 00:00:00+00', NULL, 'infinity']");
  assert.deepEqual(list.cell, ['2024-01-01 05:30:00+05:30', null, 'infinity']);
  assert.equal(list.kind, 'nested');
  const leaves = await session.run(
    "SELECT list_transform([TIMESTAMPTZ '2024-01-01 00:00:00+00', NULL, 'infinity'], x -> CAST(x AS VARCHAR))",
  );
  assert.ok(leaves.outcomes[0]!.status === 'rows');
  assert.deepEqual(leaves.outcomes[0].result.firstPage[0]![0], list.cell);
  await session.run("SET TimeZone = 'UTC'");

  assert.deepEqual((await probe('[1, 2, 3]::INTEGER[3]')).cell, [1, 2, 3]);
  assert.equal((await probe('[1, 2, 3]::INTEGER[3]')).type, 'INTEGER[3]');
  assert.deepEqual((await probe("{'a b': 1::HUGEINT, 'x\"y': [0.5::DECIMAL(4,2)], 'z': {'n': NULL}}")).cell, {
    'a b': '1',
    'x"y': ['0.50'],
    z: { n: null },
  });
  const map = await probe("MAP {'k1': DATE '2024-01-01', 'k2': NULL}");
  assert.deepEqual(map.cell, [
    { key: 'k1', value: '2024-01-01' },
    { key: 'k2', value: null },
  ]);
  assert.equal(map.type, 'MAP(VARCHAR, DATE)');
  const union = await probe("union_value(s := 'hi')::UNION(n INTEGER, s VARCHAR)");
  assert.equal(union.cell, 'hi');
  assert.equal(union.kind, 'nested');
  assert.deepEqual((await probe('union_value(n := 5)::UNION(n INTEGER, s VARCHAR)')).cell, 5);
  assert.deepEqual((await probe('[[1, NULL], []]')).cell, [[1, null], []]);
  const json = await probe("'[1,2]'::JSON");
  assert.equal(json.type, 'JSON');
});

test('every type survives being kept and paged back out of DuckDB', async () => {
  const exprs = textTypes
    .map(([e]) => e)
    .concat([
      '[1,2]',
      "{'a': 1}",
      "MAP {'k': 1}",
      'union_value(n := 5)::UNION(n INTEGER, s VARCHAR)',
      "'nan'::FLOAT",
      'NULL',
    ]);
  const r = await session.run(`SELECT ${exprs.map((e, i) => `${e} AS c${i}`).join(', ')} FROM range(3000)`);
  assert.equal(r.error, undefined, r.error?.message);
  assert.ok(r.outcomes[0]!.status === 'rows');
  const result = r.outcomes[0].result;
  await result.whenComplete();
  assert.equal(result.rowCount, 3000);
  const page = await result.page(2999, 1);
  assert.deepEqual(page.rows[0], result.firstPage[0]);
});
