import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExternalChange } from '../../src/engine/store/metadataStore.js';
import { T } from '../../src/engine/store/records.js';
import { StoreWatcher } from '../../src/engine/store/storeWatcher.js';
import { mdw } from '../support/cli.js';
import { fixture, openWithAuth, signIn } from '../support/store.js';

/** Polls `check` until it holds; fails after `ms` (a bound for a hung test, not a measured time). */
async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records what a store's external-change listener was told. */
function recorder(): {
  changes: ExternalChange[];
  failures: unknown[];
  changed(c: ExternalChange): void;
  failed(e: unknown): void;
} {
  const changes: ExternalChange[] = [];
  const failures: unknown[] = [];
  return {
    changes,
    failures,
    changed: (c) => void changes.push(c),
    failed: (e) => void failures.push(e),
  };
}

test('two stores on one folder: a write by one fires the other once, with the tables it touched; own writes never fire', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const a = await openWithAuth(f);
  t.after(() => a.store.close());
  const { account: writer, token } = await signIn(a.auth, a.outbox, 'pat@example.com');
  const b = await openWithAuth(f);
  t.after(() => b.store.close());
  const reader = await b.auth.resume(token);
  const seen = recorder();
  const seenByWriter = recorder();
  t.after(b.store.onDidChangeExternally(seen).dispose);
  t.after(a.store.onDidChangeExternally(seenByWriter).dispose);

  // One worksheet: one committed frame (its node and first revision) from the other store.
  const sheet = await writer.worksheets.createWorksheet(null, 'shared', { sql: 'select 1' });
  await until('the reader to hear of the new worksheet', () => seen.changes.length > 0);
  assert.deepEqual([...seen.changes[0]!.tables.keys()].sort(), [T.node, T.rev].sort());
  assert.deepEqual([...seen.changes[0]!.tables.get(T.node)!], [sheet.id], 'the node it wrote');
  assert.equal(seen.changes[0]!.reloaded, false);
  // Told, the reader's next read has it (it read the new tail already).
  assert.equal((await reader.worksheets.open(sheet.id)).sql, 'select 1');

  // The reader's own write is not news to itself; the writer hears of it.
  await reader.worksheets.save(sheet.id, { sql: 'select 2' });
  await until('the writer to hear of the save', () => seenByWriter.changes.length > 0);
  assert.deepEqual([...seenByWriter.changes[0]!.tables.keys()].sort(), [T.node, T.rev].sort());
  // Then a history entry from the writer: the reader's next (second) change is that one alone, so neither its own
  // save nor the first worksheet fired it again.
  await writer.history.add({
    worksheetId: sheet.id,
    sql: 'select 2',
    startedAt: 1,
    durationMs: 1,
    status: 'ok',
  });
  await until('the reader to hear of the history entry', () => seen.changes.length > 1);
  assert.equal(seen.changes.length, 2, 'one change per write of the other store');
  assert.deepEqual([...seen.changes[1]!.tables.keys()], [T.hist]);
  assert.equal(seenByWriter.changes.length, 1, "the writer's own history entry did not fire its listener");
  assert.deepEqual(seen.failures, []);
  assert.deepEqual(seenByWriter.failures, []);
});

test('a compaction elsewhere (the store file replaced by a rename) fires `reloaded`, and the reader sees the data', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const a = await openWithAuth(f);
  t.after(() => a.store.close());
  const { account: writer, token } = await signIn(a.auth, a.outbox, 'kim@example.com');
  const b = await openWithAuth(f);
  t.after(() => b.store.close());
  const reader = await b.auth.resume(token);
  const seen = recorder();
  t.after(b.store.onDidChangeExternally(seen).dispose);

  const sheet = await writer.worksheets.createWorksheet(null, 'kept', { sql: 'select 1' });
  await until('the first change', () => seen.changes.length === 1);
  await writer.worksheets.save(sheet.id, { sql: 'select compacted' });
  await a.store.log.compact();
  await until('the compacted store', () => seen.changes.some((c) => c.reloaded));
  assert.equal((await reader.worksheets.open(sheet.id)).sql, 'select compacted');
  // The file was replaced; the watch goes on: a later append is still heard.
  const before = seen.changes.length;
  await writer.worksheets.createFolder(null, 'after');
  await until('a change after the replacement', () => seen.changes.length > before);
  assert.ok(seen.changes.at(-1)!.tables.has(T.node));
  assert.deepEqual(seen.failures, []);
});

test('closing the store or disposing the listener stops watching: later writes fire nothing there', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const a = await openWithAuth(f);
  t.after(() => a.store.close());
  const { account: writer } = await signIn(a.auth, a.outbox, 'lee@example.com');
  const closed = await openWithAuth(f);
  const disposed = await openWithAuth(f);
  t.after(() => disposed.store.close());
  const open = await openWithAuth(f);
  t.after(() => open.store.close());
  const seenClosed = recorder();
  const seenDisposed = recorder();
  const seenOpen = recorder();
  closed.store.onDidChangeExternally(seenClosed);
  disposed.store.onDidChangeExternally(seenDisposed).dispose();
  t.after(open.store.onDidChangeExternally(seenOpen).dispose);
  closed.store.close();

  // Two writes, each heard by the store still listening: the others watched nothing by then.
  await writer.worksheets.createFolder(null, 'one');
  await until('the open store to hear the first write', () => seenOpen.changes.length === 1);
  await writer.worksheets.createFolder(null, 'two');
  await until('the open store to hear the second write', () => seenOpen.changes.length === 2);
  assert.deepEqual(seenClosed.changes, []);
  assert.deepEqual(seenClosed.failures, [], 'a closed store does not even try to read');
  assert.deepEqual(seenDisposed.changes, []);
});

test('the mdw command line in its own process: ws new and ws save fire the listener of a store open here', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const env = { MDW_KEY_FILE: f.keyFile, XDG_CONFIG_HOME: path.join(f.root, 'cli-config'), MDW_SMTP_URL: '' };
  const run = (...args: string[]) => mdw(['--no-service', '--warehouse', f.warehouse, ...args], { env });
  const sent = await run('signin', 'cli@example.com');
  assert.equal(sent.code, 0, sent.stderr);
  const code = /code is (\d{6})/.exec(sent.stderr)![1]!;
  const done = await run('signin', 'cli@example.com', '--code', code);
  assert.equal(done.code, 0, done.stderr);

  // The same account signed in here too (this test's own auth service lets a second code go out at once).
  const here = await openWithAuth(f, {}, { resendAfterMs: 0 });
  t.after(() => here.store.close());
  const { account } = await signIn(here.auth, here.outbox, 'cli@example.com');
  const seen = recorder();
  t.after(here.store.onDidChangeExternally(seen).dispose);

  const made = await run('ws', 'new', '/from the cli', '--sql', 'select 42');
  assert.equal(made.code, 0, made.stderr);
  await until('the new worksheet to be heard', () => seen.changes.some((c) => c.tables.has(T.node)));
  const node = await account.worksheets.resolve('/from the cli');
  assert.ok(node);
  assert.equal((await account.worksheets.open(node.id)).sql, 'select 42');

  const heard = seen.changes.length;
  const saved = await run('ws', 'save', '/from the cli', '--sql', 'select 43');
  assert.equal(saved.code, 0, saved.stderr);
  await until('the save to be heard', () => seen.changes.length > heard);
  assert.ok(seen.changes.at(-1)!.tables.has(T.rev));
  assert.equal((await account.worksheets.open(node.id)).sql, 'select 43');
  assert.deepEqual(seen.failures, []);
});

test('a watch that cannot start reports the failure and throws nothing; a listener that throws does not stop the others', async (t) => {
  const failures: unknown[] = [];
  let checks = 0;
  const watcher = new StoreWatcher({
    file: path.join(os.tmpdir(), `mdw-no-such-folder-${process.pid}`, 'metadata.log'),
    check: async () => void checks++,
    failed: (e) => void failures.push(e),
  });
  t.after(() => watcher.dispose());
  assert.equal(failures.length, 1);
  assert.equal((failures[0] as { code?: string }).code, 'ENOENT');
  assert.equal(checks, 0);

  const f = fixture();
  t.after(f.cleanup);
  const a = await openWithAuth(f);
  t.after(() => a.store.close());
  const { account: writer } = await signIn(a.auth, a.outbox, 'ivy@example.com');
  const b = await openWithAuth(f);
  t.after(() => b.store.close());
  const thrown: unknown[] = [];
  const seen = recorder();
  t.after(
    b.store.onDidChangeExternally({
      changed: () => {
        throw new Error('a listener bug');
      },
      failed: (e) => void thrown.push(e),
    }).dispose,
  );
  t.after(b.store.onDidChangeExternally(seen).dispose);
  await writer.worksheets.createFolder(null, 'still heard');
  await until('the second listener to hear the write', () => seen.changes.length === 1);
  assert.equal((thrown[0] as Error).message, 'a listener bug', 'the throwing listener is told, nothing else');
  assert.deepEqual(seen.failures, []);
});
