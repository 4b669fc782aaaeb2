// The boundary between accounts: account B's SQL against account A's space, the warehouse's own files, the key
// file and the configuration folder, through every route we know of. DuckDB's own sandbox must refuse them all,
// and nothing under the warehouse may change. Then the positive side: B's allowed folders, Import File… and
// export of files anywhere, and the same through the `mdw` command line.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { databaseKeyOptions } from '../../src/engine/encryption.js';
import { isEngineError } from '../../src/engine/errors.js';
import { checkAllowedFolders, protectedPathsFor } from '../../src/engine/fileAccess.js';
import { quoteString } from '../../src/engine/names.js';
import { Session, type StatementOutcome } from '../../src/engine/query/index.js';
import type { Account } from '../../src/engine/store/account.js';
import type { MetadataStore } from '../../src/engine/store/metadataStore.js';
import { Warehouse } from '../../src/engine/warehouse.js';
import { mdw } from '../support/cli.js';
import { plainRows } from '../support/plainDuckdb.js';
import { allFiles, fixture, openWithAuth, signIn, type Fixture } from '../support/store.js';

let f: Fixture;
let store: MetadataStore;
let a: Account;
let b: Account;
let wb: Warehouse;
let s: Session;
let configDir: string;
let dataB: string;
let elsewhere: string;
let before_: Map<string, string>;

/** sha256 of every file under the warehouse (except B's own space, which B's SQL may change) and the config folder. */
function snapshot(): Map<string, string> {
  const bSpace = wb.spaceDir + path.sep;
  const files = [...allFiles(f.warehouse).filter((p) => !p.startsWith(bSpace)), ...allFiles(configDir)];
  return new Map(files.sort().map((p) => [p, createHash('sha256').update(fs.readFileSync(p)).digest('hex')]));
}

function statuses(outcomes: StatementOutcome[]): string[] {
  return outcomes.map((o) => o.status);
}

/** Runs `sql` in B's session and asserts that its last statement was refused with one of `codes`. */
async function refused(sql: string, codes: string[] = ['FILE_NOT_ALLOWED']): Promise<void> {
  const r = await s.run(sql);
  const error = r.error;
  assert.ok(error, `not refused: ${sql}`);
  assert.ok(codes.includes(error.code), `${sql}\n  -> ${error.code}: ${error.message}`);
  assert.equal(r.outcomes.at(-1)!.status, 'error', sql);
}

/** Spellings of absolute path `p` that DuckDB resolves to `p`, as SQL expressions. */
function spellings(p: string): Record<string, string> {
  const rel = path.relative(f.root, p);
  const [first, ...rest] = rel.split(path.sep);
  const mid = Math.floor(p.length / 2);
  const base = path.basename(p);
  return {
    literal: quoteString(p),
    tilde: quoteString(`~/${path.relative(os.homedir(), p)}`),
    dotdot: quoteString(`${dataB}/../${rel}`),
    star: quoteString(path.join(path.dirname(p), `*${base.slice(1)}`)),
    bracket: quoteString(path.join(f.root, `[${first![0]}]${first!.slice(1)}`, ...rest)),
    concat: `(${quoteString(p.slice(0, mid))} || ${quoteString(p.slice(mid))})`,
    variable: `getvariable('p')`,
  };
}

const READERS = [
  'read_text',
  'read_blob',
  'read_csv',
  'read_json',
  'read_parquet',
  'sniff_csv',
  'glob',
  'parquet_metadata',
];

before(async () => {
  f = fixture();
  configDir = path.dirname(f.keyFile);
  dataB = path.join(f.root, 'dataB');
  elsewhere = path.join(f.root, 'elsewhere');
  fs.mkdirSync(dataB);
  fs.mkdirSync(elsewhere);
  const opened = await openWithAuth(f);
  store = opened.store;
  a = (await signIn(opened.auth, opened.outbox, 'a@example.com')).account;
  b = (await signIn(opened.auth, opened.outbox, 'b@example.com')).account;
  assert.notEqual(a.space, b.space);
  // A CLI session file beside the key, as `mdw signin` leaves it.
  fs.writeFileSync(path.join(configDir, 'cli-sessions.json'), '{"/some/warehouse": "token-of-a"}\n');
  const wa = await Warehouse.open(f.warehouse, { space: a.space, ...databaseKeyOptions(a) });
  await wa.createDatabase('secret');
  await wa.withConnection((c) => c.run(`CREATE TABLE secret.main.t AS SELECT 'top secret' AS v`));
  await wa.close();
  wb = await Warehouse.open(f.warehouse, {
    space: b.space,
    ...databaseKeyOptions(b),
    allowedFolders: [dataB],
    protectedPaths: [configDir],
  });
  await wb.createDatabase('mine');
  s = await Session.open(wb, { database: 'mine' });
  before_ = snapshot();
});

after(async () => {
  await s?.close();
  await wb?.close();
  await store?.close();
  f?.cleanup();
});

describe("account B's SQL never reaches outside its allowed folders", () => {
  test('every reader, every spelling, against A and the warehouse, key and config files', async () => {
    const targets = [
      path.join(f.warehouse, 'spaces', a.space, 'databases', 'secret.duckdb'),
      path.join(f.warehouse, 'spaces', a.space, 'system', 'mdw_results.duckdb'),
      path.join(f.warehouse, 'store', 'metadata.log'),
      path.join(f.warehouse, 'warehouse.json'),
      f.keyFile,
      path.join(configDir, 'cli-sessions.json'),
    ];
    for (const target of targets) assert.ok(fs.existsSync(target), target);
    let tried = 0;
    for (const target of targets) {
      await s.run(`SET VARIABLE p = ${quoteString(target)}`);
      for (const [how, expr] of Object.entries(spellings(target))) {
        for (const fn of READERS) {
          await refused(`SELECT * FROM ${fn}(${expr})`).catch((e: Error) => {
            throw new Error(`${fn} / ${how}: ${e.message}`);
          });
          tried++;
        }
      }
      // Folders and globs over them: a listing is a read too.
      for (const pattern of [
        path.join(f.warehouse, '**'),
        path.join(f.root, '[w]arehouse', 'spaces', '*', 'databases', '*.duckdb'),
        path.join(path.dirname(target), '*'),
      ]) {
        await refused(`SELECT * FROM glob(${quoteString(pattern)})`);
        await refused(`SELECT * FROM read_blob(${quoteString(pattern)})`);
      }
    }
    assert.ok(tried >= 300, `${tried} reads tried`);
  });

  test('writes, attaches, extensions, EXPORT and IMPORT DATABASE, persistent secrets', async () => {
    const aSpace = path.join(f.warehouse, 'spaces', a.space);
    const log = path.join(f.warehouse, 'store', 'metadata.log');
    await s.run('CREATE TABLE IF NOT EXISTS sink (x VARCHAR)');
    for (const target of [
      log,
      path.join(f.warehouse, 'warehouse.json'),
      f.keyFile,
      path.join(aSpace, 'x.csv'),
    ]) {
      for (const spelled of [
        target,
        `~/${path.relative(os.homedir(), target)}`,
        `${dataB}/../${path.relative(f.root, target)}`,
      ]) {
        const q = quoteString(spelled);
        await refused(`COPY (SELECT 'x' AS x) TO ${q} (FORMAT csv, HEADER false)`);
        await refused(`COPY sink TO ${q} (FORMAT parquet)`);
        await refused(`COPY sink FROM ${q}`);
        await refused(`ATTACH ${q} AS stolen`);
        await refused(`ATTACH ${q} AS stolen (READ_ONLY)`);
        await refused(`LOAD ${q}`);
        await refused(`INSTALL ${q}`);
        await refused(`FORCE INSTALL ${q}`);
      }
    }
    await refused(`ATTACH ${quoteString(path.join(aSpace, 'databases', 'secret.duckdb'))} AS a_secret`);
    await refused(`ATTACH ${quoteString(path.join(aSpace, 'databases', 'new.duckdb'))} AS a_new`);
    await refused(`EXPORT DATABASE mine TO ${quoteString(path.join(aSpace, 'exported'))}`);
    await refused(`EXPORT DATABASE mine TO ${quoteString(path.join(f.warehouse, 'store'))}`);
    await refused(`IMPORT DATABASE ${quoteString(path.join(aSpace, 'databases'))}`);
    await refused(`INSTALL httpfs`);
    await refused(`LOAD httpfs`);
    await refused(`CREATE PERSISTENT SECRET leak (TYPE s3, KEY_ID 'k', SECRET 's')`);
    assert.equal(fs.existsSync(path.join(aSpace, 'exported')), false);
    assert.equal(fs.existsSync(path.join(aSpace, 'databases', 'new.duckdb')), false);
  });

  test('SET and PRAGMA of every security option are refused: the configuration is locked', async () => {
    const settings = [
      `SET enable_external_access = true`,
      `SET allowed_directories = ['/']`,
      `SET allowed_paths = [${quoteString(f.keyFile)}]`,
      `SET lock_configuration = false`,
      `RESET lock_configuration`,
      `SET autoinstall_known_extensions = true`,
      `SET autoload_known_extensions = true`,
      `SET extension_directory = ${quoteString(dataB)}`,
      `SET temp_directory = ${quoteString(path.join(f.warehouse, 'spaces', a.space))}`,
      `SET secret_directory = ${quoteString(dataB)}`,
      `SET home_directory = ${quoteString(f.warehouse)}`,
      `SET custom_extension_repository = 'http://127.0.0.1:9'`,
      `SET allow_community_extensions = true`,
      `SET allow_unsigned_extensions = true`,
      `SET force_mbedtls_unsafe = true`,
      `SET temp_file_encryption = false`,
      `SET GLOBAL enable_external_access = true`,
      `SET SESSION autoinstall_known_extensions = true`,
      `PRAGMA enable_profiling = 'json'`,
      `PRAGMA profiling_output = ${quoteString(path.join(f.warehouse, 'prof.json'))}`,
      `SET TimeZone = 'America/New_York'`,
      `SET threads = 1`,
    ];
    for (const sql of settings) await refused(sql, ['SETTING_LOCKED', 'FILE_NOT_ALLOWED']);
    const locked = await s.run(`SET autoinstall_known_extensions = true`);
    assert.match(
      locked.error!.message,
      /cannot be changed.*USE, SET search_path and SET VARIABLE still work/,
    );
    // What a user still may do.
    const ok = await s.run(
      `USE mine; SET search_path = 'mine.main'; SET VARIABLE v = 1; SELECT getvariable('v')`,
    );
    assert.equal(ok.error, undefined, ok.error?.message);
  });

  test('nothing under the warehouse, nor in the key and config folder, changed', () => {
    assert.deepEqual(snapshot(), before_);
    assert.equal(fs.existsSync(path.join(f.warehouse, 'prof.json')), false);
  });
});

describe('what B may do', () => {
  test('files in its allowed folder read and write; its own databases attach', async () => {
    fs.writeFileSync(path.join(dataB, 'in.csv'), 'a,b\n1,x\n2,y\n');
    const out = path.join(dataB, 'out.parquet');
    const r = await s.run(
      `SELECT count(*) FROM read_csv(${quoteString(path.join(dataB, 'in.csv'))});
       COPY (SELECT * FROM read_csv(${quoteString(path.join(dataB, 'in.csv'))})) TO ${quoteString(out)} (FORMAT parquet);
       SELECT sum(a) FROM read_parquet(${quoteString(out)});
       SELECT count(*) FROM glob(${quoteString(path.join(dataB, '*'))});
       EXPORT DATABASE mine TO ${quoteString(path.join(dataB, 'exported'))}`,
    );
    assert.equal(r.error, undefined, r.error?.message);
    assert.deepEqual(statuses(r.outcomes), ['rows', 'changes', 'rows', 'rows', 'ok']);
    const [count, , sum, listed] = r.outcomes.map((o) => (o.status === 'rows' ? o.result.firstPage : []));
    assert.deepEqual(count, [['2']]);
    assert.deepEqual(sum, [['3']]);
    assert.deepEqual(listed, [['2']]);
    assert.ok(fs.existsSync(path.join(dataB, 'exported', 'schema.sql')));
    await wb.createDatabase('second');
    await wb.renameDatabase('second', 'third');
    await wb.dropDatabase('third', { confirm: true });
  });

  test('Import File… of CSV, Parquet and JSON outside the allowed folders works; the same path in SQL is refused', async () => {
    const csv = path.join(elsewhere, 'people.csv');
    fs.writeFileSync(csv, 'id,name\n1,ann\n2,bob\n');
    const parquet = path.join(elsewhere, 'n.parquet');
    await plainRows(`COPY (SELECT range AS n FROM range(5000)) TO ${quoteString(parquet)} (FORMAT parquet)`);
    const json = path.join(elsewhere, 'j.json');
    fs.writeFileSync(
      json,
      JSON.stringify([
        { id: 1, tags: ['a'], nested: { x: 1 } },
        { id: 2, tags: [], nested: { x: null } },
      ]),
    );
    assert.equal((await wb.importFile(csv, 'mine.main.people')).rows, 2);
    assert.equal((await wb.importFile(parquet, 'mine.main.n')).rows, 5000);
    assert.equal((await wb.importFile(json, 'mine.main.j')).rows, 2);
    assert.equal((await wb.importFile(csv, 'mine.main.people', { append: true })).rows, 2);
    const r = await s.run(
      `SELECT count(*) FROM people; SELECT sum(n) FROM n; SELECT nested.x FROM j ORDER BY id`,
    );
    assert.deepEqual(
      r.outcomes.map((o) => (o.status === 'rows' ? o.result.firstPage : o.status)),
      [[['4']], [['12497500']], [['1'], [null]]],
    );
    for (const file of [csv, parquet, json]) {
      const direct = await s.run(`SELECT * FROM read_csv(${quoteString(file)})`);
      assert.equal(direct.error?.code, 'FILE_NOT_ALLOWED');
      assert.ok(direct.error!.message.includes(file), direct.error!.message);
      assert.ok(direct.error!.message.includes(dataB), 'names the allowed folder');
    }
  });

  test('Import File… and export refuse the warehouse, the key and the config folder', async () => {
    for (const file of [
      f.keyFile,
      path.join(configDir, 'cli-sessions.json'),
      path.join(f.warehouse, 'store', 'metadata.log'),
      path.join(f.warehouse, 'spaces', a.space, 'databases', 'secret.duckdb'),
    ]) {
      await assert.rejects(wb.importFile(file, 'mine.main.stolen', { format: 'csv' }), (e) =>
        isEngineError(e, 'FILE_NOT_ALLOWED'),
      );
    }
    for (const file of [path.join(f.warehouse, 'store', 'x.csv'), path.join(configDir, 'x.csv')]) {
      await assert.rejects(s.export('SELECT 1', file), (e) => isEngineError(e, 'FILE_NOT_ALLOWED'));
      assert.equal(fs.existsSync(file), false);
    }
    const out = path.join(elsewhere, 'people.csv.out.csv');
    assert.equal((await s.export('SELECT * FROM people ORDER BY id', out)).rows, 4);
    assert.equal(fs.readFileSync(out, 'utf8').split('\n')[0], 'id,name');
  });

  test('a folder that contains or lies in a protected one is refused, with the reason', async () => {
    const protectedPaths = protectedPathsFor(f.warehouse, [configDir]);
    const { allowed, refused: out } = checkAllowedFolders(
      [dataB, f.root, path.join(f.warehouse, 'spaces', a.space), configDir, path.parse(f.root).root],
      protectedPaths,
    );
    assert.deepEqual(allowed, [dataB]);
    assert.deepEqual(
      out.map((r) => r.folder),
      [f.root, path.join(f.warehouse, 'spaces', a.space), configDir, path.parse(f.root).root],
    );
    assert.match(out[0]!.reason, /contains/);
    assert.match(out[1]!.reason, /inside/);
  });
});

describe('the same boundary through mdw', () => {
  let wh: string;
  let env: NodeJS.ProcessEnv;
  const run = (args: string[], cwd?: string) => mdw(['--warehouse', wh, ...args], { env, cwd });

  before(async () => {
    wh = path.join(f.root, 'cli-wh');
    env = { MDW_KEY_FILE: path.join(configDir, 'cli.key'), XDG_CONFIG_HOME: configDir, MDW_SMTP_URL: '' };
    const sent = await run(['signin', 'cli@example.com']);
    const code = /code is (\d{6})/.exec(sent.stderr)![1]!;
    assert.equal((await run(['signin', 'cli@example.com', '--code', code])).code, 0);
    assert.equal((await run(['db', 'create', 'd'])).code, 0);
  });

  test('reads and writes outside the allowed folders fail with a message naming --allow', async () => {
    const marker = path.join(wh, 'warehouse.json');
    const before = fs.readFileSync(marker);
    for (const sql of [
      `SELECT * FROM read_text(${quoteString(path.join(wh, 'store', 'metadata.log'))})`,
      `COPY (SELECT 'x' AS x) TO ${quoteString(`~/${path.relative(os.homedir(), marker)}`)} (FORMAT csv, HEADER false)`,
      `SELECT * FROM read_blob(${quoteString(path.join(f.root, '[c]li-wh', 'spaces', '*', 'databases', '*.duckdb'))})`,
      `SELECT * FROM read_text(${quoteString(wh)} || '/warehouse.json')`,
      `SELECT * FROM read_blob(${quoteString(path.join(configDir, 'cli.key'))})`,
    ]) {
      const r = await run(['--allow', dataB, 'query', sql]);
      assert.equal(r.code, 1, sql);
      assert.match(r.stderr, /Cannot open .*--allow DIR/s, sql);
    }
    assert.deepEqual(fs.readFileSync(marker), before);
  });

  test('--allow DIR and the default (the current directory) let SQL use a folder; a folder holding the warehouse is refused', async () => {
    fs.writeFileSync(path.join(elsewhere, 'c.csv'), 'n\n5\n');
    const allowed = await run([
      '--allow',
      elsewhere,
      'query',
      '--format',
      'csv',
      `SELECT n FROM read_csv(${quoteString(path.join(elsewhere, 'c.csv'))})`,
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.deepEqual(allowed.stdout.split(/\r?\n/), ['n', '5', '']);
    const cwd = await run(['query', '--format', 'csv', `SELECT n FROM read_csv('c.csv')`], elsewhere);
    assert.equal(cwd.code, 0, cwd.stderr);
    assert.deepEqual(cwd.stdout.split(/\r?\n/), ['n', '5', '']);
    const root = await run(['--allow', f.root, 'query', 'SELECT 1']);
    assert.equal(root.code, 2);
    assert.ok(root.stderr.includes(`${f.root} cannot be allowed: it contains`), root.stderr);
    // The current directory holds the warehouse: nothing extra is allowed, and a refused read says why.
    const inRoot = await run(['query', `SELECT * FROM read_csv('elsewhere/c.csv')`], f.root);
    assert.equal(inRoot.code, 1);
    assert.ok(inRoot.stderr.includes(`${f.root} is not allowed: it contains`), inRoot.stderr);
  });
});

test('SQL that overwrites files in its own space (results, a database file) does not keep the warehouse from opening', async () => {
  const dir = path.join(f.root, 'own-space');
  let w = await Warehouse.open(dir);
  try {
    await w.createDatabase('d');
    const session = await Session.open(w);
    const results = path.join(w.spaceDir, 'system', 'mdw_results.duckdb');
    const r = await session.run(
      `COPY (SELECT 'garbage' AS g) TO ${quoteString(results)} (FORMAT csv);
       COPY (SELECT 'garbage' AS g) TO ${quoteString(path.join(w.databasesDir, 'junk.duckdb'))} (FORMAT csv)`,
    );
    assert.equal(r.error, undefined, r.error?.message);
    await session.close();
  } finally {
    await w.close();
  }
  w = await Warehouse.open(dir);
  try {
    const listed = (await w.listDatabases()).map((d) => [d.name, d.attached]);
    assert.deepEqual(listed, [
      ['d', true],
      ['junk', false],
    ]);
    assert.match(w.encryptionNote('junk')!, /is not a DuckDB database; it stays unattached/);
    await w.dropDatabase('junk', { confirm: true });
    assert.deepEqual(
      (await w.listDatabases()).map((d) => d.name),
      ['d'],
    );
    const session = await Session.open(w);
    assert.equal((await session.run('SELECT 1')).error, undefined);
    await session.close();
  } finally {
    await w.close();
  }
});
