import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { fixture, openWithAuth, signIn, type Fixture } from '../support/store.js';

const WORKER = path.join(__dirname, '..', 'support', 'storeWorker.js');

function worker(f: Fixture, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [WORKER], {
    env: { ...process.env, MDW_TEST_WAREHOUSE: f.warehouse, MDW_KEY_FILE: f.keyFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
}

test('killing a process in the middle of a loop of saves never loses the last committed save', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const setup = await openWithAuth(f);
  const { account, token } = await signIn(setup.auth, setup.outbox, 'crash@example.com');
  await account.worksheets.createWorksheet(null, 'crash', { sql: 'select -1' });
  setup.store.close();

  let next = 0;
  const rounds = 8;
  for (let round = 0; round < rounds; round++) {
    const child = worker(f, {
      MDW_TEST_MODE: 'save-loop',
      MDW_TEST_TOKEN: token,
      MDW_TEST_START: String(next),
      // Small: compaction (write, fsync, rename) happens every few saves, so some kills land inside it.
      MDW_TEST_COMPACT: String(16 * 1024),
    });
    const done = exited(child);
    const killAfter = 5 + ((round * 37) % 60);
    let last = -1;
    let buffered = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) last = Number(line);
        if (last >= next + killAfter && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => resolve());
    });
    const { signal, stderr } = await done;
    assert.equal(signal, 'SIGKILL', `round ${round} ended by itself: ${stderr}`);

    const reopened = await openWithAuth(f);
    const again = await reopened.auth.resume(token);
    const sheet = (await again.worksheets.resolve('/crash'))!;
    const saved = Number(/^select (\d+)/.exec((await again.worksheets.open(sheet.id)).sql)![1]);
    assert.ok(saved >= last && saved <= last + 1, `round ${round}: reported ${last}, stored ${saved}`);
    const revisions = await again.worksheets.revisions(sheet.id);
    assert.equal(revisions.length, Math.min(20, saved + 2), 'the initial save plus one per reported save, capped');
    assert.match(revisions[0]!.sql, new RegExp(`^select ${saved} `));
    assert.ok((await again.history.list()).length > 0);
    reopened.store.close();
    next = saved + 1;
  }
});

test('two processes writing at once both succeed and lose nothing', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  const setup = await openWithAuth(f, { compactAfterBytes: 8 * 1024 });
  t.after(() => setup.store.close());
  const { account, token } = await signIn(setup.auth, setup.outbox, 'two@example.com');
  const children = ['left', 'right'].map((prefix) =>
    exited(
      worker(f, {
        MDW_TEST_MODE: 'create',
        MDW_TEST_TOKEN: token,
        MDW_TEST_PREFIX: prefix,
        MDW_TEST_COUNT: '60',
        MDW_TEST_COMPACT: '8192',
      }),
    ),
  );
  for (let i = 0; i < 30; i++) await account.worksheets.createFolder(null, `parent ${i}`);
  for (const result of await Promise.all(children)) assert.equal(result.code, 0, result.stderr);
  const names = (await account.worksheets.children()).map((n) => n.name);
  assert.equal(names.length, 150);
  for (const prefix of ['left', 'right']) {
    for (let i = 0; i < 60; i++) assert.ok(names.includes(`${prefix} ${i}`), `${prefix} ${i}`);
  }
});
