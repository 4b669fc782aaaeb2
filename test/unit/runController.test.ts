import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Warehouse, type CatalogChange } from '../../src/engine/warehouse.js';
import { Session } from '../../src/engine/query/index.js';
import { RunController, type Run } from '../../src/host/run/runController.js';

// The run controller over a real warehouse: the one run path every surface (worksheet editor, text
// editor + Results view, palette) takes.
let tmp: string;
let warehouse: Warehouse;
const sessions = new Map<string, Promise<Session>>();
let runs: RunController;
const changes: CatalogChange[] = [];

function controller(): RunController {
  return new RunController({
    session: (key) => {
      let s = sessions.get(key);
      if (!s) {
        s = Session.open(warehouse, { database: 'sales' });
        sessions.set(key, s);
      }
      return s;
    },
  });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-runs-'));
  warehouse = await Warehouse.open(path.join(tmp, 'wh'));
  await warehouse.createDatabase('sales');
  warehouse.catalog.onDidChange((c) => changes.push(c));
  runs = controller();
});

after(async () => {
  runs.dispose();
  for (const s of sessions.values()) await (await s).close();
  await warehouse.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a run reports start, first rows and finish; the finished run holds every outcome', async () => {
  const seen: string[] = [];
  const subs = [
    runs.onDidStartRun((r) => seen.push(`start ${r.status}`)),
    runs.onDidUpdateRun((r) => seen.push(`update ${r.outcomes.length}`)),
    runs.onDidFinishRun((r) => seen.push(`finish ${r.status}`)),
  ];
  const run = await runs.run({
    key: 'a',
    document: 'file:///a.sql',
    script: 'SELECT 1 AS x; SELECT 2 AS y;',
  });
  for (const s of subs) s.dispose();
  assert.deepEqual(seen, ['start running', 'update 1', 'update 2', 'finish ok']);
  assert.equal(run.status, 'ok');
  assert.deepEqual(
    run.results.map((e) => [e.title, e.result.rowCount, e.result.complete]),
    [
      ['SELECT 1 AS x', 1, true],
      ['SELECT 2 AS y', 1, true],
    ],
  );
  assert.equal(runs.lastRun('a'), run);
  assert.equal(runs.isRunning('a'), false);
});

test('rangeFor: selection, statement at the cursor, all, nothing', () => {
  const script = 'SELECT 1;\nSELECT 2;\n';
  assert.deepEqual(RunController.rangeFor(script, 'statement', 12, 12), { start: 10, end: 19 });
  assert.deepEqual(RunController.rangeFor(script, 'statement', 0, 6), { start: 0, end: 6 });
  assert.equal(RunController.rangeFor(script, 'all', 3, 3), undefined);
  assert.equal(RunController.rangeFor('  \n', 'all', 0, 0), null);
});

test('cancel stops a long query; a cancel asked before the session opened stops the run too', async () => {
  const running = runs.run({
    key: 'c',
    script: 'SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000000) b',
  });
  // Running in DuckDB: the run has its session and the session executes.
  while (!runs.lastRun('c')?.session?.busy) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(runs.isRunning('c'), true);
  assert.equal(runs.cancel('c'), 1);
  const run = await running;
  assert.equal(run.status, 'cancelled');
  assert.equal(run.messages[0]?.text, 'Cancelled.');
  // Asked at once, before the session (new key) exists and before DuckDB started anything.
  const early = runs.run({ key: 'c2', script: 'SELECT count(*) FROM range(100000000000)' });
  runs.cancel('c2');
  const stopped = await early;
  assert.equal(stopped.status, 'cancelled');
  assert.equal(stopped.messages.at(-1)?.text, 'Cancelled.');
  // The session stays usable.
  const after = await runs.run({ key: 'c', script: 'SELECT 42 AS answer' });
  assert.deepEqual((await after.results[0]!.result.page(0, 1)).rows, [[42]]);
});

test('a second run of the same document while one runs is refused; another document runs', async () => {
  const long = runs.run({ key: 'b', script: 'SELECT count(*) FROM range(100000000000)' });
  await assert.rejects(runs.run({ key: 'b', script: 'SELECT 1' }), { code: 'SESSION_BUSY' });
  await assert.rejects(runs.transaction('b', 'begin'), { code: 'SESSION_BUSY' });
  const other = await runs.run({ key: 'b-other', script: 'SELECT 1 AS one' });
  assert.equal(other.status, 'ok');
  runs.cancel('b');
  assert.equal((await long).status, 'cancelled');
});

test('transactions: open, aborted by an error, COMMIT fails saying so and rolls back', async () => {
  await runs.transaction('t', 'begin');
  assert.deepEqual(runs.state('t').transaction, { open: false, aborted: false }, 'no openSession hook');
  const s = await sessions.get('t')!;
  assert.deepEqual(s.transaction, { open: true, aborted: false });
  const failed = await runs.run({ key: 't', script: "SELECT 'abc'::INT" });
  assert.equal(failed.status, 'error');
  assert.deepEqual(s.transaction, { open: true, aborted: true });
  await assert.rejects(runs.transaction('t', 'commit'), /COMMIT failed: the transaction had been aborted/);
  assert.deepEqual(s.transaction, { open: false, aborted: false });
});

test('DDL committed in a transaction tells the catalog at COMMIT (the Databases view re-reads then)', async () => {
  await runs.run({ key: 'd', script: 'BEGIN; CREATE OR REPLACE TABLE sales.main.t(a INTEGER);' });
  const before = changes.length;
  await runs.run({ key: 'd', script: 'COMMIT' });
  assert.deepEqual(changes.slice(before), [{ databases: ['sales'] }]);
  const tables = await warehouse.withConnection(async (c) =>
    (await c.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE database_name = 'sales'")).getRows(),
  );
  assert.deepEqual(tables, [['t']]);
});

test('export writes a result of a run (through a view) to a file; a missing result says so', async () => {
  const run: Run = await runs.run({ key: 'e', script: 'SELECT range AS n FROM range(5)' });
  const file = path.join(tmp, 'out.csv');
  const written = await runs.exportResult(run, run.results[0]!.result.id, file, {
    sort: [{ column: 0, direction: 'desc' }],
  });
  assert.deepEqual(written, { rows: 5, file });
  assert.equal(fs.readFileSync(file, 'utf8'), 'n\n4\n3\n2\n1\n0\n');
  await assert.rejects(runs.exportResult(run, 'nope', file), { code: 'RESULT_NOT_FOUND' });
});
