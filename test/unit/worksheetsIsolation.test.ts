import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { isEngineError } from '../../src/engine/errors.js';
import { Warehouse } from '../../src/engine/warehouse.js';
import { allFiles, fixture, openWithAuth, signIn } from '../support/store.js';

test('nothing of account B is reachable from account A, through any call', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { store, auth, outbox } = await openWithAuth(f);
  t.after(() => store.close());
  const a = (await signIn(auth, outbox, 'a@example.com')).account;
  const b = (await signIn(auth, outbox, 'b@example.com')).account;
  assert.notEqual(a.space, b.space);

  const bFolder = await b.worksheets.createFolder(null, 'Shared name');
  const bSheet = await b.worksheets.createWorksheet(bFolder.id, 'b secret', { sql: 'select b' });
  await b.worksheets.save(bSheet.id, { sql: 'select b2' });
  const bRev = (await b.worksheets.revisions(bSheet.id))[1]!;
  await b.history.add({
    worksheetId: bSheet.id,
    sql: 'select b history',
    startedAt: 1,
    durationMs: 1,
    status: 'ok',
  });

  const aFolder = await a.worksheets.createFolder(null, 'Shared name');
  const aSheet = await a.worksheets.createWorksheet(null, 'a sheet', { sql: 'select a' });
  const notFound = (p: Promise<unknown>, what: string) =>
    assert.rejects(p, (e) => isEngineError(e, 'NOT_FOUND'), `${what} must not reach B`);

  const w = a.worksheets;
  await notFound(w.get(bSheet.id), 'get');
  await notFound(w.open(bSheet.id), 'open');
  await notFound(w.children(bFolder.id), 'children');
  await notFound(w.createFolder(bFolder.id, 'x'), 'createFolder');
  await notFound(w.createWorksheet(bFolder.id, 'x'), 'createWorksheet');
  await notFound(w.createTree(bFolder.id, [{ name: 'x' }]), 'createTree');
  await notFound(w.save(bSheet.id, { sql: 'hacked' }), 'save');
  await notFound(w.rename(bSheet.id, 'hacked'), 'rename');
  await notFound(w.move(bSheet.id, null), 'move B node');
  await notFound(w.move(aSheet.id, bFolder.id), 'move into B folder');
  await notFound(w.reorder(bSheet.id, 0), 'reorder');
  await notFound(w.delete(bFolder.id), 'delete');
  await notFound(w.pathOf(bSheet.id), 'pathOf');
  await notFound(w.revisions(bSheet.id), 'revisions');
  await notFound(w.restore(bSheet.id, bRev.id), 'restore B sheet');
  await notFound(w.restore(aSheet.id, bRev.id), 'restore B revision into A');
  await notFound(w.resolve('/Shared name/b secret'), 'resolve');
  assert.deepEqual(await w.find('secret'), []);
  assert.deepEqual((await w.children()).map((n) => n.id).sort(), [aFolder.id, aSheet.id].sort());
  await notFound(
    a.history.add({ worksheetId: bSheet.id, sql: 'x', startedAt: 1, durationMs: 1, status: 'ok' }),
    'history.add',
  );
  await notFound(a.history.list({ worksheetId: bSheet.id }), 'history.list');
  await notFound(a.history.search('b', { worksheetId: bSheet.id }), 'history.search');
  assert.deepEqual(await a.history.search('history'), []);
  assert.deepEqual(await a.history.list(), []);
  assert.equal(await a.history.clear({ worksheetId: bSheet.id }), 0);
  assert.equal(await a.history.clear(), 0);
  assert.equal(await a.signOutEverywhere(), 1);

  assert.equal((await b.worksheets.open(bSheet.id)).sql, 'select b2');
  assert.equal(await b.worksheets.pathOf(bSheet.id), '/Shared name/b secret');
  assert.equal((await b.history.list()).length, 1);
  assert.equal(await b.email(), 'b@example.com');
});

test('markers written everywhere and the email address appear in no byte of any file under the warehouse', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { store, auth, outbox } = await openWithAuth(f, { compactAfterBytes: 16 * 1024 });
  t.after(() => store.close());
  const email = 'marker.person@example.com';
  const { account } = await signIn(auth, outbox, email);
  const markers = [
    'MARKERFOLDER7781',
    'MARKERSHEET5519',
    'MARKERSQL3390',
    'MARKERHIST2217',
    'MARKERERR8846',
    'MARKERREV6604',
  ];
  const [folderM, sheetM, sqlM, histM, errM, revM] = markers as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const folder = await account.worksheets.createFolder(null, `Reports ${folderM}`);
  const sheet = await account.worksheets.createWorksheet(folder.id, `q ${sheetM}`, {
    sql: `select '${sqlM}'`,
    database: 'db',
    schema: 'main',
  });
  await account.worksheets.save(sheet.id, { sql: `select '${revM}'` });
  await account.worksheets.save(sheet.id, { sql: `select '${sqlM}' -- again` });
  for (let i = 0; i < 40; i++) {
    await account.history.add({
      worksheetId: sheet.id,
      sql: `select '${histM}', ${i}`,
      startedAt: i,
      durationMs: 3,
      rows: 1,
      status: 'error',
      error: `Binder Error: ${errM}`,
    });
  }
  // The account's own databases live in its space; open it so its folders exist too.
  const warehouse = await Warehouse.open(f.warehouse, { space: account.space });
  await warehouse.close();

  const files = allFiles(f.warehouse);
  assert.ok(
    files.some((p) => p.includes(account.space)),
    'the space folder exists',
  );
  const needles = [...markers, email, 'marker.person'];
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    for (const needle of needles) {
      for (const encoded of [
        Buffer.from(needle, 'utf8'),
        Buffer.from(needle, 'utf16le'),
        Buffer.from(needle.toLowerCase(), 'utf8'),
      ]) {
        assert.equal(bytes.indexOf(encoded), -1, `${needle} found in ${file}`);
      }
    }
  }
  assert.ok(
    outbox.some((m) => m.to === email),
    'the address was really used',
  );
  assert.equal((await account.history.search(errM)).length, 40, 'and the markers are really stored');
});

test('database keys: random per account and database, stable, sealed, forgettable', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const { store, auth, outbox } = await openWithAuth(f);
  t.after(() => store.close());
  const a = (await signIn(auth, outbox, 'a@example.com')).account;
  const b = (await signIn(auth, outbox, 'b@example.com')).account;
  assert.equal(await a.databaseKey('sales', { create: false }), undefined);
  const key = (await a.databaseKey('sales'))!;
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(await a.databaseKey('SALES'), key);
  assert.notEqual(await a.databaseKey('hr'), key);
  assert.notEqual(await b.databaseKey('sales'), key);
  await a.forgetDatabaseKey('sales');
  assert.equal(await a.databaseKey('sales', { create: false }), undefined);
  for (const file of allFiles(f.warehouse)) assert.equal(fs.readFileSync(file).indexOf(Buffer.from(key)), -1);
});
