import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isEngineError, type EngineErrorCode } from '../../src/engine/errors.js';
import type { Account } from '../../src/engine/store/account.js';
import { fixture, openWithAuth, signIn } from '../support/store.js';

async function setup(t: test.TestContext, options: Parameters<typeof openWithAuth>[1] = {}) {
  const f = fixture();
  t.after(f.cleanup);
  let now = Date.UTC(2026, 0, 1);
  const opened = await openWithAuth(f, { clock: () => (now += 1000), ...options });
  t.after(() => opened.store.close());
  const { account } = await signIn(opened.auth, opened.outbox, 'ann@example.com');
  return { ...opened, f, account };
}

const rejectsWith = (p: Promise<unknown>, code: EngineErrorCode) =>
  assert.rejects(p, (e) => isEngineError(e, code));
const names = async (a: Account, parent: string | null = null) =>
  (await a.worksheets.children(parent)).map((n) => n.name);

test('create, list, rename with sibling-unique names, paths and resolving', async (t) => {
  const { account } = await setup(t);
  const ws = account.worksheets;
  const reports = await ws.createFolder(null, 'Reports');
  const y2026 = await ws.createFolder(reports.id, '2026');
  const revenue = await ws.createWorksheet(y2026.id, 'revenue', {
    sql: 'select 42',
    database: 'sales',
    schema: 'main',
  });
  assert.equal(revenue.kind, 'worksheet');
  assert.equal(await ws.pathOf(revenue.id), '/Reports/2026/revenue');
  assert.equal((await ws.resolve('/reports/2026/Revenue'))!.id, revenue.id);
  assert.equal(await ws.resolve('/'), null);
  await rejectsWith(ws.resolve('/Reports/2027'), 'NOT_FOUND');
  await rejectsWith(ws.resolve('/Reports/2026/revenue/x'), 'NOT_FOUND');

  await rejectsWith(ws.createFolder(null, 'REPORTS'), 'NAME_TAKEN');
  await rejectsWith(ws.createWorksheet(y2026.id, 'Revenue'), 'NAME_TAKEN');
  for (const bad of ['', '   ', 'a/b', '..', 'x\u0000y', 'n'.repeat(201)])
    await rejectsWith(ws.createFolder(null, bad), 'NAME_INVALID');
  await rejectsWith(ws.createFolder(revenue.id, 'inside a worksheet'), 'MOVE_INVALID');
  await rejectsWith(ws.createFolder('no-such-id', 'x'), 'NOT_FOUND');

  const costs = await ws.createWorksheet(y2026.id, 'costs');
  await rejectsWith(ws.rename(costs.id, 'REVENUE'), 'NAME_TAKEN');
  await ws.rename(revenue.id, 'Revenue'); // only the case changes: allowed
  await ws.rename(costs.id, '  Costs 2026  ');
  assert.deepEqual(await names(account, y2026.id), ['Revenue', 'Costs 2026']);
  assert.equal((await ws.get(costs.id)).name, 'Costs 2026');

  const opened = await ws.open(revenue.id);
  assert.deepEqual([opened.sql, opened.database, opened.schema], ['select 42', 'sales', 'main']);
  await rejectsWith(ws.open(y2026.id), 'NOT_FOUND');

  const found = await ws.find('REV');
  assert.deepEqual(
    found.map((n) => n.path),
    ['/Reports/2026/Revenue'],
  );
  assert.deepEqual(
    (await ws.find('2', { kind: 'folder' })).map((n) => n.path),
    ['/Reports/2026'],
  );

  assert.equal((await ws.mkdir('/Archive/Old/Deep', { parents: true })).name, 'Deep');
  await rejectsWith(ws.mkdir('/Archive/Old'), 'NAME_TAKEN');
  await rejectsWith(ws.mkdir('/Nope/x'), 'NOT_FOUND');
  await rejectsWith(ws.mkdir('/Reports/2026/Revenue/x', { parents: true }), 'NAME_TAKEN');
  const made = await ws.createAt('/Archive/Old/query', { sql: 'select 2' });
  assert.equal(await ws.pathOf(made.id), '/Archive/Old/query');
});

test('move and reorder; a folder cannot move into itself or its descendants', async (t) => {
  const { account } = await setup(t);
  const ws = account.worksheets;
  const a = await ws.createFolder(null, 'a');
  const b = await ws.createFolder(a.id, 'b');
  const c = await ws.createFolder(b.id, 'c');
  const x = await ws.createWorksheet(null, 'x');
  const y = await ws.createWorksheet(null, 'y');
  await rejectsWith(ws.move(a.id, a.id), 'MOVE_INVALID');
  await rejectsWith(ws.move(a.id, c.id), 'MOVE_INVALID');
  await rejectsWith(ws.move(a.id, x.id), 'MOVE_INVALID');
  await ws.createWorksheet(b.id, 'x');
  await rejectsWith(ws.move(x.id, b.id), 'NAME_TAKEN');

  await ws.move(c.id, null);
  assert.equal(await ws.pathOf(c.id), '/c');
  assert.deepEqual(await names(account), ['a', 'x', 'y', 'c']);
  await ws.reorder(c.id, 0);
  assert.deepEqual(await names(account), ['c', 'a', 'x', 'y']);
  await ws.reorder(c.id, 99);
  assert.deepEqual(await names(account), ['a', 'x', 'y', 'c']);
  await ws.reorder(y.id, 1);
  assert.deepEqual(await names(account), ['a', 'y', 'x', 'c']);
  await ws.move(y.id, a.id, 0);
  assert.deepEqual(await names(account, a.id), ['y', 'b']);
  await rejectsWith(ws.reorder(y.id, 1.5), 'INVALID_ARGUMENT');
});

test('delete removes a whole subtree and reports its folders and worksheets', async (t) => {
  const { account } = await setup(t);
  const ws = account.worksheets;
  const top = await ws.createFolder(null, 'top');
  const sub = await ws.createFolder(top.id, 'sub');
  await ws.createFolder(sub.id, 'empty');
  const w1 = await ws.createWorksheet(top.id, 'w1', { sql: 'select 1' });
  await ws.createWorksheet(sub.id, 'w2');
  const keep = await ws.createWorksheet(null, 'keep');
  assert.deepEqual(await ws.delete(top.id), { folders: 3, worksheets: 2 });
  assert.deepEqual(await names(account), ['keep']);
  await rejectsWith(ws.get(w1.id), 'NOT_FOUND');
  await rejectsWith(ws.revisions(w1.id), 'NOT_FOUND');
  assert.deepEqual(await ws.delete(keep.id), { folders: 0, worksheets: 1 });
  await rejectsWith(ws.delete(keep.id), 'NOT_FOUND');
});

test('every save keeps a revision (the last 20), which can be listed and restored', async (t) => {
  const { account } = await setup(t);
  const ws = account.worksheets;
  const sheet = await ws.createWorksheet(null, 'sheet', { sql: 'v0' });
  for (let i = 1; i <= 24; i++) await ws.save(sheet.id, { sql: `v${i}` });
  const unchanged = await ws.save(sheet.id, { sql: 'v24' });
  assert.equal(unchanged.sql, 'v24');
  const revisions = await ws.revisions(sheet.id);
  assert.equal(revisions.length, 20);
  assert.deepEqual(revisions.map((r) => r.sql).slice(0, 3), ['v24', 'v23', 'v22']);
  assert.equal(revisions[19]!.sql, 'v5');
  assert.ok(revisions[0]!.savedAt > revisions[1]!.savedAt);

  const restored = await ws.restore(sheet.id, revisions.find((r) => r.sql === 'v10')!.id);
  assert.equal(restored.sql, 'v10');
  assert.equal((await ws.open(sheet.id)).sql, 'v10');
  const after = await ws.revisions(sheet.id);
  assert.equal(after.length, 20);
  assert.equal(after[0]!.sql, 'v10');
  await rejectsWith(ws.restore(sheet.id, revisions[19]!.id.replace(/./, 'z')), 'NOT_FOUND');

  await ws.save(sheet.id, { database: 'db1' });
  const opened = await ws.open(sheet.id);
  assert.deepEqual([opened.sql, opened.database, opened.schema], ['v10', 'db1', null]);
  await rejectsWith(ws.save(sheet.id, { database: '' }), 'INVALID_ARGUMENT');
});

test('query history per account and worksheet: recorded, capped, searchable', async (t) => {
  const { account } = await setup(t, { historyLimit: 30 });
  const sheet = await account.worksheets.createWorksheet(null, 'sheet');
  const h = account.history;
  for (let i = 0; i < 40; i++) {
    await h.add({
      worksheetId: i % 2 === 0 ? sheet.id : null,
      sql: i === 39 ? 'SELECT * FROM Orders' : `select ${i}`,
      startedAt: 1_000 + i,
      durationMs: i,
      rows: i,
      status: i % 10 === 9 ? 'error' : 'ok',
      error: i % 10 === 9 ? `Catalog Error: Table missing_${i} does not exist` : null,
    });
  }
  const all = await h.list({ limit: 1000 });
  assert.equal(all.length, 30, 'oldest pruned');
  assert.equal(all[0]!.sql, 'SELECT * FROM Orders');
  assert.equal(all[29]!.sql, 'select 10');
  assert.equal((await h.list({ worksheetId: sheet.id, limit: 1000 })).length, 15);
  assert.deepEqual(
    (await h.list({ limit: 2 })).map((e) => e.startedAt),
    [1039, 1038],
  );
  assert.deepEqual(
    (await h.search('orders')).map((e) => e.startedAt),
    [1039],
  );
  assert.deepEqual(
    (await h.search('MISSING_19')).map((e) => e.status),
    ['error'],
  );
  assert.equal((await h.search('select', { worksheetId: sheet.id })).length, 15);
  await rejectsWith(
    h.add({ sql: 'x', startedAt: 1, durationMs: 1, status: 'weird' as 'ok' }),
    'INVALID_ARGUMENT',
  );
  await rejectsWith(
    h.add({ worksheetId: 'nope', sql: 'x', startedAt: 1, durationMs: 1, status: 'ok' }),
    'NOT_FOUND',
  );
  assert.equal(await h.clear({ worksheetId: sheet.id }), 15);
  assert.equal((await h.list({ limit: 1000 })).length, 15);
});

test('unlimited depth: a chain 100 deep', async (t) => {
  const { account } = await setup(t);
  const ws = account.worksheets;
  let parent: string | null = null;
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    const node = await ws.createFolder(parent, `level${i}`);
    ids.push(node.id);
    parent = node.id;
  }
  const leaf = await ws.createWorksheet(parent, 'leaf', { sql: 'select 1' });
  const expected = '/' + Array.from({ length: 100 }, (_, i) => `level${i}`).join('/') + '/leaf';
  assert.equal(await ws.pathOf(leaf.id), expected);
  assert.equal((await ws.resolve(expected))!.id, leaf.id);
  await rejectsWith(ws.move(ids[0]!, ids[99]!), 'MOVE_INVALID');
  await ws.move(ids[50]!, null);
  assert.equal(
    await ws.pathOf(leaf.id),
    '/' + Array.from({ length: 50 }, (_, i) => `level${i + 50}`).join('/') + '/leaf',
  );
  assert.deepEqual(await ws.delete(ids[0]!), { folders: 50, worksheets: 0 });
  assert.deepEqual(await ws.delete(ids[50]!), { folders: 50, worksheets: 1 });
  assert.deepEqual(await names(account), []);
});

test('a tree of 10,000 nodes, imported in one transaction, then worked on node by node', async (t) => {
  const { account } = await setup(t);
  const ws = account.worksheets;
  const spec = Array.from({ length: 100 }, (_, f) => ({
    name: `folder ${f}`,
    children: Array.from({ length: 99 }, (_, i) => {
      const n = f * 99 + i;
      return n % 3 === 0 ? { name: `sub ${n}`, children: [] } : { name: `sheet ${n}`, sql: `select ${n}` };
    }),
  }));
  assert.deepEqual(await ws.createTree(null, spec), { folders: 100 + 3_300, worksheets: 6_600 });
  await rejectsWith(ws.createTree(null, [{ name: 'FOLDER 1', children: [] }]), 'NAME_TAKEN');
  await rejectsWith(
    ws.createTree(null, [{ name: 'new', children: [{ name: 'a' }, { name: 'A' }] }]),
    'NAME_TAKEN',
  );
  await rejectsWith(ws.createTree(null, [{ name: 'new', children: [{ name: 'a/b' }] }]), 'NAME_INVALID');
  assert.equal((await ws.children()).length, 100, 'a refused import created nothing');

  const folder7 = (await ws.resolve('/folder 7'))!;
  assert.equal((await ws.children(folder7.id)).length, 99);
  const sheet = (await ws.resolve('/Folder 42/sheet 4159'))!;
  assert.equal((await ws.open(sheet.id)).sql, 'select 4159');
  assert.deepEqual(
    (await ws.find('sheet 4159')).map((n) => n.path),
    ['/folder 42/sheet 4159'],
  );
  assert.equal((await ws.find('sub ', { kind: 'folder' })).length, 3_300);
  await ws.move(sheet.id, folder7.id, 0);
  assert.equal((await ws.children(folder7.id))[0]!.name, 'sheet 4159');
  await ws.rename(folder7.id, 'seven');
  assert.equal(await ws.pathOf(sheet.id), '/seven/sheet 4159');
  const created = await ws.createWorksheet(folder7.id, 'one more');
  assert.equal((await ws.children(folder7.id)).at(-1)!.id, created.id);

  let folders = 0;
  let worksheets = 0;
  for (const node of await ws.children()) {
    const report = await ws.delete(node.id);
    folders += report.folders;
    worksheets += report.worksheets;
  }
  assert.deepEqual({ folders, worksheets }, { folders: 3_400, worksheets: 6_601 });
  assert.deepEqual(await ws.children(), []);
});
