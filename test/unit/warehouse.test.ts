import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Warehouse, WAREHOUSE_FORMAT } from '../../src/engine/warehouse.js';
import { isEngineError } from '../../src/engine/errors.js';
import { tempDir as newTempDir } from '../support/tempDir.js';

function tempDir(): string {
  return newTempDir('mdw-wh-');
}

async function scalar(w: Warehouse, sql: string): Promise<unknown> {
  return w.withConnection(async (c) => (await c.runAndReadAll(sql)).getRows()[0]?.[0]);
}

const engine = path.resolve(__dirname, '../../src/engine/warehouse.js');
const childScript = `
const { Warehouse } = require(process.argv[2]);
Warehouse.open(process.argv[3], JSON.parse(process.argv[4])).then(
  (w) => {
    process.stdout.write('OPEN\\n');
    process.stdin.on('end', () => w.close().then(() => process.exit(0)));
    process.stdin.resume();
  },
  (e) => {
    process.stdout.write('ERR ' + e.code + ' ' + e.message + '\\n');
    process.exit(3);
  },
);
`;

/** Opens the warehouse in a real second process; resolves with its first line of output. */
async function openInChild(dir: string, options: object): Promise<{ child: ChildProcess; line: string }> {
  const script = path.join(newTempDir('mdw-child-'), 'child.js');
  fs.writeFileSync(script, childScript);
  const child = spawn(process.execPath, [script, engine, dir, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  while (!out.includes('\n')) {
    const [chunk] = (await Promise.race([
      once(child.stdout!, 'data'),
      once(child, 'exit').then(() => ['']),
    ])) as [string];
    if (chunk === '' && child.exitCode !== null) break;
    out += chunk;
  }
  return { child, line: out.trim() };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.stdin!.end();
  await exited;
}

test('creates the documented layout and reopens it', async () => {
  const dir = path.join(tempDir(), 'wh');
  const w = await Warehouse.open(dir);
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(dir, 'warehouse.json'), 'utf8')).format,
    WAREHOUSE_FORMAT,
  );
  for (const d of ['extensions', 'spaces/local/databases', 'spaces/local/system/tmp']) {
    assert.ok(fs.statSync(path.join(dir, d)).isDirectory(), d);
  }
  assert.ok(fs.existsSync(path.join(dir, 'spaces/local/system/mdw_results.duckdb')));
  assert.equal(w.databasesDir, path.join(dir, 'spaces', 'local', 'databases'));
  await w.close();
  const again = await Warehouse.open(dir);
  assert.equal(again.isClosed, false);
  await again.close();
});

test('extensions never auto-install and live inside the warehouse; limits apply', async () => {
  const dir = tempDir();
  const w = await Warehouse.open(dir, { memoryLimit: '512MB', threads: 1 });
  assert.equal(await scalar(w, `SELECT current_setting('autoinstall_known_extensions')`), false);
  assert.equal(await scalar(w, `SELECT current_setting('autoload_known_extensions')`), false);
  assert.equal(
    await scalar(w, `SELECT current_setting('extension_directory')`),
    path.join(dir, 'extensions'),
  );
  assert.equal(await scalar(w, `SELECT current_setting('threads')`), 1n);
  assert.match(String(await scalar(w, `SELECT current_setting('memory_limit')`)), /^48\d\.\d MiB$/);
  // A URL is a path outside the allowed folders: the sandbox refuses it before any extension is considered.
  await assert.rejects(
    scalar(w, `SELECT * FROM read_csv('https://example.invalid/x.csv')`),
    /Permission Error: Cannot access file "https:\/\/example\.invalid/,
  );
  await w.close();
});

test('bad options are refused with INVALID_ARGUMENT', async () => {
  const dir = tempDir();
  await assert.rejects(Warehouse.open(dir, { memoryLimit: 'lots' }), (e) =>
    isEngineError(e, 'INVALID_ARGUMENT'),
  );
  await assert.rejects(Warehouse.open(dir, { threads: 0 }), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(Warehouse.open(dir, { space: '../x' }), (e) => isEngineError(e, 'INVALID_ARGUMENT'));
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing was created');
});

test('close is idempotent and later use fails clearly', async () => {
  const w = await Warehouse.open(tempDir());
  const c = await w.connect();
  await w.close();
  await w.close();
  assert.equal(w.isClosed, true);
  await assert.rejects(w.connect(), (e) => isEngineError(e, 'WAREHOUSE_CLOSED'));
  await assert.rejects(w.listDatabases(), (e) => isEngineError(e, 'WAREHOUSE_CLOSED'));
  w.release(c);
});

test('bad folders give WAREHOUSE_INVALID and are left untouched', async () => {
  const root = tempDir();
  const file = path.join(root, 'file');
  fs.writeFileSync(file, 'x');
  await assert.rejects(
    Warehouse.open(file),
    (e) => isEngineError(e, 'WAREHOUSE_INVALID') && /is a file/.test(e.message),
  );

  const busy = path.join(root, 'busy');
  fs.mkdirSync(busy);
  fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
  await assert.rejects(
    Warehouse.open(busy),
    (e) => isEngineError(e, 'WAREHOUSE_INVALID') && /not empty/.test(e.message),
  );
  assert.deepEqual(fs.readdirSync(busy), ['notes.txt']);

  const newer = path.join(root, 'newer');
  fs.mkdirSync(newer);
  fs.writeFileSync(path.join(newer, 'warehouse.json'), JSON.stringify({ format: WAREHOUSE_FORMAT + 1 }));
  await assert.rejects(
    Warehouse.open(newer),
    (e) => isEngineError(e, 'WAREHOUSE_INVALID') && /newer/.test(e.message),
  );
  assert.deepEqual(fs.readdirSync(newer), ['warehouse.json']);

  const garbled = path.join(root, 'garbled');
  fs.mkdirSync(garbled);
  fs.writeFileSync(path.join(garbled, 'warehouse.json'), '{nope');
  await assert.rejects(
    Warehouse.open(garbled),
    (e) => isEngineError(e, 'WAREHOUSE_INVALID') && /JSON/.test(e.message),
  );

  await assert.rejects(Warehouse.open(path.join(root, 'absent'), { readOnly: true }), (e) =>
    isEngineError(e, 'WAREHOUSE_INVALID'),
  );
  assert.equal(fs.existsSync(path.join(root, 'absent')), false);
});

test('a second open in the same process is refused until the first closes', async () => {
  const dir = tempDir();
  const w = await Warehouse.open(dir);
  await assert.rejects(Warehouse.open(dir), (e) => isEngineError(e, 'WAREHOUSE_LOCKED'));
  await assert.rejects(Warehouse.open(dir, { readOnly: true }), (e) => isEngineError(e, 'WAREHOUSE_LOCKED'));
  const other = await Warehouse.open(dir, { space: 'acct1' });
  await other.close();
  await w.close();
  const again = await Warehouse.open(dir);
  await again.close();
});

test('a warehouse open in another process gives WAREHOUSE_LOCKED naming the process', async () => {
  const dir = tempDir();
  const first = await Warehouse.open(dir);
  await first.createDatabase('sales');
  await first.close();

  const { child, line } = await openInChild(dir, {});
  try {
    assert.equal(line, 'OPEN');
    await assert.rejects(
      Warehouse.open(dir),
      (e) =>
        isEngineError(e, 'WAREHOUSE_LOCKED') &&
        e.message.includes(`PID ${child.pid}`) &&
        /read-only/.test(e.message),
    );
    // A read-only opener beside a writer fails just as clearly.
    await assert.rejects(
      Warehouse.open(dir, { readOnly: true }),
      (e) => isEngineError(e, 'WAREHOUSE_LOCKED') && e.message.includes(`PID ${child.pid}`),
    );
  } finally {
    await stopChild(child);
  }
  // Closed in the child: the lock is gone.
  const w = await Warehouse.open(dir);
  assert.deepEqual(
    (await w.listDatabases()).map((d) => d.name),
    ['sales'],
  );
  await w.close();
});

test('several read-only openers work side by side; a writer beside them is refused', async () => {
  const dir = tempDir();
  const w = await Warehouse.open(dir);
  await w.createDatabase('sales');
  await w.withConnection((c) => c.run('CREATE TABLE sales.main.orders AS SELECT range AS id FROM range(5)'));
  await w.close();

  const { child, line } = await openInChild(dir, { readOnly: true });
  try {
    assert.equal(line, 'OPEN');
    const ro = await Warehouse.open(dir, { readOnly: true });
    assert.equal(ro.readOnly, true);
    assert.equal(await scalar(ro, 'SELECT count(*) FROM sales.main.orders'), 5n);
    await assert.rejects(
      ro.withConnection((c) => c.run('INSERT INTO sales.main.orders VALUES (9)')),
      /read-only/i,
    );
    await assert.rejects(ro.createDatabase('crm'), (e) => isEngineError(e, 'WAREHOUSE_READ_ONLY'));
    await assert.rejects(ro.dropDatabase('sales', { confirm: true }), (e) =>
      isEngineError(e, 'WAREHOUSE_READ_ONLY'),
    );
    // Results still work read-only: they live in memory.
    await ro.withConnection((c) => c.run('CREATE TABLE mdw_results.main.r AS SELECT 1 AS x'));
    assert.deepEqual(
      (await ro.catalog.databases()).map((d) => d.name),
      ['sales'],
    );
    await ro.close();

    await assert.rejects(
      Warehouse.open(dir),
      (e) => isEngineError(e, 'WAREHOUSE_LOCKED') && e.message.includes(`PID ${child.pid}`),
    );
  } finally {
    await stopChild(child);
  }
});

test('database files with unusable names are ignored, not attached', async () => {
  const dir = tempDir();
  const w = await Warehouse.open(dir);
  await w.createDatabase('good');
  await w.close();
  fs.copyFileSync(path.join(w.databasesDir, 'good.duckdb'), path.join(w.databasesDir, 'bad.name.duckdb'));
  fs.copyFileSync(path.join(w.databasesDir, 'good.duckdb'), path.join(w.databasesDir, 'memory.duckdb'));
  const again = await Warehouse.open(dir);
  assert.deepEqual([...again.ignoredDatabaseFiles].sort(), ['bad.name.duckdb', 'memory.duckdb']);
  assert.deepEqual(
    (await again.listDatabases()).map((d) => d.name),
    ['good'],
  );
  await again.close();
});
