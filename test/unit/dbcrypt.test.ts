import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  databaseKeyOptions,
  installCrypto,
  isEncryptedDatabaseFile,
  parseEncryptionMode,
  probeCrypto,
} from '../../src/engine/encryption.js';
import { isEngineError } from '../../src/engine/errors.js';
import type { Account } from '../../src/engine/store/account.js';
import type { MetadataStore } from '../../src/engine/store/metadataStore.js';
import { Session } from '../../src/engine/query/index.js';
import { Warehouse, type WarehouseOptions } from '../../src/engine/warehouse.js';
import { fixture, openWithAuth, signIn, type Fixture } from '../support/store.js';
import { withUnsafeTestCrypto } from '../support/unsafeCrypto.js';

const MARKER = 'MARKER_dbcrypt_7f3a9c';

let f: Fixture;
let store: MetadataStore;
let account: Account;

before(async () => {
  f = fixture();
  const opened = await openWithAuth(f);
  store = opened.store;
  account = (await signIn(opened.auth, opened.outbox, 'crypt@example.com')).account;
});
after(async () => {
  await store.close();
  f.cleanup();
});

let counter = 0;
/** A fresh warehouse folder for one test (the store's folder is shared, the account's keys too). */
function freshDir(): string {
  return path.join(f.root, `wh-${++counter}`);
}

function keyed(options: WarehouseOptions = {}): WarehouseOptions {
  return { ...options, ...databaseKeyOptions(account) };
}

async function rows(w: Warehouse, sql: string): Promise<unknown[][]> {
  return w.withConnection(async (c) => (await c.runAndReadAll(sql)).getRows());
}

function filesContain(files: string[], text: string): boolean {
  return files.some((file) => fs.existsSync(file) && fs.readFileSync(file).includes(Buffer.from(text)));
}

function digest(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<Error> {
  let caught: unknown;
  await p.then(
    () => undefined,
    (e: unknown) => void (caught = e),
  );
  assert.ok(isEngineError(caught, code as never), `expected ${code}, got ${String(caught)}`);
  if (message) assert.match((caught as Error).message, message);
  return caught as Error;
}

describe('crypto detection', () => {
  test('offline, httpfs is not in the warehouse extension folder: not available, says where it looked', async () => {
    const dir = freshDir();
    const w = await Warehouse.open(dir, keyed());
    try {
      assert.equal(w.encryption.available, false);
      assert.equal(w.encryption.mode, 'whenAvailable');
      assert.equal(w.encryption.keys, true);
      assert.match(w.encryption.detail, /httpfs/);
      assert.ok(w.encryption.detail.includes(w.extensionsDir), w.encryption.detail);
    } finally {
      await w.close();
    }
    const probed = await probeCrypto(path.join(dir, 'extensions'));
    assert.equal(probed.available, false);
    assert.match(probed.detail, /not installed/);
  });

  test('modes parse as users write them; nonsense is refused', async () => {
    assert.equal(parseEncryptionMode('when-available'), 'whenAvailable');
    assert.equal(parseEncryptionMode('whenAvailable'), 'whenAvailable');
    assert.equal(parseEncryptionMode('REQUIRED'), 'required');
    assert.equal(parseEncryptionMode('off'), 'off');
    assert.throws(() => parseEncryptionMode('sometimes'), /required, when-available or off/);
    await rejectsWith(
      Warehouse.open(freshDir(), { encryption: 'maybe' as never }),
      'INVALID_ARGUMENT',
      /encryption/,
    );
  });
});

describe('encrypted databases (key plumbing over the test-only crypto)', () => {
  test('create encrypted, write, close, reopen with the key: data there, marker not in the file', async () => {
    const dir = freshDir();
    let w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    const created = await w.createDatabase('sales');
    assert.equal(created.encrypted, true);
    assert.equal(created.encryptionNote, undefined);
    const plainDir = freshDir();
    const plain = await Warehouse.open(plainDir, { encryption: 'off' });
    try {
      await plain.createDatabase('control');
      await plain.withConnection((c) => c.run(`CREATE TABLE control.t AS SELECT '${MARKER}' AS s`));
    } finally {
      await plain.close();
    }
    await w.withConnection((c) =>
      c.run(`CREATE TABLE sales.t AS SELECT '${MARKER}' || range AS s FROM range(1000)`),
    );
    assert.deepEqual(await rows(w, `SELECT current_setting('temp_file_encryption')`), [[true]]);
    const [db] = await w.catalog.databases();
    assert.equal(db!.encrypted, true);
    await w.close();

    const file = path.join(dir, 'spaces', 'local', 'databases', 'sales.duckdb');
    assert.ok(isEncryptedDatabaseFile(file));
    assert.equal(filesContain([file, `${file}.wal`], MARKER), false);
    // The scan can fail: the same marker is visible in a plain database file.
    const control = path.join(plainDir, 'spaces', 'local', 'databases', 'control.duckdb');
    assert.equal(isEncryptedDatabaseFile(control), false);
    assert.equal(filesContain([control], MARKER), true);

    w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    try {
      assert.deepEqual(await rows(w, 'SELECT count(*) FROM sales.t'), [[1000n]]);
      const [info] = await w.listDatabases();
      assert.deepEqual([info!.encrypted, info!.readOnly, info!.attached], [true, false, true]);
    } finally {
      await w.close();
    }
  });

  test('wrong key: KEY_WRONG, file unchanged, other databases still open', async () => {
    const dir = freshDir();
    let w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    await w.createDatabase('wa');
    await w.createDatabase('wb');
    await w.withConnection((c) => c.run('CREATE TABLE wa.t AS SELECT 1 AS x'));
    const a = w.databaseFile('wa');
    const b = w.databaseFile('wb');
    await w.close();
    // A restored backup of another database under this name: its key is not the one kept for "wb".
    fs.copyFileSync(a, b);
    const before = digest(b);

    w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    try {
      assert.deepEqual(await rows(w, 'SELECT x FROM wa.t'), [[1]]);
      const info = (await w.listDatabases()).find((d) => d.name === 'wb')!;
      assert.equal(info.attached, false);
      assert.match(info.encryptionNote!, /does not open its file/);
      await rejectsWith(w.attachDatabase('wb'), 'KEY_WRONG', /nothing was changed/);
      await rejectsWith(w.renameDatabase('wb', 'wc'), 'KEY_WRONG');
      assert.ok(fs.existsSync(b));
      assert.equal(digest(b), before);
      // A database nobody can open can still be dropped.
      await w.dropDatabase('wb', { confirm: true });
      assert.ok(!fs.existsSync(b));
      assert.deepEqual(
        (await w.listDatabases()).map((d) => d.name),
        ['wa'],
      );
    } finally {
      await w.close();
    }
  });

  test('missing key: KEY_MISSING (key forgotten, or no key source), nothing changes', async () => {
    const dir = freshDir();
    let w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    await w.createDatabase('lost');
    const file = w.databaseFile('lost');
    await w.close();
    const before = digest(file);

    w = await Warehouse.open(dir, withUnsafeTestCrypto());
    try {
      assert.equal((await w.listDatabases())[0]!.attached, false);
      await rejectsWith(w.attachDatabase('lost'), 'KEY_MISSING', /without a key source/);
    } finally {
      await w.close();
    }

    await account.forgetDatabaseKey('lost');
    w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    try {
      const [info] = await w.listDatabases();
      assert.equal(info!.attached, false);
      assert.equal(info!.encrypted, true);
      assert.match(info!.encryptionNote!, /no key for it/);
      await rejectsWith(w.attachDatabase('lost'), 'KEY_MISSING');
      await rejectsWith(w.renameDatabase('lost', 'found'), 'KEY_MISSING');
      assert.ok(fs.existsSync(file));
      assert.ok(!fs.existsSync(w.databaseFile('found')));
      assert.equal(await account.databaseKey('lost', { create: false }), undefined);
      assert.equal(digest(file), before);
      await w.dropDatabase('lost', { confirm: true });
      assert.ok(!fs.existsSync(file));
    } finally {
      await w.close();
    }
  });

  test('rename moves the key (still readable after reopen); drop forgets it', async () => {
    const dir = freshDir();
    let w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    await w.createDatabase('old_name');
    await w.withConnection((c) => c.run('CREATE TABLE old_name.t AS SELECT 42 AS x'));
    const key = await account.databaseKey('old_name', { create: false });
    const renamed = await w.renameDatabase('old_name', 'New_Name');
    assert.equal(renamed.encrypted, true);
    assert.deepEqual(await rows(w, 'SELECT x FROM New_Name.t'), [[42]]);
    assert.equal(await account.databaseKey('old_name', { create: false }), undefined);
    assert.equal(await account.databaseKey('new_name', { create: false }), key);
    await w.close();

    w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    try {
      assert.deepEqual(await rows(w, 'SELECT x FROM New_Name.t'), [[42]]);
      await w.renameDatabase('New_Name', 'new_name');
      assert.deepEqual(await rows(w, 'SELECT x FROM new_name.t'), [[42]]);
      await w.dropDatabase('new_name', { confirm: true });
      assert.equal(await account.databaseKey('new_name', { create: false }), undefined);
      // A new database of the same name gets a fresh key.
      await w.createDatabase('new_name');
      const fresh = await account.databaseKey('new_name', { create: false });
      assert.ok(fresh !== undefined && fresh !== key);
    } finally {
      await w.close();
    }
  });

  test('off: new databases are plain; an existing encrypted one still opens with its key', async () => {
    const dir = freshDir();
    let w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    await w.createDatabase('secret');
    await w.close();
    w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed({ encryption: 'off' })));
    try {
      const open = await w.createDatabase('open');
      assert.equal(open.encrypted, false);
      assert.equal(open.encryptionNote, undefined);
      await w.withConnection((c) => c.run('CREATE TABLE secret.t AS SELECT 1 AS x'));
      const list = await w.listDatabases();
      assert.deepEqual(
        list.map((d) => [d.name, d.encrypted, d.readOnly]),
        [
          ['open', false, false],
          ['secret', true, false],
        ],
      );
      assert.deepEqual(await rows(w, `SELECT current_setting('temp_file_encryption')`), [[false]]);
    } finally {
      await w.close();
    }
  });
});

describe('kept results (key plumbing over the test-only crypto)', () => {
  test('kept results stay in memory and spill only to encrypted temp files; the scratch results file is encrypted with the space results key; a plain one is replaced', async () => {
    const dir = freshDir();
    // First without crypto: a plain results file, as before encryption was available.
    let w = await Warehouse.open(dir, keyed());
    assert.equal(w.resultsStorage, 'plain');
    await w.close();
    const file = path.join(dir, 'spaces', 'local', 'system', 'mdw_results.duckdb');
    assert.equal(isEncryptedDatabaseFile(file), false);
    w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed({ memoryLimit: '64MB', threads: 1 })));
    try {
      assert.equal(w.resultsStorage, 'encrypted');
      assert.deepEqual(await rows(w, `SELECT current_setting('temp_file_encryption')`), [[true]]);
      const s = await Session.open(w);
      // More than the memory limit: DuckDB must spill the kept rows (held in the in-memory mdw_kept).
      const n = 3_000_000;
      const r = await s.run(`SELECT '${MARKER}' || range AS s FROM range(${n})`);
      const kept = r.outcomes[0]!.status === 'rows' ? r.outcomes[0].result : assert.fail(r.error?.message);
      await kept.whenComplete();
      assert.equal(kept.error, undefined, kept.error?.message);
      assert.equal(kept.rowCount, n);
      assert.deepEqual((await kept.page(n - 1, 1)).rows, [[`${MARKER}${n - 1}`]]);
      const tmpDir = path.join(dir, 'spaces', 'local', 'system', 'tmp');
      const spilled = fs.readdirSync(tmpDir).map((name) => path.join(tmpDir, name));
      assert.notDeepEqual(spilled, [], 'the kept rows spilled');
      assert.equal(filesContain(spilled, MARKER), false);
      await w.withConnection((c) => c.run('CHECKPOINT mdw_results'));
      assert.ok(isEncryptedDatabaseFile(file));
      assert.equal(filesContain([file, `${file}.wal`], MARKER), false);
      await s.close();
    } finally {
      await w.close();
    }
    assert.notEqual(await account.databaseKey('mdw_results', { create: false }), undefined);
    // Reopened with the same key: the results file opens (and is emptied), nothing is refused.
    w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    assert.equal(w.resultsStorage, 'encrypted');
    await w.close();
  });
});

describe('without DuckDB OpenSSL crypto (httpfs not installed)', () => {
  test('required refuses to create, saying how to enable encryption; nothing is left behind', async () => {
    const w = await Warehouse.open(freshDir(), keyed({ encryption: 'required' }));
    try {
      await rejectsWith(
        w.createDatabase('must'),
        'ENCRYPTION_UNAVAILABLE',
        /encryption is required.*mdw db encryption --install/s,
      );
      assert.ok(!fs.existsSync(w.databaseFile('must')));
      assert.deepEqual(await w.listDatabases(), []);
      assert.equal(await account.databaseKey('must', { create: false }), undefined);
    } finally {
      await w.close();
    }
  });

  test('required keeps results in memory only: no plain results file, no spill files, a clear error when memory runs out', async () => {
    const dir = freshDir();
    const w = await Warehouse.open(dir, keyed({ encryption: 'required', memoryLimit: '64MB', threads: 1 }));
    try {
      assert.equal(w.resultsStorage, 'memory');
      const file = path.join(dir, 'spaces', 'local', 'system', 'mdw_results.duckdb');
      assert.equal(fs.existsSync(file), false);
      assert.deepEqual(await rows(w, `SELECT current_setting('temp_directory')`), [['']]);
      const s = await Session.open(w);
      try {
        const small = await s.run('SELECT range AS n FROM range(1000)');
        assert.equal(small.error, undefined);
        const big = await s.run(
          `SELECT md5(range::VARCHAR) || md5((range + 1)::VARCHAR) AS h FROM range(20000000) ORDER BY h`,
        );
        let error = big.error;
        if (!error && big.outcomes[0]!.status === 'rows')
          error = (await big.outcomes[0].result.whenComplete(), big.outcomes[0].result.error);
        assert.equal(error?.code, 'ENCRYPTION_UNAVAILABLE', error?.message);
        assert.match(error!.message, /nothing is written to disk in plain files: encryption is required/);
      } finally {
        await s.close();
      }
      assert.equal(fs.existsSync(file), false);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'spaces', 'local', 'system', 'tmp')), []);
    } finally {
      await w.close();
    }
  });

  test('required with no key source refuses too; the hint can be replaced (the extension passes its own)', async () => {
    const w = await Warehouse.open(
      freshDir(),
      withUnsafeTestCrypto({ encryption: 'required', encryptionInstallHint: 'use the Install command' }),
    );
    try {
      await rejectsWith(w.createDatabase('x'), 'ENCRYPTION_UNAVAILABLE', /without a key source/);
    } finally {
      await w.close();
    }
    const other = await Warehouse.open(freshDir(), {
      encryption: 'required',
      encryptionInstallHint: 'use the Install command',
    });
    try {
      await rejectsWith(other.createDatabase('x'), 'ENCRYPTION_UNAVAILABLE', /use the Install command/);
    } finally {
      await other.close();
    }
  });

  test('whenAvailable creates a plain database, says so, and the catalog marks it', async () => {
    const w = await Warehouse.open(freshDir(), keyed());
    try {
      const info = await w.createDatabase('plain');
      assert.equal(info.encrypted, false);
      assert.match(info.encryptionNote!, /created unencrypted.*httpfs.*mdw db encryption --install/s);
      assert.equal(isEncryptedDatabaseFile(info.path), false);
      const [db] = await w.catalog.databases();
      assert.equal(db!.encrypted, false);
      assert.equal(db!.encryptionNote, undefined);
      assert.equal((await w.listDatabases())[0]!.encrypted, false);
      assert.equal(await account.databaseKey('plain', { create: false }), undefined);
    } finally {
      await w.close();
    }
  });

  test('an encrypted database opens read-only: readable, writes refused, the catalog says so', async () => {
    const dir = freshDir();
    let w = await Warehouse.open(dir, withUnsafeTestCrypto(keyed()));
    await w.createDatabase('vault');
    await w.withConnection((c) => c.run(`CREATE TABLE vault.t AS SELECT '${MARKER}' AS s`));
    await w.close();

    w = await Warehouse.open(dir, keyed());
    try {
      assert.deepEqual(await rows(w, 'SELECT s FROM vault.t'), [[MARKER]]);
      await assert.rejects(
        w.withConnection((c) => c.run(`INSERT INTO vault.t VALUES ('x')`)),
        /read-only|read only/i,
      );
      const [info] = await w.listDatabases();
      assert.deepEqual([info!.encrypted, info!.readOnly, info!.attached], [true, true, true]);
      assert.match(info!.encryptionNote!, /opened read-only.*mdw db encryption --install/s);
      const [db] = await w.catalog.databases();
      assert.deepEqual([db!.encrypted, db!.readOnly], [true, true]);
      assert.match(db!.encryptionNote!, /read-only/);
      // Renaming works read-only too (the key moves with it).
      await w.renameDatabase('vault', 'vault2');
      assert.deepEqual(await rows(w, 'SELECT s FROM vault2.t'), [[MARKER]]);
      assert.equal((await w.listDatabases())[0]!.readOnly, true);
      // Plain databases beside it stay writable.
      await w.createDatabase('scratch');
      await w.withConnection((c) => c.run('CREATE TABLE scratch.t AS SELECT 1 AS x'));
    } finally {
      await w.close();
    }
  });
});

describe('installing httpfs (explicit, in a child process with a timeout)', () => {
  test('a source that accepts connections but never answers is stopped at the timeout', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const dir = path.join(freshDir(), 'extensions');
    try {
      await rejectsWith(
        installCrypto(dir, { source: `http://127.0.0.1:${port}`, timeoutMs: 2000 }),
        'EXTENSION_INSTALL_FAILED',
        /did not finish within 2 s/,
      );
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
    assert.equal((await probeCrypto(dir)).available, false);
  });

  test('a source without httpfs fails with the reason', async () => {
    const server = http.createServer((_req, res) => {
      res.statusCode = 404;
      res.end('not here');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      await rejectsWith(
        installCrypto(path.join(freshDir(), 'extensions'), { source: `http://127.0.0.1:${port}/` }),
        'EXTENSION_INSTALL_FAILED',
        /404/,
      );
    } finally {
      server.close();
    }
  });

  test('a local file must be an httpfs extension; a forged one is refused by DuckDB', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir, { recursive: true });
    const wrongName = path.join(dir, 'other.bin');
    fs.writeFileSync(wrongName, 'x');
    await rejectsWith(installCrypto(path.join(dir, 'extensions'), { source: wrongName }), 'INVALID_ARGUMENT');
    await rejectsWith(
      installCrypto(path.join(dir, 'extensions'), { source: path.join(dir, 'missing.duckdb_extension') }),
      'FILE_NOT_FOUND',
    );
    const forged = path.join(dir, 'httpfs.duckdb_extension');
    fs.writeFileSync(forged, Buffer.alloc(4096, 7));
    await rejectsWith(
      installCrypto(path.join(dir, 'extensions'), { source: forged }),
      'EXTENSION_INSTALL_FAILED',
    );
    assert.equal((await probeCrypto(path.join(dir, 'extensions'))).available, false);
    await rejectsWith(installCrypto(path.join(dir, 'extensions'), { timeoutMs: 0 }), 'INVALID_ARGUMENT');
  });
});

test('Account.moveDatabaseKey moves a key, clears a stale target, and ignores a case-only change', async () => {
  const key = await account.databaseKey('mv_a');
  const stale = await account.databaseKey('mv_b');
  await account.moveDatabaseKey('mv_a', 'mv_b');
  assert.equal(await account.databaseKey('mv_b', { create: false }), key);
  assert.notEqual(key, stale);
  assert.equal(await account.databaseKey('mv_a', { create: false }), undefined);
  await account.moveDatabaseKey('mv_a', 'mv_b');
  assert.equal(await account.databaseKey('mv_b', { create: false }), undefined);
  const again = await account.databaseKey('mv_c');
  await account.moveDatabaseKey('mv_c', 'MV_C');
  assert.equal(await account.databaseKey('mv_c', { create: false }), again);
});
