import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mdw } from '../support/cli.js';
import { startSmtp } from '../support/smtp.js';

let root: string;
let wh: string;
let env: NodeJS.ProcessEnv;
const run = (...args: string[]) => mdw(['--warehouse', wh, ...args], { env });

/** Signs in through development delivery: the code is read back from the labelled message on stderr. */
async function signIn(email: string, userEnv: NodeJS.ProcessEnv = env): Promise<void> {
  const sent = await mdw(['--warehouse', wh, 'signin', email], { env: userEnv });
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stderr, /development delivery/);
  const code = /code is (\d{6})/.exec(sent.stderr)![1]!;
  const done = await mdw(['--warehouse', wh, 'signin', email, '--code', code], { env: userEnv });
  assert.equal(done.code, 0, done.stderr);
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-cli-'));
  wh = path.join(root, 'wh');
  env = {
    MDW_KEY_FILE: path.join(root, 'keys', 'master.key'),
    XDG_CONFIG_HOME: path.join(root, 'config'),
    MDW_SMTP_URL: '',
  };
  await signIn('analyst@example.com');
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('mdw help and usage', () => {
  test('--help lists every command; each command has its own help', async () => {
    const r = await mdw(['--help']);
    assert.equal(r.code, 0);
    for (const c of [
      'db create',
      'db list',
      'db rename',
      'db drop',
      'query',
      'import',
      'export',
      'catalog',
    ]) {
      assert.match(r.stdout, new RegExp(`\\n  ${c} `), c);
    }
    const q = await mdw(['query', '--help']);
    assert.equal(q.code, 0);
    assert.match(q.stdout, /--format F/);
    assert.match(q.stdout, /Exit status/);
  });

  test('--help after global options with values prints the main help and exits 0', async () => {
    const plain = await mdw(['--help']);
    for (const args of [
      ['--warehouse', wh, '--help'],
      ['--warehouse', wh, '-h'],
      ['--encryption', 'off', '--warehouse', wh, '--help'],
      ['--read-only', '--warehouse', wh, '--help'],
    ]) {
      const r = await mdw(args, { env });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, plain.stdout, args.join(' '));
    }
    const q = await run('query', '--help');
    assert.equal(q.code, 0);
    assert.match(q.stdout, /--format F/);
    const none = await run();
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no command given/);
  });

  test('usage errors exit 2 with a message', async () => {
    assert.equal((await mdw(['nonsense'])).code, 2);
    const bad = await run('query', '--format', 'xml', 'SELECT 1');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format must be one of/);
    const unknown = await run('db', 'create', '--nope', 'x');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /usage: mdw/);
    assert.equal((await run('db', 'create')).code, 2);
  });
});

describe('mdw over a real warehouse', () => {
  test('db create, list, rename, drop (with and without --yes)', async () => {
    assert.equal((await run('db', 'create', 'sales')).code, 0);
    assert.equal((await run('db', 'create', 'crm')).code, 0);
    const dup = await run('db', 'create', 'SALES');
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /exists|taken|already/i);
    for (const bad of ['a.b', '../x', 'memory', "o'q", '']) {
      const r = await run('db', 'create', bad);
      assert.equal(r.code, 1, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /letters, digits/);
    }
    const list = await run('db', 'list', '--format', 'json');
    assert.deepEqual(
      (JSON.parse(list.stdout) as { databases: { name: string }[] }).databases.map((d) => d.name).sort(),
      ['crm', 'sales'],
    );
    assert.equal((await run('db', 'create', 'tmp1')).code, 0);
    assert.equal((await run('db', 'rename', 'tmp1', 'tmp2')).code, 0);
    const tmp2 = (
      JSON.parse((await run('db', 'list', '--format', 'json')).stdout) as {
        databases: { name: string; path: string }[];
      }
    ).databases.find((d) => d.name === 'tmp2')!.path;
    const refused = await run('db', 'drop', 'tmp2');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    assert.ok(fs.existsSync(tmp2));
    assert.equal((await run('db', 'drop', 'tmp2', '--yes')).code, 0);
    assert.ok(!fs.existsSync(tmp2));
  });

  test('a multi-statement script prints every result; cross-database join', async () => {
    const r = await run(
      'query',
      '--db',
      'sales',
      `CREATE TABLE orders AS SELECT range AS id, range % 3 AS cust, (range * 10)::DECIMAL(10,2) AS amount FROM range(9);
       CREATE TABLE crm.main.customers AS SELECT range AS id, 'c;' || range AS name FROM range(3);
       SELECT c.name, sum(o.amount) AS total FROM sales.main.orders o JOIN crm.main.customers c ON o.cust = c.id GROUP BY ALL ORDER BY 1;
       UPDATE orders SET amount = 0 WHERE id = 0;`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /c;0\s+│\s+90\.00/);
    assert.match(r.stdout, /c;2\s+│\s+150\.00/);
    assert.match(r.stdout, /\(3 rows\)/);
    assert.match(r.stdout, /1 row changed/);
  });

  test('--format json prints one document with JSON-safe cells', async () => {
    const r = await run(
      'query',
      '--format',
      'json',
      "SELECT 170141183460469231731687303715884105727::HUGEINT AS h, 'x' AS s, [1, 2] AS l, {'a': 1} AS st, NULL AS n, 'NaN'::DOUBLE AS nan; INSERT INTO sales.main.orders VALUES (100, 1, 5)",
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      results: {
        sql: string;
        columns?: { name: string; type: string }[];
        rows?: unknown[][];
        rowCount?: number;
        changes?: number;
      }[];
    };
    assert.equal(doc.results.length, 2);
    const [rows, insert] = doc.results;
    assert.deepEqual(
      rows!.columns!.map((c) => c.type),
      ['HUGEINT', 'VARCHAR', 'INTEGER[]', 'STRUCT("a" INTEGER)', 'INTEGER', 'DOUBLE'],
    );
    assert.deepEqual(rows!.rows, [
      ['170141183460469231731687303715884105727', 'x', [1, 2], { a: 1 }, null, 'nan'],
    ]);
    assert.equal(rows!.rowCount, 1);
    assert.equal(insert!.changes, 1);
  });

  test('csv and ndjson formats; SQL from a file and from standard input', async () => {
    const file = path.join(root, 'q.sql');
    fs.writeFileSync(file, "SELECT 'a,b' AS x, NULL AS y UNION ALL SELECT 'say \"hi\"', 2 ORDER BY 1");
    const csv = await run('query', '--format', 'csv', '-f', file);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout, 'x,y\n"a,b",\n"say ""hi""",2\n');
    const nd = await mdw(['--warehouse', wh, 'query', '--format', 'ndjson', '-'], {
      env,
      input: 'SELECT 42 AS answer',
    });
    assert.equal(nd.code, 0, nd.stderr);
    assert.deepEqual(JSON.parse(nd.stdout), { answer: 42 });
  });

  test("csv output is DuckDB's own COPY output: an empty string and NULL survive a round trip", async () => {
    const sql = `SELECT * FROM (VALUES
        (1, '', NULL, 'a,b', 'say "hi"', 'two
lines', 'NULL', ' pad '),
        (2, NULL, '', '', '', '', '', '')) t(id, a, b, c, d, e, f, g) ORDER BY id`;
    const csv = await run('query', '--format', 'csv', sql);
    assert.equal(csv.code, 0, csv.stderr);

    const { DuckDBInstance } = await import('@duckdb/node-api');
    const duck = await DuckDBInstance.create(':memory:');
    const c = await duck.connect();
    try {
      const copied = path.join(root, 'copied.csv');
      await c.run(`COPY (${sql}) TO '${copied}' (FORMAT csv)`);
      assert.equal(csv.stdout, fs.readFileSync(copied, 'utf8'), 'the same bytes as COPY … (FORMAT csv)');

      const ours = path.join(root, 'ours.csv');
      fs.writeFileSync(ours, csv.stdout);
      const back = await c.runAndReadAll(
        `SELECT * FROM read_csv('${ours}', all_varchar = true, allow_quoted_nulls = false) ORDER BY id`,
      );
      const original = await c.runAndReadAll(`SELECT * EXCLUDE (id), id::VARCHAR AS id FROM (${sql})`);
      const byId = (rows: unknown[][], idAt: number) =>
        rows.map((r) => [r[idAt], ...r.filter((_, i) => i !== idAt)]);
      assert.deepEqual(byId(back.getRows(), 0), byId(original.getRows(), 7));
      assert.equal(back.getRows()[0]![1], '', 'the empty string came back as an empty string');
      assert.equal(back.getRows()[0]![2], null, 'NULL came back as NULL');

      const imported = await run('import', ours, 'crm.main.round_trip');
      assert.equal(imported.code, 0, imported.stderr);
      const again = await run('query', '--format', 'csv', 'SELECT * FROM crm.main.round_trip ORDER BY id');
      assert.equal(again.stdout, csv.stdout, 'mdw import keeps the empty string and NULL apart too');

      const values = `SELECT '0001-06-01 (BC)'::DATE AS d, -(0.0::DOUBLE) AS z, 0.123::DECIMAL(38,38) AS x,
        '0001-06-01 (BC)'::DATE::TIMESTAMP AS ts, 1.5::DOUBLE AS f, 'NULL' AS s`;
      const printed = await run('query', '--format', 'csv', values);
      assert.equal(printed.code, 0, printed.stderr);
      await c.run(`COPY (${values}) TO '${copied}' (FORMAT csv)`);
      assert.equal(printed.stdout, fs.readFileSync(copied, 'utf8'), "values print as DuckDB's own text");
    } finally {
      c.closeSync();
      duck.closeSync();
    }
  });

  test('an SQL error exits 1 with line and column; earlier statements stay done', async () => {
    const r = await run(
      'query',
      'CREATE TABLE sales.main.kept AS SELECT 1 AS a;\nSELECT *\n  FROM nowhere;\nSELECT 3',
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 3, column 8/);
    assert.match(r.stderr, /1 later statement was not run/);
    const again = await run('query', '--format', 'csv', 'SELECT a FROM sales.main.kept');
    assert.equal(again.stdout, 'a\n1\n');
    const parse = await run('query', 'SELECT 1;\nSELEC 2');
    assert.equal(parse.code, 1);
    assert.match(parse.stderr, /line 2, column 1/);
  });

  test('export and import round-trip through Parquet, CSV and JSON', async () => {
    for (const ext of ['parquet', 'csv', 'json', 'ndjson']) {
      const out = path.join(root, `orders.${ext}`);
      const e = await run('export', 'SELECT * FROM sales.main.orders ORDER BY id', out);
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stdout, /exported 10 rows/);
      const i = await run('import', out, `crm.main."from ${ext}"`);
      assert.equal(i.code, 0, i.stderr);
      assert.match(i.stdout, /10 rows/);
    }
    const again = await run('import', path.join(root, 'orders.csv'), 'crm.main."from csv"');
    assert.equal(again.code, 1);
    const append = await run('import', path.join(root, 'orders.csv'), 'crm.main."from csv"', '--append');
    assert.equal(append.code, 0, append.stderr);
    const count = await run('query', '--format', 'csv', 'SELECT count(*) AS n FROM crm.main."from csv"');
    assert.equal(count.stdout, 'n\n20\n');
    const missing = await run('import', path.join(root, 'nope.csv'), 'crm.main.t');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.csv/);
  });

  test('import refuses a CSV file whose columns the sniffer cannot find, saying what it found', async () => {
    const bad = path.join(root, 'ragged.csv');
    fs.writeFileSync(bad, 'a,b\n1,2\n3\n"x,4');
    const r = await run('import', bad, 'crm.main.ragged');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /ragged\.csv: DuckDB's CSV sniffer found no consistent columns/);
    assert.match(r.stderr, /one column named "a,b"/);
    const q = await run('query', 'SELECT * FROM crm.main.ragged');
    assert.equal(q.code, 1, 'no table was created');
  });

  test('catalog lists each level', async () => {
    const dbs = await run('catalog', '--format', 'json');
    assert.deepEqual(
      (JSON.parse(dbs.stdout) as { databases: { name: string }[] }).databases.map((d) => d.name).sort(),
      ['crm', 'sales'],
    );
    const tables = await run('catalog', 'crm.main');
    assert.match(tables.stdout, /customers\s+│ table/);
    const cols = await run('catalog', 'sales.main.orders', '--format', 'json');
    assert.deepEqual(
      (JSON.parse(cols.stdout) as { columns: { name: string; type: string }[] }).columns.map(
        (c) => `${c.name} ${c.type}`,
      ),
      ['id BIGINT', 'cust BIGINT', 'amount DECIMAL(10,2)'],
    );
    const none = await run('catalog', 'nope');
    assert.equal(none.code, 1);
  });

  test('a warehouse open in another process is refused with its PID', async () => {
    const { spawn } = await import('node:child_process');
    const dbs = JSON.parse((await run('db', 'list', '--format', 'json')).stdout) as {
      databases: { path: string }[];
    };
    const space = /spaces[\\/]([^\\/]+)[\\/]databases/.exec(dbs.databases[0]!.path)![1]!;
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(path.resolve(__dirname, '../../src/engine/warehouse.js'))}).Warehouse.open(${JSON.stringify(wh)}, { space: ${JSON.stringify(space)} }).then(() => { console.log('open'); setTimeout(() => {}, 30000); })`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      const r = await run('db', 'list');
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`PID ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('--read-only on a read-only warehouse folder prints the result and exits 0; history is a warning', async (t) => {
    const readOnly = makeReadOnly(wh);
    if (!readOnly) return t.skip('cannot make a folder read-only here (root without mount or chattr)');
    t.diagnostic(`warehouse folder made read-only with ${readOnly.how}`);
    try {
      assert.throws(() => fs.writeFileSync(path.join(wh, 'probe'), 'x'), 'the folder really is read-only');
      const r = await run(
        '--read-only',
        'query',
        '--format',
        'csv',
        'SELECT count(*) AS n FROM sales.main.orders',
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'n\n10\n');
      assert.match(r.stderr, /warning: the run was not added to the history/);
    } finally {
      readOnly.undo();
    }
    const after = await run('query', '--format', 'csv', 'SELECT 1 AS one');
    assert.equal(after.stdout, 'one\n1\n', 'the folder is writable again');
  });
});

/**
 * Makes `dir` read-only for this process: a read-only bind mount of the folder over itself (what the
 * issue saw: EROFS), else `chattr +i` on the folder and everything in it (EPERM, also for root), else, for
 * a user other than root, `chmod a-w`. Undefined when none is possible here.
 */
function makeReadOnly(dir: string): { how: string; undo(): void } | undefined {
  const ok = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  if (process.getuid?.() !== 0) {
    const modes = new Map<string, number>();
    const walk = (p: string): void => {
      modes.set(p, fs.statSync(p).mode);
      if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    };
    walk(dir);
    for (const [p, mode] of modes) fs.chmodSync(p, mode & 0o555);
    return { how: 'chmod a-w', undo: () => modes.forEach((mode, p) => fs.chmodSync(p, mode)) };
  }
  if (ok('mount', '--bind', dir, dir)) {
    if (ok('mount', '-o', 'remount,bind,ro', dir))
      return { how: 'a read-only bind mount', undo: () => ok('umount', dir) };
    ok('umount', dir);
  }
  if (ok('chattr', '-R', '+i', dir)) return { how: 'chattr +i', undo: () => ok('chattr', '-R', '-i', dir) };
  return undefined;
}

describe('mdw accounts and worksheets', () => {
  test('commands that need an account say so when nobody is signed in', async () => {
    const other = { ...env, XDG_CONFIG_HOME: path.join(root, 'config-nobody') };
    const r = await mdw(['--warehouse', wh, 'db', 'list'], { env: other });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Nobody is signed in.*mdw signin EMAIL/);
    assert.equal((await mdw(['--warehouse', wh, 'whoami'], { env: other })).code, 1);
  });

  test('sign-in through a real SMTP server; a wrong code is refused; the token file is private', async () => {
    const smtp = await startSmtp();
    const user = {
      ...env,
      XDG_CONFIG_HOME: path.join(root, 'config-smtp'),
      MDW_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MDW_MAIL_FROM: 'mdw@example.com',
    };
    try {
      const sent = await mdw(['--warehouse', wh, 'signin', 'Mail.User@example.com'], { env: user });
      assert.equal(sent.code, 0, sent.stderr);
      assert.doesNotMatch(sent.stderr, /development delivery/);
      const mail = await smtp.next('mail.user@example.com');
      const code = /\b(\d{6})\b/.exec(mail.text ?? '')![1]!;
      const wrong = await mdw(
        [
          '--warehouse',
          wh,
          'signin',
          'mail.user@example.com',
          '--code',
          code === '000000' ? '111111' : '000000',
        ],
        { env: user },
      );
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /Wrong code/);
      const ok = await mdw(['--warehouse', wh, 'signin', 'mail.user@example.com', '--code', code], {
        env: user,
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /signed in as mail\.user@example\.com \(new account\)/);
      const who = await mdw(['--warehouse', wh, 'whoami'], { env: user });
      assert.equal(who.stdout.trim(), 'mail.user@example.com');
      const tokenFile = path.join(root, 'config-smtp', 'microdatawarehouse', 'cli-sessions.json');
      assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);
      const reused = await mdw(['--warehouse', wh, 'signin', 'mail.user@example.com', '--code', code], {
        env: user,
      });
      assert.equal(reused.code, 1);
    } finally {
      await smtp.close();
    }
  });

  test('an SMTP server that is down gives a clear error and the user can retry', async () => {
    const down = {
      ...env,
      XDG_CONFIG_HOME: path.join(root, 'config-down'),
      MDW_SMTP_URL: 'smtp://127.0.0.1:9',
    };
    const r = await mdw(['--warehouse', wh, 'signin', 'down@example.com'], { env: down });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused|connect/i);
    const again = await mdw(['--warehouse', wh, 'signin', 'down@example.com'], {
      env: { ...down, MDW_SMTP_URL: '' },
    });
    assert.equal(again.code, 0, again.stderr);
  });

  test('worksheets: mkdir, new, ls, cat, run with history, save and restore revisions, mv, rm', async () => {
    assert.equal((await run('ws', 'mkdir', '/Reports/2026')).code, 0);
    const created = await run(
      'ws',
      'new',
      '/Reports/2026/revenue',
      '--db',
      'sales',
      '--sql',
      'SELECT count(*) AS n FROM orders',
    );
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await run('ws', 'ls', '/Reports')).stdout, '2026/\n');
    assert.equal((await run('ws', 'ls', '/Reports/2026')).stdout, 'revenue\n');
    assert.equal(
      (await run('ws', 'cat', '/Reports/2026/revenue')).stdout,
      'SELECT count(*) AS n FROM orders\n',
    );
    const ran = await run('ws', 'run', '/Reports/2026/revenue', '--format', 'csv');
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^n\n\d+\n$/);
    const history = await run('ws', 'history', '/Reports/2026/revenue');
    assert.match(history.stdout, /ok .*SELECT count\(\*\) AS n FROM orders/);
    assert.equal((await run('ws', 'save', '/Reports/2026/revenue', '--sql', 'SELECT 2')).code, 0);
    const revs = await run('ws', 'revisions', '/Reports/2026/revenue');
    const oldest = [...revs.stdout.matchAll(/^([0-9a-f]{16,})\s/gm)].map((m) => m[1]!).at(-1)!;
    assert.equal((await run('ws', 'restore', '/Reports/2026/revenue', oldest)).code, 0);
    assert.equal(
      (await run('ws', 'cat', '/Reports/2026/revenue')).stdout,
      'SELECT count(*) AS n FROM orders\n',
    );
    assert.equal((await run('ws', 'mv', '/Reports/2026/revenue', '/Reports/rev')).code, 0);
    assert.equal((await run('ws', 'ls', '/Reports')).stdout, '2026/\nrev\n');
    const loop = await run('ws', 'mv', '/Reports', '/Reports/2026');
    assert.equal(loop.code, 1);
    assert.equal((await run('ws', 'rm', '/Reports')).code, 2);
    const rm = await run('ws', 'rm', '/Reports', '--yes');
    assert.equal(rm.stdout, 'deleted 2 folders and 1 worksheet\n');
    assert.equal((await run('ws', 'ls')).stdout, '');
  });

  test('demo: the databases and Getting started worksheets, made through the warehouse service', async () => {
    const user = { ...env, XDG_CONFIG_HOME: path.join(root, 'config-demo') };
    await signIn('demo.user@example.com', user);
    const as = (...args: string[]) => mdw(['--warehouse', wh, ...args], { env: user });
    const made = await as('demo', '--order-lines', '2000');
    assert.equal(made.code, 0, made.stderr);
    assert.match(
      made.stdout,
      /^created databases crm and sales \(2000 order lines\) and 5 worksheets in \/Getting started/,
    );
    assert.equal((await as('ws', 'ls', '/Getting started')).stdout.trim().split('\n').length, 5);
    const n = await as('query', '--db', 'sales', '--format', 'csv', 'SELECT count(*) AS n FROM order_lines');
    assert.equal(n.stdout, 'n\n2000\n', n.stderr);
    const again = await as('demo');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
  });

  test('two accounts see only their own databases and worksheets', async () => {
    const other = { ...env, XDG_CONFIG_HOME: path.join(root, 'config-other') };
    await signIn('other@example.com', other);
    const mine = JSON.parse((await run('db', 'list', '--format', 'json')).stdout) as {
      databases: { name: string }[];
    };
    assert.ok(mine.databases.some((d) => d.name === 'sales'));
    const theirs = JSON.parse(
      (await mdw(['--warehouse', wh, 'db', 'list', '--format', 'json'], { env: other })).stdout,
    ) as { databases: unknown[] };
    assert.deepEqual(theirs.databases, []);
    const q = await mdw(['--warehouse', wh, 'query', 'SELECT * FROM sales.main.orders'], { env: other });
    assert.equal(q.code, 1);
    assert.equal((await run('ws', 'mkdir', '/Mine')).code, 0);
    assert.equal((await mdw(['--warehouse', wh, 'ws', 'ls'], { env: other })).stdout, '');
  });

  test('signout ends a session; signout --everywhere ends every session of the account', async () => {
    const other = { ...env, XDG_CONFIG_HOME: path.join(root, 'config-other') };
    assert.equal((await mdw(['--warehouse', wh, 'signout'], { env: other })).stdout, 'signed out\n');
    assert.equal((await mdw(['--warehouse', wh, 'whoami'], { env: other })).code, 1);
    const everywhere = await run('signout', '--everywhere');
    assert.equal(everywhere.code, 0, everywhere.stderr);
    assert.match(everywhere.stdout, /signed out everywhere \(1 session ended\)/);
    const r = await run('whoami');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Nobody is signed in/);
  });
});
