import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Warehouse } from '../../src/engine/warehouse.js';
import { Session } from '../../src/engine/query/index.js';
import { explain, parsePlan, planNodes } from '../../src/engine/language/plan.js';
import { formatRange, formatSql } from '../../src/engine/language/format.js';
import { isEngineError } from '../../src/engine/errors.js';
import { tempDir } from '../support/tempDir.js';

let w: Warehouse;
let session: Session;

before(async () => {
  w = await Warehouse.open(tempDir('mdw-plan-'));
  await w.createDatabase('shop');
  session = await Session.open(w);
  const setup = await session.run(`
    CREATE TABLE orders AS SELECT range AS id, range % 1000 AS customer_id, range * 1.5 AS amount FROM range(200000);
    CREATE TABLE customers AS SELECT range AS id, 'c' || range AS name FROM range(1000);`);
  assert.equal(setup.error, undefined);
});

after(async () => {
  await session.close();
  await w.close();
});

const JOIN =
  'SELECT c.name, sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.name';

test('explain: the operator tree with estimated rows, the text plan, nothing run', async () => {
  const plan = await explain(session, `${JOIN};`, { analyze: false });
  assert.equal(plan.analyzed, false);
  assert.equal(plan.sql, JOIN);
  assert.equal(plan.totalMs, null);
  const nodes = planNodes(plan.roots);
  const names = nodes.map((n) => n.name);
  assert.ok(names.includes('HASH_JOIN'), names.join(','));
  assert.ok(names.includes('HASH_GROUP_BY'));
  assert.equal(names.filter((n) => n === 'SEQ_SCAN' || n === 'TABLE_SCAN').length, 2);
  const scan = nodes.find((n) => n.details.some(([k, v]) => k === 'Table' && v.endsWith('orders')))!;
  assert.equal(scan.estimatedRows, 200000);
  assert.ok(nodes.every((n) => n.timeMs === null && n.actualRows === null));
  assert.ok(
    nodes.some((n) => n.hot),
    'the costliest by estimate is highlighted',
  );
  assert.match(plan.text, /HASH_JOIN/);
  assert.match(plan.text, /┌/, "DuckDB's box drawing");
  assert.ok(JSON.parse(plan.json));
  assert.equal(new Set(nodes.map((n) => n.id)).size, nodes.length);
});

test('explain analyze: measured rows and times, shares summing to 1, the costliest highlighted', async () => {
  const plan = await explain(session, JOIN, { analyze: true });
  assert.equal(plan.analyzed, true);
  assert.ok(plan.totalMs !== null && plan.totalMs > 0);
  const nodes = planNodes(plan.roots);
  assert.ok(!nodes.some((n) => n.name === 'EXPLAIN_ANALYZE'), 'the wrapper is left out');
  const join = nodes.find((n) => n.name === 'HASH_JOIN')!;
  assert.equal(join.actualRows, 200000);
  assert.ok(join.estimatedRows !== null);
  assert.ok(nodes.every((n) => n.timeMs !== null && n.timeMs >= 0));
  const shares = nodes.reduce((s, n) => s + (n.timeShare ?? 0), 0);
  assert.ok(Math.abs(shares - 1) < 1e-6, String(shares));
  const hot = nodes.filter((n) => n.hot);
  assert.ok(hot.length >= 1 && hot.length <= 3);
  const slowest = [...nodes].sort((a, b) => b.timeMs! - a.timeMs!)[0]!;
  assert.ok(slowest.hot);
});

test('explain leaves the session usable and keeps no results; a bad statement is a clear error', async () => {
  await assert.rejects(explain(session, 'SELECT * FROM nowhere', { analyze: false }), (e) =>
    isEngineError(e, 'SQL_CATALOG'),
  );
  await assert.rejects(explain(session, '  ;', { analyze: false }), (e) =>
    isEngineError(e, 'INVALID_ARGUMENT'),
  );
  const after = await session.run('SELECT count(*) FROM customers');
  assert.equal(after.error, undefined);
});

test('parsePlan reads both JSON shapes', () => {
  const estimated = parsePlan(
    JSON.stringify([
      {
        name: 'PROJECTION',
        children: [
          { name: 'SEQ_SCAN ', children: [], extra_info: { Table: 't', 'Estimated Cardinality': '~1,000' } },
        ],
        extra_info: { Projections: ['a', 'b'] },
      },
    ]),
    { sql: 'x', text: 't', analyzed: false },
  );
  assert.equal(estimated.roots[0]!.name, 'PROJECTION');
  assert.deepEqual(estimated.roots[0]!.details, [['Projections', 'a\nb']]);
  assert.equal(estimated.roots[0]!.children[0]!.name, 'SEQ_SCAN');
  assert.equal(estimated.roots[0]!.children[0]!.estimatedRows, 1000);
  assert.throws(
    () => parsePlan('not json', { sql: 'x', text: '', analyzed: false }),
    (e) => isEngineError(e, 'SQL_ERROR'),
  );
});

test('format: DuckDB dialect, keyword case, indent, tabs, parameters', async () => {
  const sql = 'select a, b::int from t where x = $name and y = ? and z = $1';
  const upper = await formatSql(sql, { tabWidth: 4, useTabs: false, keywordCase: 'upper' });
  assert.equal(
    upper,
    'SELECT\n    a,\n    b::INT\nFROM\n    t\nWHERE\n    x = $name\n    AND y = ?\n    AND z = $1',
  );
  const lower = await formatSql('SELECT A FROM T', { tabWidth: 2, useTabs: true, keywordCase: 'lower' });
  assert.equal(lower, 'select\n\tA\nfrom\n\tT');
  await assert.rejects(
    formatSql('SELECT (((', { tabWidth: 2, useTabs: false, keywordCase: 'upper' }),
    (e) => isEngineError(e, 'FORMAT_FAILED') && !e.message.includes('\n'),
  );
});

test('range format: whole statements the range touches, nothing else', async () => {
  const text = 'select 1;\n  select a from t where b=1;\nselect 3;';
  const at = text.indexOf('from');
  const edit = await formatRange(text, at, at + 2, { tabWidth: 2, useTabs: false, keywordCase: 'upper' });
  assert.ok(edit);
  assert.equal(text.slice(edit.start, edit.end), 'select a from t where b=1;');
  assert.equal(edit.text, 'SELECT\n    a\n  FROM\n    t\n  WHERE\n    b = 1;');
  assert.equal(
    await formatRange('-- only a comment', 0, 5, { tabWidth: 2, useTabs: false, keywordCase: 'upper' }),
    undefined,
  );
});
