import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStore, signedInAccount } from '../../src/cli/account.js';
import { databaseKeyOptions } from '../../src/engine/encryption.js';
import { Warehouse } from '../../src/engine/warehouse.js';
import { mdw } from '../support/cli.js';
import { withUnsafeTestCrypto } from '../support/unsafeCrypto.js';

let root: string;
let wh: string;
let env: NodeJS.ProcessEnv;
const run = (...args: string[]) => mdw(['--warehouse', wh, ...args], { env });

async function listJson(
  extra: NodeJS.ProcessEnv = {},
): Promise<{ name: string; encrypted: boolean; readOnly: boolean; encryptionNote?: string }[]> {
  const r = await mdw(['--warehouse', wh, 'db', 'list', '--format', 'json'], { env: { ...env, ...extra } });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { databases: [] }).databases;
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-cli-crypt-'));
  wh = path.join(root, 'wh');
  env = {
    MDW_KEY_FILE: path.join(root, 'keys', 'master.key'),
    XDG_CONFIG_HOME: path.join(root, 'config'),
    MDW_SMTP_URL: '',
    MDW_ENCRYPTION: '',
  };
  const sent = await run('signin', 'vault@example.com');
  assert.equal(sent.code, 0, sent.stderr);
  const code = /code is (\d{6})/.exec(sent.stderr)![1]!;
  const done = await run('signin', 'vault@example.com', '--code', code);
  assert.equal(done.code, 0, done.stderr);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('mdw and database encryption (no httpfs installed, as offline)', () => {
  test('db encryption shows the setting and that OpenSSL crypto is missing, with the install command', async () => {
    const r = await run('db', 'encryption');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /setting:\s+when-available/);
    assert.match(r.stdout, /OpenSSL crypto: not available: .*httpfs/);
    assert.match(r.stdout, /new databases:\s+created unencrypted, with a note/);
    assert.match(r.stdout, /mdw db encryption --install/);
    const required = await run('--encryption', 'required', 'db', 'encryption');
    assert.match(required.stdout, /setting:\s+required/);
    assert.match(required.stdout, /new databases:\s+refused/);
    const off = await mdw(['--warehouse', wh, 'db', 'encryption'], {
      env: { ...env, MDW_ENCRYPTION: 'off' },
    });
    assert.match(off.stdout, /setting:\s+off/);
  });

  test('when-available creates a plain database and says so; db list marks it', async () => {
    const r = await run('db', 'create', 'plain1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created unencrypted database plain1/);
    assert.match(r.stderr, /note: "plain1" was created unencrypted: .*httpfs.*mdw db encryption --install/s);
    const table = await run('db', 'list');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /encrypted/);
    assert.match(table.stdout, /plain1\s+│\s+no\s+│/);
    assert.match(table.stdout, /note: databases marked "no" are not encrypted/);
    const [db] = await listJson();
    assert.deepEqual([db!.name, db!.encrypted], ['plain1', false]);
  });

  test('required (flag or $MDW_ENCRYPTION) refuses to create, saying how to enable encryption', async () => {
    for (const r of [
      await run('--encryption', 'required', 'db', 'create', 'must1'),
      await mdw(['--warehouse', wh, 'db', 'create', 'must2'], {
        env: { ...env, MDW_ENCRYPTION: 'required' },
      }),
    ]) {
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /encryption is required/);
      assert.match(r.stderr, /mdw db encryption --install/);
    }
    assert.deepEqual(
      (await listJson()).map((d) => d.name),
      ['plain1'],
    );
  });

  test('off creates plain databases without a note; a bad setting is a usage error', async () => {
    const r = await run('--encryption', 'off', 'db', 'create', 'plain2');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const bad = await run('--encryption', 'sometimes', 'db', 'list');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--encryption: .*required, when-available or off/);
    const badEnv = await mdw(['--warehouse', wh, 'db', 'list'], { env: { ...env, MDW_ENCRYPTION: 'yes' } });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /\$MDW_ENCRYPTION/);
    assert.equal((await run('db', 'drop', 'plain2', '--yes')).code, 0);
  });

  test('an encrypted database (made with the test-only crypto) opens read-only; list and query say so', async () => {
    const store = await openStore(env, wh);
    try {
      const { account } = await signedInAccount(store, env, wh);
      const w = await Warehouse.open(
        wh,
        withUnsafeTestCrypto({ space: account.space, ...databaseKeyOptions(account) }),
      );
      try {
        assert.equal((await w.createDatabase('vault')).encrypted, true);
        await w.withConnection((c) => c.run(`CREATE TABLE vault.t AS SELECT 'kept' AS s`));
      } finally {
        await w.close();
      }
    } finally {
      await store.close();
    }
    const table = await run('db', 'list');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /vault\s+│\s+yes \(read-only\)/);
    assert.match(table.stdout, /note: "vault" is encrypted and opened read-only/);
    const vault = (await listJson()).find((d) => d.name === 'vault')!;
    assert.deepEqual([vault.encrypted, vault.readOnly], [true, true]);
    const read = await run('query', 'SELECT s FROM vault.t');
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stdout, /kept/);
    const write = await run('query', `INSERT INTO vault.t VALUES ('x')`);
    assert.equal(write.code, 1);
    assert.match(write.stderr, /read-only|read only/i);
    const catalog = await run('catalog');
    assert.match(catalog.stdout, /vault\s+│\s+yes/);
  });

  test('db encryption --install stops at its timeout against a source that never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await run(
        'db',
        'encryption',
        '--install',
        '--from',
        `http://127.0.0.1:${port}`,
        '--timeout',
        '2',
      );
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /installing httpfs into .*giving up after 2 s/);
      assert.match(r.stderr, /did not finish within 2 s and was stopped/);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
    const status = await run('db', 'encryption');
    assert.match(status.stdout, /not available/);
    const usage = await run('db', 'encryption', '--timeout', '5');
    assert.equal(usage.code, 2);
    const badTimeout = await run('db', 'encryption', '--install', '--timeout', 'soon');
    assert.equal(badTimeout.code, 2);
    const notWarehouse = await mdw(
      ['--warehouse', path.join(root, 'nowhere'), 'db', 'encryption', '--install'],
      {
        env,
      },
    );
    assert.equal(notWarehouse.code, 1);
    assert.match(notWarehouse.stderr, /not a warehouse yet/);
    assert.ok(!fs.existsSync(path.join(root, 'nowhere')));
  });
});
