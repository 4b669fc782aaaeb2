import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileKeyProvider, StaticKeyProvider, generateMasterKey } from '../../src/engine/crypto/keys.js';
import { KeyRing, seal, unseal } from '../../src/engine/crypto/seal.js';
import { isEngineError } from '../../src/engine/errors.js';
import { tempDir } from '../support/store.js';

test('FileKeyProvider creates a 32-byte key with mode 0600 and returns the same key afterwards', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'cfg', 'master.key');
  const provider = new FileKeyProvider({ file });
  const key = await provider.getMasterKey();
  assert.equal(key.length, 32);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(await new FileKeyProvider({ file }).getMasterKey(), key);
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['master.key'], 'no temporary file left behind');
});

test('FileKeyProvider reads $MDW_KEY_FILE, else master.key in the config folder', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  assert.equal(new FileKeyProvider({ env: { MDW_KEY_FILE: path.join(dir, 'k') } }).file, path.join(dir, 'k'));
  assert.equal(new FileKeyProvider({ configDir: dir, env: {} }).file, path.join(dir, 'master.key'));
});

test('FileKeyProvider refuses a key of the wrong size, a key others can read, and creating when told not to', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = path.join(dir, 'master.key');
  await assert.rejects(new FileKeyProvider({ file }).getMasterKey({ create: false }), (e) =>
    isEngineError(e, 'KEY_MISSING'),
  );
  assert.equal(fs.existsSync(file), false);

  fs.writeFileSync(file, Buffer.alloc(31, 1), { mode: 0o600 });
  await assert.rejects(
    new FileKeyProvider({ file }).getMasterKey(),
    (e) => isEngineError(e, 'KEY_INVALID') && /31 bytes/.test(e.message),
  );

  fs.writeFileSync(file, Buffer.alloc(32, 1));
  fs.chmodSync(file, 0o644);
  await assert.rejects(
    new FileKeyProvider({ file }).getMasterKey(),
    (e) => isEngineError(e, 'KEY_INVALID') && /chmod 600/.test(e.message),
  );
  fs.chmodSync(file, 0o600);
  assert.deepEqual(await new FileKeyProvider({ file }).getMasterKey(), new Uint8Array(32).fill(1));
});

test('StaticKeyProvider checks the key length', async () => {
  assert.throws(
    () => new StaticKeyProvider(new Uint8Array(16)),
    (e) => isEngineError(e, 'KEY_INVALID'),
  );
  const key = generateMasterKey();
  assert.deepEqual(await new StaticKeyProvider(key).getMasterKey(), key);
});

test('sealing detects a flipped byte, another key and other associated data', async () => {
  const ring = await KeyRing.fromMaster(generateMasterKey());
  const other = await KeyRing.fromMaster(generateMasterKey());
  const sealed = seal(ring.storeKey, 'secret text', 'ad-1');
  assert.equal(Buffer.from(unseal(ring.storeKey, sealed, 'ad-1')!).toString(), 'secret text');
  assert.equal(unseal(ring.storeKey, sealed, 'ad-2'), undefined);
  assert.equal(unseal(other.storeKey, sealed, 'ad-1'), undefined);
  for (let i = 0; i < sealed.length; i++) {
    const bad = new Uint8Array(sealed);
    bad[i]! ^= 0x01;
    assert.equal(unseal(ring.storeKey, bad, 'ad-1'), undefined, `flip at ${i}`);
  }
  assert.notDeepEqual(
    seal(ring.storeKey, 'same', 'a'),
    seal(ring.storeKey, 'same', 'a'),
    'fresh nonce each time',
  );
});

test('keyed hashes are stable per master key, differ across keys and purposes, and wrapping binds the owner', async () => {
  const master = generateMasterKey();
  const a = await KeyRing.fromMaster(master);
  const b = await KeyRing.fromMaster(master);
  const c = await KeyRing.fromMaster(generateMasterKey());
  assert.equal(a.hash('email', 'x@example.com'), b.hash('email', 'x@example.com'));
  assert.notEqual(a.hash('email', 'x@example.com'), c.hash('email', 'x@example.com'));
  assert.notEqual(a.hash('email', 'x@example.com'), a.hash('code', 'x@example.com'));
  assert.match(a.hash('email', 'x'), /^[0-9a-f]{64}$/);
  const dataKey = new Uint8Array(32).fill(7);
  const wrapped = a.wrap(dataKey, 'acct1');
  assert.deepEqual(b.unwrap(wrapped, 'acct1'), dataKey);
  assert.equal(b.unwrap(wrapped, 'acct2'), undefined);
  assert.equal(c.unwrap(wrapped, 'acct1'), undefined);
});
