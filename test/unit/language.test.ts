import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Warehouse } from '../../src/engine/warehouse.js';
import {
  LanguageService,
  statementRanges,
  type CompletionResult,
  type LanguageScope,
} from '../../src/engine/language/languageService.js';
import { tempDir } from '../support/tempDir.js';

let w: Warehouse;
let ls: LanguageService;
const scope: LanguageScope = { database: 'sales', schema: 'main' };

before(async () => {
  w = await Warehouse.open(tempDir('mdw-lang-'));
  await w.createDatabase('sales');
  await w.createDatabase('hr');
  await w.withConnection((c) =>
    c.run(`
      CREATE TABLE sales.main.orders (id INTEGER PRIMARY KEY, customer_id INTEGER, amount DECIMAL(18,3) NOT NULL, "Odd | name" VARCHAR);
      INSERT INTO sales.main.orders SELECT range, range % 10, range * 1.5, 'x' FROM range(250);
      CREATE TABLE sales.main.customers (id INTEGER, name VARCHAR, country VARCHAR);
      CREATE VIEW sales.main.big_orders AS SELECT * FROM sales.main.orders WHERE amount > 100;
      CREATE SCHEMA sales.staging;
      CREATE TABLE sales.staging.raw_orders (payload JSON, loaded_at TIMESTAMP);
      CREATE TABLE sales.main."select" (x INTEGER);
      CREATE TABLE hr.main.employees (emp_id INTEGER, salary DOUBLE);
      CREATE MACRO sales.main.twice(x) AS x * 2;
    `),
  );
  ls = new LanguageService(w);
});

after(async () => {
  ls.dispose();
  await w.close();
});

/** Completion at the `|` in `sql`. */
async function complete(sql: string, s: LanguageScope = scope): Promise<CompletionResult> {
  const offset = sql.indexOf('|');
  assert.ok(offset >= 0, 'mark the cursor with |');
  return ls.complete(sql.slice(0, offset) + sql.slice(offset + 1), offset, s);
}

function labels(r: CompletionResult, kind?: string): string[] {
  return r.items.filter((i) => kind === undefined || i.kind === kind).map((i) => i.label);
}

test('completion after FROM: tables and views of the current schema, schemas, databases, table functions', async () => {
  const r = await complete('SELECT * FROM |');
  assert.deepEqual(labels(r, 'table').sort(), ['customers', 'orders', 'select']);
  assert.deepEqual(labels(r, 'view'), ['big_orders']);
  assert.deepEqual(labels(r, 'schema').sort(), ['main', 'staging']);
  assert.deepEqual(labels(r, 'database').sort(), ['hr', 'sales']);
  assert.ok(labels(r, 'tableFunction').includes('read_csv'));
  assert.equal(labels(r, 'column').length, 0, 'no columns in a table position');
  assert.equal(labels(r, 'keyword').length, 0);
  // a reserved word as a name is inserted quoted
  assert.equal(r.items.find((i) => i.label === 'select')?.insertText, '"select"');
  const orders = r.items.find((i) => i.label === 'orders')!;
  assert.equal(orders.insertText, 'orders');
  assert.match(orders.detail ?? '', /table in sales\.main, ~250 rows/);
});

test('completion after JOIN and after a comma in FROM, with the typed prefix replaced', async () => {
  const sql = 'SELECT * FROM orders o JOIN cus|';
  const r = await complete(sql);
  assert.ok(labels(r, 'table').includes('customers'));
  assert.equal(r.replaceStart, sql.indexOf('cus'));
  assert.equal(r.replaceEnd, sql.indexOf('|'));
  assert.ok(labels(await complete('SELECT * FROM orders, |')).includes('customers'));
  assert.equal(
    labels(await complete('SELECT a, | FROM orders'), 'table').length,
    0,
    'a comma in SELECT is an expression',
  );
});

test('completion after a qualified prefix: db. gives schemas and main tables, db.schema. gives tables', async () => {
  const db = await complete('SELECT * FROM hr.|');
  assert.deepEqual(labels(db, 'schema'), ['main']);
  assert.deepEqual(labels(db, 'table'), ['employees']);
  const staging = await complete('SELECT * FROM sales.staging.|');
  assert.deepEqual(labels(staging, 'table'), ['raw_orders']);
  const schemaOnly = await complete('SELECT * FROM staging.|');
  assert.deepEqual(labels(schemaOnly, 'table'), ['raw_orders'], 'a schema of the current database');
  assert.deepEqual(labels(await complete('SELECT * FROM "sales"."staging".r|'), 'table'), ['raw_orders']);
});

test("completion after an alias and a dot: that table's columns", async () => {
  const r = await complete('SELECT o.| FROM orders AS o JOIN customers c ON c.id = o.customer_id');
  assert.deepEqual(labels(r, 'column'), ['id', 'customer_id', 'amount', 'Odd | name']);
  assert.equal(r.items.find((i) => i.label === 'Odd | name')?.insertText, '"Odd | name"');
  assert.match(r.items.find((i) => i.label === 'amount')?.detail ?? '', /DECIMAL\(18,3\)/);
  const c = await complete('SELECT * FROM orders o JOIN customers c ON c.|');
  assert.deepEqual(labels(c, 'column'), ['id', 'name', 'country']);
  const byName = await complete('SELECT customers.| FROM customers');
  assert.deepEqual(labels(byName, 'column'), ['id', 'name', 'country']);
  const qualified = await complete('SELECT e.| FROM hr.main.employees e');
  assert.deepEqual(labels(qualified, 'column'), ['emp_id', 'salary']);
  const threePart = await complete('SELECT hr.main.employees.| FROM hr.main.employees');
  assert.deepEqual(labels(threePart, 'column'), ['emp_id', 'salary']);
});

test("completion in an expression: columns of the statement's tables, functions with signatures, keywords", async () => {
  const r = await complete('SELECT | FROM orders o JOIN customers c ON true');
  const columns = labels(r, 'column');
  for (const c of ['amount', 'customer_id', 'name', 'country']) assert.ok(columns.includes(c), c);
  assert.ok(labels(r, 'alias').includes('o'));
  const substr = r.items.find((i) => i.label === 'substring' && i.kind === 'function');
  assert.ok(substr, 'functions are offered');
  assert.match(substr.detail ?? '', /^substring\(.+\) → VARCHAR$/);
  assert.ok(substr.documentation);
  assert.ok(labels(r, 'function').includes('twice'), "the user's macros too");
  assert.ok(labels(r, 'keyword').includes('WHERE'));
  assert.ok(r.items.findIndex((i) => i.kind === 'column') >= 0);
  const sorted = [...r.items].sort((a, b) => a.sortText.localeCompare(b.sortText));
  assert.equal(sorted[0]!.kind, 'column', 'columns sort first');
});

test('no completion inside strings and comments; a quoted prefix inserts quoted names', async () => {
  assert.equal((await complete("SELECT 'FROM |' FROM orders")).items.length, 0);
  assert.equal((await complete('SELECT 1 -- FROM |')).items.length, 0);
  const r = await complete('SELECT * FROM "ord|');
  const orders = r.items.find((i) => i.label === 'orders');
  assert.equal(orders?.insertText, '"orders"');
  assert.equal(r.replaceStart, 'SELECT * FROM '.length);
});

test('completion in the statement at the cursor only, and CTE names after FROM', async () => {
  const r = await complete(
    'SELECT * FROM hr.main.employees e; WITH recent AS (SELECT 1) SELECT * FROM |; SELECT 2',
  );
  assert.ok(labels(r, 'table').includes('recent'));
  const cols = await complete('SELECT 1 FROM customers; SELECT | FROM orders');
  assert.ok(!labels(cols, 'column').includes('country'), 'columns of the other statement are not offered');
});

test('hover: table with columns, types and estimated rows; column type; function signatures', async () => {
  const sql = 'SELECT o.amount, upper(c.name) FROM orders o JOIN customers c ON c.id = o.customer_id';
  const table = await ls.hover(sql, sql.indexOf('orders') + 2, scope);
  assert.ok(table);
  assert.equal(sql.slice(table.start, table.end), 'orders');
  assert.match(table.markdown, /\*\*table\*\* `sales\.main\.orders` · ~250 rows/);
  assert.match(table.markdown, /\| `amount` \| `DECIMAL\(18,3\)` \|/);
  assert.match(table.markdown, /\| `Odd \\\| name` \| `VARCHAR` \|/, 'a pipe in a name is escaped');
  const column = await ls.hover(sql, sql.indexOf('amount') + 1, scope);
  assert.match(column?.markdown ?? '', /\*\*column\*\* `amount` `DECIMAL\(18,3\)` · NOT NULL/);
  const viaAlias = await ls.hover(sql, sql.indexOf('name') + 1, scope);
  assert.match(viaAlias?.markdown ?? '', /\*\*column\*\* `name` `VARCHAR`/);
  const alias = await ls.hover(sql, sql.indexOf('o.amount'), scope);
  assert.match(alias?.markdown ?? '', /`sales\.main\.orders`/, 'an alias shows its table');
  const fn = await ls.hover(sql, sql.indexOf('upper') + 1, scope);
  assert.match(fn?.markdown ?? '', /\*\*function\*\* `upper`/);
  assert.match(fn?.markdown ?? '', /upper\(string VARCHAR\) → VARCHAR/);
  assert.match(fn?.markdown ?? '', /upper case/i);
  const qualified = 'SELECT * FROM hr.main.employees';
  assert.match(
    (await ls.hover(qualified, qualified.length - 2, scope))?.markdown ?? '',
    /`hr\.main\.employees`/,
  );
  assert.equal(await ls.hover('SELECT 1', 3, scope), undefined, 'a keyword has no hover');
});

test('signature help: overloads, active overload and parameter', async () => {
  const sql = "SELECT substring('abc', 2, ";
  const help = await ls.signatureHelp(sql, sql.length);
  assert.ok(help);
  const active = help.signatures[help.activeSignature]!;
  assert.match(active.label, /^substring\(string VARCHAR, start BIGINT, length BIGINT\)/);
  assert.equal(help.activeParameter, 2);
  const [from, to] = active.parameters[help.activeParameter]!.label;
  assert.equal(active.label.slice(from, to), 'length BIGINT');
  const nested = "SELECT concat(upper('a'|), 'b')";
  const inner = await ls.signatureHelp(nested.replace('|', ''), nested.indexOf('|'));
  assert.match(inner?.signatures[0]?.label ?? '', /^upper\(/);
  const outer = "SELECT concat(upper('a'), |)";
  const o = await ls.signatureHelp(outer.replace('|', ''), outer.indexOf('|'));
  assert.match(o?.signatures[0]?.label ?? '', /^concat\(/);
  assert.equal(o?.activeParameter, 1);
  assert.equal(await ls.signatureHelp('SELECT (1 + ', 11), undefined, 'a parenthesis is no call');
});

test('diagnostics: syntax errors at the right place in every statement', async () => {
  const sql = 'SELECT 1;\nSELEC 2;\nSELECT * FROM orders WHERE;\nSELECT 3';
  const d = await ls.diagnose(sql, scope);
  assert.equal(d.length, 2);
  assert.equal(d[0]!.severity, 'error');
  assert.equal(d[0]!.code, 'SQL_PARSE');
  assert.equal(sql.slice(d[0]!.start, d[0]!.end), 'SELEC');
  assert.match(d[0]!.message, /syntax error at or near "SELEC"/);
  assert.equal(
    d[1]!.start,
    sql.indexOf('WHERE;') + 'WHERE'.length,
    'end of input is the end of the statement',
  );
});

test('diagnostics: unknown tables and columns are warnings at the name; nothing is executed', async () => {
  const sql = [
    'SELECT nme FROM customers;',
    'SELECT * FROM no_such_table;',
    'SELECT * FROM hr.main.employees e WHERE e.salary > 0;',
    'CREATE TABLE fresh AS SELECT 1 AS a;',
    'SELECT a FROM fresh;',
    "SELECT * FROM 'missing.csv';",
    "SELECT * FROM read_csv('missing.csv');",
    "INSERT INTO customers VALUES (1, 'x', 'y');",
  ].join('\n');
  const d = await ls.diagnose(sql, scope);
  assert.deepEqual(
    d.map((x) => [x.severity, x.code, sql.slice(x.start, x.end)]),
    [
      ['warning', 'SQL_BINDER', 'nme'],
      ['warning', 'SQL_CATALOG', 'no_such_table'],
    ],
  );
  assert.match(d[0]!.message, /Referenced column "nme" not found/);
  assert.match(d[1]!.message, /Table with name no_such_table does not exist/);
  const count = await w.withConnection(
    async (c) => (await c.runAndReadAll('SELECT count(*) FROM sales.main.customers')).getRows()[0]![0],
  );
  assert.equal(Number(count), 0, 'the INSERT was only parsed');
  const fresh = await w.withConnection(
    async (c) =>
      (
        await c.runAndReadAll("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'fresh'")
      ).getRows()[0]![0],
  );
  assert.equal(Number(fresh), 0, 'the CREATE was only parsed');
});

test('diagnostics follow the scope: unqualified names resolve in the given database', async () => {
  assert.equal((await ls.diagnose('SELECT emp_id FROM employees', { database: 'hr' })).length, 0);
  const d = await ls.diagnose('SELECT emp_id FROM employees', { database: 'sales' });
  assert.equal(d[0]?.code, 'SQL_CATALOG');
});

test('statement ranges for CodeLens', () => {
  const sql = '-- head\nSELECT 1;\n\n/* c */ SELECT 2\n  FROM t;\n;\n';
  assert.deepEqual(
    statementRanges(sql).map((r) => r.text),
    ['SELECT 1', 'SELECT 2\n  FROM t'],
  );
});
