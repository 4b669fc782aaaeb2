import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineError, errorLogText } from '../../src/engine/errors.js';
import { Session } from '../../src/engine/query/session.js';
import { Warehouse } from '../../src/engine/warehouse.js';

let tmp: string;
let warehouse: Warehouse;
let session: Session;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-errorlog-'));
  warehouse = await Warehouse.open(path.join(tmp, 'wh'));
  session = await Session.open(warehouse);
});

after(async () => {
  await session.close();
  await warehouse.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const SECRET = 'secret_salary_table';

test('a DuckDB error that quotes SQL logs its code, position and frames, never the SQL', async () => {
  const r = await session.run(`SELECT 1;\nSELECT *\n  FROM ${SECRET}`);
  const error = r.error;
  assert.ok(error instanceof EngineError);
  assert.ok(error.message.includes(SECRET), 'the user still sees the full message');
  const logged = errorLogText(error);
  assert.doesNotMatch(logged, new RegExp(SECRET));
  assert.doesNotMatch(logged, /SELECT|FROM/);
  assert.match(logged, new RegExp(`^EngineError ${error.code} `));
  assert.match(logged, /at line 3, column 8/);
  assert.match(logged, /\n\s+at .*:\d+:\d+\)?(\n|$)/, 'stack frames are kept');
});

test("a raw DuckDB error (an EngineError's cause) logs its kind, not its text", async () => {
  const c = await warehouse.connect();
  try {
    await assert.rejects(c.run(`SELECT * FROM ${SECRET}`), (e: unknown) => {
      assert.ok(e instanceof Error && e.message.includes(SECRET));
      const wrapped = new EngineError('SQL_ERROR', `Could not run it: ${e.message}`, undefined, { cause: e });
      const logged = errorLogText(wrapped);
      assert.doesNotMatch(logged, new RegExp(SECRET));
      assert.match(logged, /^EngineError SQL_ERROR/);
      assert.match(logged, /\ncaused by Error \(Catalog Error\)/);
      return true;
    });
  } finally {
    warehouse.release(c);
  }
});

test('a multi-line message and a non-Error are kept out of the log too', () => {
  const e = new Error(`first line\n    at ${SECRET} (line:1:2)\nlast`);
  const logged = errorLogText(e);
  assert.doesNotMatch(logged, new RegExp(SECRET));
  assert.match(logged, /^Error\n\s+at /);
  const system = Object.assign(new Error(`ENOENT: no such file '/home/${SECRET}'`), { code: 'ENOENT' });
  assert.match(errorLogText(system), /^Error ENOENT\n/);
  assert.doesNotMatch(errorLogText(system), new RegExp(SECRET));
  assert.equal(errorLogText(SECRET), 'a thrown string');
});
