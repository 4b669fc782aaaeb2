import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileKeyProvider, StaticKeyProvider, generateMasterKey } from '../../src/engine/crypto/keys.js';
import { isEngineError } from '../../src/engine/errors.js';
import { MIGRATIONS, type Migration } from '../../src/engine/store/migrations.js';
import { MetadataStore, STORE_FILE, STORE_FOLDER } from '../../src/engine/store/metadataStore.js';
import { allFiles, fixture, openWithAuth, signIn } from '../support/store.js';

function snapshot(dir: string): Map<string, string> {
  return new Map(
    allFiles(dir).map((f) => [f, crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex')]),
  );
}

test('a new store creates the warehouse folder, keeps the key outside it, and persists across reopen', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { store, auth, outbox } = await openWithAuth(f);
  const { account, token } = await signIn(auth, outbox, 'Ann@Example.com');
  const folder = await account.worksheets.createFolder(null, 'Reports');
  await account.worksheets.createWorksheet(folder.id, 'revenue', { sql: 'select 1' });
  store.close();

  assert.ok(fs.existsSync(path.join(f.warehouse, 'warehouse.json')));
  assert.ok(fs.existsSync(path.join(f.warehouse, STORE_FOLDER, STORE_FILE)));
  assert.ok(!allFiles(f.warehouse).some((p) => p.endsWith('.key')), 'no key file under the warehouse');

  const again = await openWithAuth(f);
  t.after(() => again.store.close());
  const resumed = await again.auth.resume(token);
  assert.equal(resumed.id, account.id);
  assert.equal(await resumed.email(), 'ann@example.com');
  const ws = await resumed.worksheets.resolve('/reports/REVENUE');
  assert.equal((await resumed.worksheets.open(ws!.id)).sql, 'select 1');
});

test('a key file inside the warehouse folder is refused', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  fs.mkdirSync(f.warehouse);
  const inside = new FileKeyProvider({ file: path.join(f.warehouse, 'master.key') });
  await assert.rejects(MetadataStore.open(f.warehouse, inside), (e) => isEngineError(e, 'KEY_INVALID'));
  assert.deepEqual(fs.readdirSync(f.warehouse), []);
});

test('a non-empty folder that is not a warehouse is refused', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  fs.mkdirSync(f.warehouse);
  fs.writeFileSync(path.join(f.warehouse, 'notes.txt'), 'mine');
  await assert.rejects(MetadataStore.open(f.warehouse, f.keys), (e) => isEngineError(e, 'WAREHOUSE_INVALID'));
  assert.deepEqual(fs.readdirSync(f.warehouse), ['notes.txt']);
});

test('a wrong or missing master key is reported and changes nothing on disk', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { store, auth, outbox } = await openWithAuth(f);
  await signIn(auth, outbox, 'a@example.com');
  store.close();
  const before = snapshot(f.warehouse);

  await assert.rejects(MetadataStore.open(f.warehouse, new StaticKeyProvider(generateMasterKey())), (e) =>
    isEngineError(e, 'KEY_WRONG'),
  );
  fs.renameSync(f.keyFile, `${f.keyFile}.moved`);
  await assert.rejects(MetadataStore.open(f.warehouse, f.keys), (e) => isEngineError(e, 'KEY_MISSING'));
  assert.equal(fs.existsSync(f.keyFile), false, 'no new key was created for an existing store');
  assert.deepEqual(snapshot(f.warehouse), before);

  fs.renameSync(`${f.keyFile}.moved`, f.keyFile);
  (await MetadataStore.open(f.warehouse, f.keys)).close();
});

test('flipping any byte of the store file is detected as tampering (or a wrong key) and changes nothing', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { store, auth, outbox } = await openWithAuth(f);
  const { account } = await signIn(auth, outbox, 'a@example.com');
  for (let i = 0; i < 5; i++) await account.worksheets.createWorksheet(null, `w${i}`, { sql: `select ${i}` });
  store.close();
  const file = path.join(f.warehouse, STORE_FOLDER, STORE_FILE);
  const original = fs.readFileSync(file);
  const step = Math.max(1, Math.floor(original.length / 300));
  const positions = new Set<number>([0, 8, 12, 30, 60, 61, 64, 68, 100, original.length - 1]);
  for (let i = 0; i < original.length; i += step) positions.add(i);
  for (const at of positions) {
    const bad = Buffer.from(original);
    bad[at]! ^= 0x20;
    fs.writeFileSync(file, bad);
    await assert.rejects(
      MetadataStore.open(f.warehouse, f.keys),
      (e) => isEngineError(e, 'STORE_CORRUPT') || (at >= 28 && at < 60 && isEngineError(e, 'KEY_WRONG')),
      `flip at byte ${at}`,
    );
    assert.ok(fs.readFileSync(file).equals(bad), `file unchanged after flip at ${at}`);
  }
  fs.writeFileSync(file, original);
  (await MetadataStore.open(f.warehouse, f.keys)).close();
});

test('a frame cut short by a crash is not committed; the next writer cuts it off and goes on', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const first = await openWithAuth(f);
  const { account, token } = await signIn(first.auth, first.outbox, 'a@example.com');
  await account.worksheets.createFolder(null, 'kept');
  const file = path.join(f.warehouse, STORE_FOLDER, STORE_FILE);
  const committed = fs.statSync(file).size;
  await account.worksheets.createFolder(null, 'lost');
  first.store.close();
  fs.truncateSync(file, committed + 20);

  const again = await openWithAuth(f);
  t.after(() => again.store.close());
  const resumed = await again.auth.resume(token);
  assert.deepEqual(
    (await resumed.worksheets.children()).map((n) => n.name),
    ['kept'],
  );
  assert.equal(fs.statSync(file).size, committed + 20, 'reading alone does not write');
  await resumed.worksheets.createFolder(null, 'after');
  assert.deepEqual(
    (await resumed.worksheets.children()).map((n) => n.name),
    ['kept', 'after'],
  );
  again.store.close();
  const third = await openWithAuth(f);
  t.after(() => third.store.close());
  assert.deepEqual(
    (await (await third.auth.resume(token)).worksheets.children()).map((n) => n.name),
    ['kept', 'after'],
  );
});

test('migrations run once, in order, and a store from a newer version is refused', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const first = await MetadataStore.open(f.warehouse, f.keys);
  assert.equal(first.schemaVersion, MIGRATIONS.length);
  first.close();
  let runs = 0;
  const extra: Migration = {
    version: MIGRATIONS.length + 1,
    description: 'test step',
    up(tx) {
      runs++;
      tx.put('meta', 'testStep', true);
    },
  };
  const second = await MetadataStore.open(f.warehouse, f.keys, { migrations: [...MIGRATIONS, extra] });
  assert.equal(second.schemaVersion, MIGRATIONS.length + 1);
  assert.equal(second.log.get('meta', 'testStep'), true);
  second.close();
  (await MetadataStore.open(f.warehouse, f.keys, { migrations: [...MIGRATIONS, extra] })).close();
  assert.equal(runs, 1);
  await assert.rejects(
    MetadataStore.open(f.warehouse, f.keys),
    (e) => isEngineError(e, 'WAREHOUSE_INVALID') && /newer/.test(e.message),
  );
});

test('compaction keeps every record, and another open store sees the new file', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const a = await openWithAuth(f, { compactAfterBytes: 4096 });
  const b = await openWithAuth(f, { compactAfterBytes: 4096 });
  t.after(() => {
    a.store.close();
    b.store.close();
  });
  const { account, token } = await signIn(a.auth, a.outbox, 'a@example.com');
  const file = path.join(f.warehouse, STORE_FOLDER, STORE_FILE);
  const generation = fs.readFileSync(file).subarray(12, 28).toString('hex');
  for (let i = 0; i < 60; i++)
    await account.worksheets.createWorksheet(null, `sheet ${i}`, { sql: `select ${i}` });
  assert.notEqual(
    fs.readFileSync(file).subarray(12, 28).toString('hex'),
    generation,
    'the log was rewritten',
  );
  const fromB = await b.auth.resume(token);
  assert.equal((await fromB.worksheets.children()).length, 60);
  await fromB.worksheets.createFolder(null, 'from b');
  assert.equal((await account.worksheets.children()).length, 61);
  assert.deepEqual(
    fs.readdirSync(path.dirname(file)).sort(),
    [STORE_FILE],
    'no temporary or lock files left',
  );
});

test('a lock held by a live process gives STORE_LOCKED; one left by a dead process is broken', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { store, auth, outbox } = await openWithAuth(f, { lockTimeoutMs: 300 });
  t.after(() => store.close());
  const { account } = await signIn(auth, outbox, 'a@example.com');
  const lock = path.join(f.warehouse, STORE_FOLDER, `${STORE_FILE}.lock`);
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  fs.writeFileSync(
    lock,
    JSON.stringify({ pid: sleeper.pid, host: (await import('node:os')).hostname(), at: 'now' }),
  );
  await assert.rejects(
    account.worksheets.createFolder(null, 'x'),
    (e) => isEngineError(e, 'STORE_LOCKED') && e.message.includes(String(sleeper.pid)),
  );
  assert.deepEqual(await account.worksheets.children(), [], 'reads still work while another process writes');

  sleeper.kill('SIGKILL');
  await new Promise((resolve) => sleeper.once('exit', resolve));
  await account.worksheets.createFolder(null, 'x');
  assert.equal(fs.existsSync(lock), false);
});

test('an empty lock file left by a full disk is recovered: the next write succeeds', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { store, auth, outbox } = await openWithAuth(f);
  t.after(() => store.close());
  const { account } = await signIn(auth, outbox, 'a@example.com');
  const lock = path.join(f.warehouse, STORE_FOLDER, `${STORE_FILE}.lock`);
  fs.writeFileSync(lock, '');
  await account.worksheets.createFolder(null, 'after the full disk');
  assert.deepEqual(
    (await account.worksheets.children()).map((n) => n.name),
    ['after the full disk'],
  );
  assert.deepEqual(fs.readdirSync(path.dirname(lock)), [STORE_FILE], 'no lock or temporary file left');
});
