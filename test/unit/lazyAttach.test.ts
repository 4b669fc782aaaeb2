// Databases are attached on first use: opening a warehouse lists its database files and attaches none; a
// statement attaches the databases it names (qualified names, USE, DETACH) before it runs, and one that fails to
// bind for a database still to be attached (a view over another database) attaches it and binds again. Real
// DuckDB files in temp folders; the encrypted case uses real keys over the test-only crypto.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { databaseKeyOptions } from '../../src/engine/encryption.js';
import { isEngineError } from '../../src/engine/errors.js';
import { Session, type StatementOutcome } from '../../src/engine/query/session.js';
import type { Account } from '../../src/engine/store/account.js';
import type { MetadataStore } from '../../src/engine/store/metadataStore.js';
import { Warehouse, type WarehouseOptions } from '../../src/engine/warehouse.js';
import { fixture, openWithAuth, signIn, type Fixture } from '../support/store.js';
import { withUnsafeTestCrypto } from '../support/unsafeCrypto.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-lazy-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The databases DuckDB has attached (not the warehouse's own), seen without attaching anything. */
async function attached(w: Warehouse): Promise<string[]> {
  return w.withConnection(
    async (c) =>
      (
        await c.runAndReadAll(
          `SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name NOT LIKE 'mdw%' AND database_name <> 'memory' ORDER BY 1`,
        )
      )
        .getRows()
        .map(([n]) => String(n)),
    { attachOnUse: true },
  );
}

function firstRows(o: StatementOutcome | undefined): unknown[][] {
  assert.ok(o, 'no outcome');
  assert.ok(o.status === 'rows', `expected rows, got ${o.status === 'error' ? o.error.message : o.status}`);
  return o.result.firstPage.map((r) => r.map((cell) => String(cell)));
}

async function one(s: Session, sql: string): Promise<StatementOutcome> {
  const r = await s.run(sql);
  return r.outcomes[0]!;
}

/** A warehouse folder with databases a, b, c (a view in a reads c), closed again. */
async function threeDatabases(options: WarehouseOptions = {}): Promise<string> {
  const dir = tempDir();
  const w = await Warehouse.open(dir, options);
  for (const name of ['a', 'b', 'c']) await w.createDatabase(name);
  const s = await Session.open(w);
  const r = await s.run(
    `CREATE TABLE a.main.t AS SELECT range AS id, 'a' || range AS name FROM range(5);
     CREATE TABLE b.main.t AS SELECT range AS id FROM range(7);
     CREATE TABLE c.main.t AS SELECT range AS id, range * 10 AS v FROM range(5);
     CREATE VIEW a.main.over_c AS SELECT id, v FROM c.main.t WHERE id < 3;`,
  );
  assert.equal(r.error, undefined, r.error?.message);
  await s.close();
  await w.close();
  return dir;
}

describe('databases attached on first use', () => {
  let dir: string;
  before(async () => {
    dir = await threeDatabases();
  });

  test('open attaches none; the catalog lists every database at once, from the files', async () => {
    const w = await Warehouse.open(dir);
    try {
      assert.deepEqual(await attached(w), []);
      assert.deepEqual(w.pendingDatabases, ['a', 'b', 'c']);
      const listed = await w.catalog.databases();
      assert.deepEqual(
        listed.map((d) => [d.name, d.path, d.readOnly, d.encrypted]),
        ['a', 'b', 'c'].map((n) => [n, w.databaseFile(n), false, false]),
      );
      // Listing attached nothing; opening a database in the tree attaches that one only.
      assert.deepEqual(await attached(w), []);
      const objects = await w.catalog.objects('b', 'main');
      assert.deepEqual(
        objects.map((o) => [o.name, o.estimatedRows]),
        [['t', 7]],
      );
      assert.deepEqual(await attached(w), ['b']);
      // The scan that loaded b did not cache a and c as empty: they load once attached.
      assert.deepEqual(
        (await w.catalog.objects('a', 'main')).map((o) => o.name),
        ['over_c', 't'],
      );
      assert.deepEqual(
        (await w.catalog.columns('c', 'main', 't')).map((c) => c.name),
        ['id', 'v'],
      );
    } finally {
      await w.close();
    }
  });

  test('a cross-database query attaches the databases it names, and only those', async () => {
    const w = await Warehouse.open(dir);
    try {
      const s = await Session.open(w, { database: 'b' });
      assert.deepEqual(await attached(w), ['b']);
      const o = await one(
        s,
        'SELECT a.name, c.v FROM a.main.t AS a JOIN c.main.t AS c USING (id) WHERE id = 4',
      );
      assert.deepEqual(firstRows(o), [['a4', '40']]);
      assert.deepEqual(await attached(w), ['a', 'b', 'c']);
      await s.close();
    } finally {
      await w.close();
    }
  });

  test('a session starts in the first database; USE attaches the database it names', async () => {
    const w = await Warehouse.open(dir);
    try {
      const s = await Session.open(w);
      assert.deepEqual(await s.current(), { database: 'a', schema: 'main' });
      const r = await s.run('USE c; SELECT count(*) FROM t');
      assert.equal(r.error, undefined, r.error?.message);
      assert.deepEqual(firstRows(r.outcomes[1]), [['5']]);
      assert.deepEqual(await s.current(), { database: 'c', schema: 'main' });
      await s.use('b');
      assert.deepEqual(firstRows(await one(s, 'SELECT count(*) FROM t')), [['7']]);
      await s.close();
    } finally {
      await w.close();
    }
  });

  test('DDL and writes in a database not attached yet', async () => {
    const d = await threeDatabases();
    let w = await Warehouse.open(d);
    try {
      const s = await Session.open(w, { database: 'a' });
      const r = await s.run(
        `CREATE SCHEMA c.staging;
         CREATE TABLE c.staging.copy AS SELECT * FROM b.main.t;
         INSERT INTO c.staging.copy VALUES (100);
         ALTER TABLE b.main.t ADD COLUMN note VARCHAR;`,
      );
      assert.equal(r.error, undefined, r.error?.message);
      await s.close();
    } finally {
      await w.close();
    }
    w = await Warehouse.open(d);
    try {
      const s = await Session.open(w, { database: 'a' });
      assert.deepEqual(firstRows(await one(s, 'SELECT count(*), max(id) FROM c.staging.copy')), [
        ['8', '100'],
      ]);
      assert.deepEqual(
        (await w.catalog.columns('b', 'main', 't')).map((c) => c.name),
        ['id', 'note'],
      );
      await s.close();
    } finally {
      await w.close();
    }
  });

  test('inside a transaction begun before the database was attached', async () => {
    const d = await threeDatabases();
    const w = await Warehouse.open(d);
    try {
      const s = await Session.open(w, { database: 'a' });
      const r = await s.run(
        'BEGIN; INSERT INTO c.main.t VALUES (5, 50); SELECT count(*) FROM c.main.t; ROLLBACK; SELECT count(*) FROM c.main.t',
      );
      assert.equal(r.error, undefined, r.error?.message);
      assert.deepEqual(firstRows(r.outcomes[2]), [['6']]);
      assert.deepEqual(firstRows(r.outcomes[4]), [['5']]);
      await s.close();
    } finally {
      await w.close();
    }
  });

  test('a view over a database not attached yet: the failed bind attaches it and binds again', async () => {
    const w = await Warehouse.open(dir);
    try {
      const s = await Session.open(w, { database: 'b' });
      // The statement names only a; the view reads c, which the lexer cannot see.
      const o = await one(s, 'SELECT id, v FROM a.main.over_c ORDER BY id');
      assert.deepEqual(firstRows(o), [
        ['0', '0'],
        ['1', '10'],
        ['2', '20'],
      ]);
      assert.deepEqual(await attached(w), ['a', 'b', 'c']);
      await s.close();
    } finally {
      await w.close();
    }
  });

  test('a name that is not a database still gives DuckDB’s own error', async () => {
    const w = await Warehouse.open(dir);
    try {
      const s = await Session.open(w, { database: 'a' });
      let o = await one(s, 'SELECT * FROM nosuch.main.t');
      assert.ok(o.status === 'error');
      assert.match(o.error.message, /Catalog "nosuch" does not exist/);
      o = await one(s, 'SELECT * FROM nosuch.t');
      assert.ok(o.status === 'error');
      assert.match(o.error.message, /Table with name "?nosuch\.t"? does not exist/);
      o = await one(s, 'USE nosuch');
      assert.ok(o.status === 'error');
      assert.match(o.error.message, /nosuch/);
      // Nothing else was attached on the way, and the session still works.
      assert.deepEqual(await attached(w), ['a']);
      assert.deepEqual(firstRows(await one(s, 'SELECT count(*) FROM t')), [['5']]);
      await s.close();
    } finally {
      await w.close();
    }
  });

  test('a database the user detached stays detached; catalog functions attach every database first', async () => {
    const w = await Warehouse.open(dir);
    try {
      const s = await Session.open(w, { database: 'a' });
      const r = await s.run(
        "SELECT DISTINCT database_name FROM duckdb_tables() WHERE database_name IN ('a', 'b', 'c') ORDER BY 1",
      );
      assert.deepEqual(firstRows(r.outcomes[0]), [['a'], ['b'], ['c']]);
      const d = await s.run('DETACH c; SELECT * FROM c.main.t');
      assert.equal(d.outcomes[0]!.status, 'ok');
      assert.ok(d.outcomes[1]!.status === 'error');
      assert.match(d.outcomes[1]!.error.message, /Catalog "c" does not exist/);
      await s.close();
    } finally {
      await w.close();
    }
  });

  test('rename and drop of a database not attached yet; listDatabases reports every one attached', async () => {
    const d = await threeDatabases();
    const w = await Warehouse.open(d);
    try {
      await w.renameDatabase('b', 'b2');
      await w.dropDatabase('c', { confirm: true });
      assert.equal(fs.existsSync(w.databaseFile('c')), false);
      const s = await Session.open(w, { database: 'a' });
      assert.deepEqual(firstRows(await one(s, 'SELECT count(*) FROM b2.main.t')), [['7']]);
      // The dropped database's file is not created again by a statement naming it.
      const o = await one(s, 'SELECT * FROM c.main.t');
      assert.ok(o.status === 'error');
      assert.equal(fs.existsSync(w.databaseFile('c')), false);
      assert.deepEqual(
        (await w.listDatabases()).map((x) => [x.name, x.attached]),
        [
          ['a', true],
          ['b2', true],
        ],
      );
      await s.close();
    } finally {
      await w.close();
    }
  });

  test('read-only: a database attached on first use is read-only; the sandbox still holds', async () => {
    const w = await Warehouse.open(dir, { readOnly: true });
    try {
      const s = await Session.open(w, { database: 'a' });
      assert.deepEqual(firstRows(await one(s, 'SELECT count(*) FROM c.main.t')), [['5']]);
      let o = await one(s, 'INSERT INTO c.main.t VALUES (9, 9)');
      assert.ok(o.status === 'error');
      assert.match(o.error.message, /read-only/i);
      o = await one(s, `SELECT * FROM read_csv('${path.join(os.tmpdir(), 'outside.csv')}')`);
      assert.ok(o.status === 'error');
      assert.equal(o.error.code, 'FILE_NOT_ALLOWED');
      assert.ok((await w.catalog.databases()).every((x) => x.readOnly));
      await s.close();
    } finally {
      await w.close();
    }
  });
});

describe('encrypted databases attached on first use (key plumbing over the test-only crypto)', () => {
  let f: Fixture;
  let store: MetadataStore;
  let account: Account;
  before(async () => {
    f = fixture();
    const opened = await openWithAuth(f);
    store = opened.store;
    account = (await signIn(opened.auth, opened.outbox, 'lazy@example.com')).account;
  });
  after(async () => {
    await store.close();
    f.cleanup();
  });

  test('an encrypted database is attached with its key on first use; a wrong key stays DuckDB’s error', async () => {
    const keyed = withUnsafeTestCrypto({ ...databaseKeyOptions(account) });
    const dir = path.join(f.root, 'wh');
    let w = await Warehouse.open(dir, keyed);
    await w.createDatabase('vault');
    await w.createDatabase('other');
    await w.createDatabase('spare');
    let s = await Session.open(w, { database: 'other' });
    let r = await s.run(
      `CREATE TABLE vault.main.secrets AS SELECT range AS id FROM range(4);
       CREATE TABLE other.main.t AS SELECT range AS id FROM range(4)`,
    );
    assert.equal(r.error, undefined, r.error?.message);
    await s.close();
    await w.close();
    // A restored backup of another database under "spare": the key kept for it does not open it.
    fs.copyFileSync(w.databaseFile('vault'), w.databaseFile('spare'));

    w = await Warehouse.open(dir, keyed);
    try {
      assert.deepEqual(await attached(w), []);
      const listed = await w.catalog.databases();
      assert.deepEqual(
        listed.map((d) => [d.name, d.encrypted]),
        [
          ['other', true],
          ['spare', true],
          ['vault', true],
        ],
      );
      await assert.rejects(w.catalog.schemas('spare'), (e) => isEngineError(e, 'KEY_WRONG'));
      s = await Session.open(w, { database: 'other' });
      const o = await one(s, 'SELECT count(*) FROM vault.main.secrets JOIN other.main.t USING (id)');
      assert.deepEqual(firstRows(o), [['4']]);
      r = await s.run('INSERT INTO vault.main.secrets VALUES (10)');
      assert.equal(r.error, undefined, r.error?.message);
      const bad = await one(s, 'SELECT * FROM spare.main.secrets');
      assert.ok(bad.status === 'error');
      assert.match(bad.error.message, /Catalog "spare" does not exist/);
      assert.match(w.encryptionNote('spare')!, /does not open its file/);
      // Listed until its key was tried; the tree then says why it cannot be opened, and no longer lists it.
      assert.ok((await w.catalog.databases()).every((d) => d.name !== 'spare'));
      await assert.rejects(w.attachDatabase('spare'), (e) => isEngineError(e, 'KEY_WRONG'));
      await s.close();
    } finally {
      await w.close();
    }
  });
});
