import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  createMessageConnection,
  ResponseError,
  SocketMessageReader,
  SocketMessageWriter,
} from 'vscode-jsonrpc/node';
import { saveToken } from '../../src/cli/account.js';
import { databaseKeyOptions } from '../../src/engine/encryption.js';
import { isEngineError } from '../../src/engine/errors.js';
import { ServiceClient } from '../../src/engine/service/client.js';
import { RemoteEngine, type EngineSession } from '../../src/engine/service/engine.js';
import { servicePaths } from '../../src/engine/service/paths.js';
import { Warehouse } from '../../src/engine/warehouse.js';
import { mdw } from '../support/cli.js';
import { fixture, openWithAuth, signIn, type Fixture } from '../support/store.js';

let f: Fixture;
let tokenA: string;
let tokenB: string;
const engines: RemoteEngine[] = [];
/** Idle time of the services these tests start: short, so that the idle test ends soon. */
const env = { ...process.env, MDW_SERVICE_IDLE_SECONDS: '2' };

const masterKey = () => f.keys.getMasterKey({ create: false });

async function engine(sessionToken = tokenA): Promise<RemoteEngine> {
  const e = await RemoteEngine.connect({
    warehouseDir: f.warehouse,
    env,
    masterKey,
    sessionToken,
    space: { encryption: 'whenAvailable', allowedFolders: [path.join(f.root, 'data')], protectedPaths: [] },
  });
  engines.push(e);
  return e;
}

async function scalar(s: EngineSession, sql: string): Promise<unknown> {
  const r = await s.run(sql);
  assert.equal(r.error, undefined, r.error?.message);
  const last = r.outcomes[r.outcomes.length - 1]!;
  assert.equal(last.status, 'rows');
  if (last.status !== 'rows') return undefined;
  await last.result.whenComplete();
  return (await last.result.page(0, 1)).rows[0]![0];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  f = fixture();
  fs.mkdirSync(path.join(f.root, 'data'));
  const { store, auth, outbox } = await openWithAuth(f);
  const a = await signIn(auth, outbox, 'a@example.com');
  tokenA = a.token;
  tokenB = (await signIn(auth, outbox, 'b@example.com')).token;
  // A database for account A, made in-process before any service runs.
  const w = await Warehouse.open(f.warehouse, { space: a.account.space, ...databaseKeyOptions(a.account) });
  await w.createDatabase('sales');
  await w.close();
  store.close();
});

after(async () => {
  for (const e of engines) await e.close();
  const { socket } = servicePaths(f.warehouse, env);
  // Every client is closed: the service stops after its idle time and removes its socket.
  await waitFor('the service to stop', () => !fs.existsSync(socket));
  f.cleanup();
});

describe('warehouse service', () => {
  let first: RemoteEngine;
  let second: RemoteEngine;

  test('two clients starting at once end with one service; both run queries at the same time', async () => {
    [first, second] = await Promise.all([engine(), engine()]);
    assert.ok(first.servicePid);
    assert.equal(first.servicePid, second.servicePid);
    assert.notEqual(first.servicePid, process.pid);
    const [s1, s2] = await Promise.all([first.openSession(), second.openSession()]);
    const [x, y] = await Promise.all([
      scalar(s1, 'SELECT sum(range) FROM range(3000000)'),
      scalar(s2, 'SELECT count(*) FROM range(2000000) WHERE range % 2 = 0'),
    ]);
    assert.equal(String(x), String(4499998500000n));
    assert.equal(String(y), '1000000');
    await s1.close();
    await s2.close();
  });

  test('a transaction in one client is invisible to the other until commit; DDL reaches the other client', async () => {
    const changes: unknown[] = [];
    const sub = second.onCatalogChanged((c) => changes.push(c));
    const s1 = await first.openSession({ database: 'sales' });
    const s2 = await second.openSession({ database: 'sales' });
    await scalar(s1, 'CREATE TABLE orders (id INTEGER); SELECT count(*) FROM orders');
    await waitFor('the catalog change to reach the other client', () => changes.length > 0);
    assert.deepEqual(await second.catalog.objects('sales', 'main').then((o) => o.map((x) => x.name)), [
      'orders',
    ]);
    const begin = await s1.run('BEGIN; INSERT INTO orders VALUES (1), (2), (3)');
    assert.equal(begin.error, undefined);
    assert.equal(begin.transaction.open, true);
    assert.equal(String(await scalar(s2, 'SELECT count(*) FROM orders')), '0');
    assert.equal(String(await scalar(s1, 'SELECT count(*) FROM orders')), '3');
    assert.equal((await s1.run('COMMIT')).error, undefined);
    assert.equal(String(await scalar(s2, 'SELECT count(*) FROM orders')), '3');
    sub.dispose();
    await s1.close();
    await s2.close();
  });

  test('an SQL error comes back with its code, line and column', async () => {
    const s = await first.openSession();
    const r = await s.run('SELECT 1;\nSELEC 2');
    assert.equal(r.error?.code, 'SQL_PARSE');
    assert.equal(r.error?.position?.line, 2);
    await s.close();
  });

  test('a client with a wrong token is refused, and nothing is served before the token is proven', async () => {
    const { socket } = servicePaths(f.warehouse, env);
    const raw = net.connect(socket);
    await new Promise((r) => raw.once('connect', r));
    const c = createMessageConnection(new SocketMessageReader(raw), new SocketMessageWriter(raw));
    c.listen();
    const code = (e: unknown) =>
      e instanceof ResponseError ? (e.data as { code?: string })?.code : undefined;
    await assert.rejects(c.sendRequest('session.open', {}), (e) => code(e) === 'SERVICE_REFUSED');
    const key = Buffer.from(await masterKey()).toString('base64');
    await assert.rejects(
      c.sendRequest('hello', { token: 'not-the-token', masterKey: key, version: 1 }),
      (e) => code(e) === 'SERVICE_REFUSED',
    );
    await assert.rejects(c.sendRequest('catalog.databases', {}), () => true);
    c.dispose();
    raw.destroy();
  });

  test('a token file others can read is refused', async () => {
    const { token } = servicePaths(f.warehouse, env);
    fs.chmodSync(token, 0o644);
    try {
      await assert.rejects(
        ServiceClient.connect({ warehouseDir: f.warehouse, env, masterKey }),
        (e) => isEngineError(e, 'SERVICE_REFUSED') && /not private/.test(e.message),
      );
    } finally {
      fs.chmodSync(token, 0o600);
    }
  });

  test("a client signed in as B cannot name A's sessions or results, nor see A's databases", async () => {
    const connectRaw = async (token: string) => {
      const c = await ServiceClient.connect({ warehouseDir: f.warehouse, env, masterKey });
      await c.request('resume', {
        sessionToken: token,
        space: {
          encryption: 'whenAvailable',
          allowedFolders: [path.join(f.root, 'data')],
          protectedPaths: [],
        },
      });
      return c;
    };
    const a = await connectRaw(tokenA);
    const b = await connectRaw(tokenB);
    try {
      const { session } = await a.request('session.open', { database: 'sales' });
      const run = await a.request('run.start', { session, script: 'SELECT * FROM orders' });
      const rows = run.first.outcome!;
      assert.equal(rows.status, 'rows');
      const result = rows.status === 'rows' ? rows.result.summary.resultId : '';
      await assert.rejects(b.request('run.start', { session, script: 'SELECT 1' }), (e) =>
        isEngineError(e, 'SESSION_CLOSED'),
      );
      await assert.rejects(b.request('result.page', { session, result, offset: 0, limit: 10 }), (e) =>
        isEngineError(e, 'SESSION_CLOSED'),
      );
      assert.deepEqual(await b.request('catalog.databases', {}), []);
      assert.deepEqual(
        (await a.request('catalog.databases', {})).map((d) => d.name),
        ['sales'],
      );
    } finally {
      a.close();
      b.close();
    }
  });

  test('mdw uses the same service while another client holds a session with an open transaction', async () => {
    const cliEnv = {
      MDW_KEY_FILE: f.keyFile,
      XDG_CONFIG_HOME: path.join(f.root, 'cli-config'),
      MDW_SMTP_URL: '',
    };
    saveToken(cliEnv, f.warehouse, tokenA);
    const cli = (...args: string[]) =>
      mdw(['--warehouse', f.warehouse, ...args], { env: { ...env, ...cliEnv } });
    const changes: unknown[] = [];
    const sub = first.onCatalogChanged((c) => changes.push(c));
    const held = await first.openSession({ database: 'sales' });
    assert.equal((await held.run('BEGIN; INSERT INTO orders VALUES (100)')).error, undefined);
    const count = await cli('query', '--db', 'sales', '--format', 'csv', 'SELECT count(*) AS n FROM orders');
    assert.equal(count.code, 0, count.stderr);
    assert.equal(count.stdout, 'n\n3\n', 'the open transaction of the other client is not visible');
    // In-process (--no-service) cannot open the databases the service holds (DuckDB's lock), and says why.
    const inProcess = await cli('--no-service', 'query', 'SELECT 1');
    assert.equal(inProcess.code, 1, inProcess.stdout);
    assert.match(inProcess.stderr, /warehouse service holds it/);
    const ddl = await cli('query', '--db', 'sales', 'CREATE TABLE from_cli AS SELECT 1 AS x');
    assert.equal(ddl.code, 0, ddl.stderr);
    await waitFor('the CLI DDL to reach the other client', () => changes.length > 0);
    const created = await cli('db', 'create', 'from_cli');
    assert.equal(created.code, 0, created.stderr);
    assert.ok((await first.catalog.databases()).some((d) => d.name === 'from_cli'));
    const dropped = await cli('db', 'drop', 'from_cli', '--yes');
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.equal((await held.run('COMMIT')).error, undefined);
    const after = await cli('query', '--db', 'sales', '--format', 'csv', 'SELECT count(*) AS n FROM orders');
    assert.equal(after.stdout, 'n\n4\n');
    assert.equal(
      String(await scalar(held, 'DELETE FROM orders WHERE id = 100; SELECT count(*) FROM orders')),
      '3',
    );
    sub.dispose();
    await held.close();
  });

  test('signing out everywhere (in another process) ends the account in the service for every client', async () => {
    const { store, auth, outbox } = await openWithAuth(f);
    try {
      const c = await signIn(auth, outbox, 'c@example.com');
      const third = await engine(c.token);
      const s = await third.openSession();
      assert.equal(String(await scalar(s, 'SELECT 41 + 1')), '42');
      await c.account.signOutEverywhere();
      await assert.rejects(third.openSession(), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
      await assert.rejects(third.catalog.databases(), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
      await assert.rejects(s.run('SELECT 1'), (e) => isEngineError(e, 'NOT_SIGNED_IN'));
      // A's clients are not affected.
      const a = await first.openSession();
      assert.equal(String(await scalar(a, 'SELECT 1')), '1');
      await a.close();
    } finally {
      store.close();
    }
  });

  test('kill -9 of the service mid-query: a clear error, the next call starts a new one, committed rows are there', async () => {
    const s = await first.openSession({ database: 'sales' });
    assert.equal((await s.run('INSERT INTO orders VALUES (4)')).error, undefined);
    const pid = first.servicePid!;
    let died = false;
    second.onServiceDied(() => (died = true));
    const running = s.run(
      'SELECT count(*) FROM range(200000) a, range(200000) b WHERE a.range + b.range = 7',
    );
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGKILL');
    await assert.rejects(
      running,
      (e) => isEngineError(e, 'SERVICE_UNAVAILABLE') && /stopped/.test(e.message),
    );
    await waitFor('the other client to hear of it', () => died);
    await assert.rejects(s.run('SELECT 1'), (e) => isEngineError(e, 'SESSION_CLOSED'));
    const again = await first.openSession({ database: 'sales' });
    assert.notEqual(first.servicePid, pid);
    assert.equal(String(await scalar(again, 'SELECT count(*) FROM orders')), '4');
    await again.close();
  });

  test('the service exits when idle with no client', async () => {
    const pid = first.servicePid!;
    for (const e of engines) await e.close();
    await waitFor('the idle service to exit', () => !alive(pid));
    assert.equal(fs.existsSync(servicePaths(f.warehouse, env).socket), false);
  });
});
