// The shared lexer's statement splitting against DuckDB's own statement extraction over odd scripts.
// DuckDB's text of each statement comes from its query log (it logs the text of every statement it
// runs), so the comparison is of counts and of each statement's text, not of a second splitter.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import {
  databaseReferences,
  lex,
  splitStatements,
  statementAt,
  stringLiterals,
  type SqlToken,
} from '../../src/shared/sqlLexer.js';

let instance: DuckDBInstance;
let runner: DuckDBConnection;
let logs: DuckDBConnection;
let runnerId = 0;

before(async () => {
  instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  runner = await instance.connect();
  logs = await instance.connect();
  runnerId = Number((await runner.runAndReadAll('SELECT current_connection_id()')).getRows()[0]![0]);
  await logs.run("CALL enable_logging('QueryLog')");
});

after(() => {
  runner?.closeSync();
  logs?.closeSync();
  instance?.closeSync();
});

/** DuckDB's statements of `script` (the text it logged for each as it ran it), or its error. */
async function duckdbStatements(script: string): Promise<{ texts: string[] } | { error: string }> {
  let extracted;
  try {
    extracted = await runner.extractStatements(script);
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]! };
  }
  const texts: string[] = [];
  for (let i = 0; i < extracted.count; i++) {
    await logs.run('CALL truncate_duckdb_logs()');
    const prepared = await extracted.prepare(i);
    await prepared.run();
    const rows = (
      await logs.runAndReadAll(
        `SELECT message FROM duckdb_logs WHERE type = 'QueryLog' AND connection_id = ${runnerId}`,
      )
    ).getRows();
    assert.equal(rows.length, 1, `one logged query for statement ${i} of ${JSON.stringify(script)}`);
    texts.push(String(rows[0]![0]));
  }
  return { texts };
}

/**
 * How many statements DuckDB sees in `sql` (only whitespace and comments: 0). node-api throws for a
 * script of no statements, so DuckDB is asked about `SELECT 0;` followed by `sql`.
 */
async function duckdbCount(sql: string): Promise<number> {
  return (await runner.extractStatements(`SELECT 0;${sql}`)).count - 1;
}

interface Case {
  name: string;
  script: string;
  /** Our statements' texts. */
  expect: string[];
  /** DuckDB rejects the whole script: indexes of our statements it rejects alone (the others parse). */
  rejected?: number[];
}

const CASES: Case[] = [
  { name: 'no final semicolon', script: 'SELECT 1; SELECT 2', expect: ['SELECT 1', 'SELECT 2'] },
  {
    name: 'semicolons in strings with doubled quotes',
    script: "SELECT 'a;b', 'it''s;'; SELECT 2;",
    expect: ["SELECT 'a;b', 'it''s;'", 'SELECT 2'],
  },
  {
    name: "a backslash ends nothing in a '' string",
    script: "SELECT 'a\\'; SELECT 2",
    expect: ["SELECT 'a\\'", 'SELECT 2'],
  },
  {
    name: "E'' strings with backslash escapes",
    script: "SELECT E'a\\';b', e'c\\\\', E'\\x41;', E''''; SELECT 2",
    expect: ["SELECT E'a\\';b', e'c\\\\', E'\\x41;', E''''", 'SELECT 2'],
  },
  {
    name: 'prefixed strings (X, B, N)',
    script: "SELECT X'41;', B'01', N'a;b'; SELECT 2",
    expect: ["SELECT X'41;', B'01', N'a;b'", 'SELECT 2'],
  },
  {
    name: 'quoted identifiers with semicolons and doubled quotes',
    script: 'SELECT 1 AS "a;""b"; SELECT "x;y" FROM (SELECT 2 AS "x;y")',
    expect: ['SELECT 1 AS "a;""b"', 'SELECT "x;y" FROM (SELECT 2 AS "x;y")'],
  },
  {
    name: 'line comments with semicolons and quotes',
    script: "SELECT 1 -- c; 'x \"y\n; SELECT 2 -- it's; done",
    expect: ['SELECT 1', 'SELECT 2'],
  },
  {
    name: 'nested block comments',
    script: "SELECT 1 /* a; /* b; ' */ c; */ + 1; /* only; a comment */; SELECT 2",
    expect: ["SELECT 1 /* a; /* b; ' */ c; */ + 1", 'SELECT 2'],
  },
  {
    name: 'dollar quotes without a tag',
    script: "SELECT $$a;b 'c$$; SELECT 2",
    expect: ["SELECT $$a;b 'c$$", 'SELECT 2'],
  },
  {
    name: 'dollar quotes with tags, $$ inside',
    script: 'SELECT $t$a;$$;b$t$, $_1$x;$_1$; SELECT 2',
    expect: ['SELECT $t$a;$$;b$t$, $_1$x;$_1$', 'SELECT 2'],
  },
  {
    name: 'dollar-quote tags are case-sensitive',
    script: 'SELECT $a$ x; $A$ y; $a$; SELECT 2',
    expect: ['SELECT $a$ x; $A$ y; $a$', 'SELECT 2'],
  },
  {
    name: 'dollar-quote tags of non-ASCII letters',
    script: 'SELECT $é$a;b$é$; SELECT $日本$c;d$日本$, $ä1$e;$ä1$; SELECT 2',
    expect: ['SELECT $é$a;b$é$', 'SELECT $日本$c;d$日本$, $ä1$e;$ä1$', 'SELECT 2'],
  },
  {
    name: '$1 is a parameter, not a tag',
    script: "PREPARE p AS SELECT $1 || ';', $1; EXECUTE p('x')",
    expect: ["PREPARE p AS SELECT $1 || ';', $1", "EXECUTE p('x')"],
  },
  {
    name: '$name is a parameter, not a tag',
    script: "PREPARE q AS SELECT $name || ';', $name; EXECUTE q(name := 'x')",
    expect: ["PREPARE q AS SELECT $name || ';', $name", "EXECUTE q(name := 'x')"],
  },
  {
    name: '$ inside a name',
    script: 'SELECT 1 AS x$y; SELECT a$$b FROM (SELECT 1 AS a$$b)',
    expect: ['SELECT 1 AS x$y', 'SELECT a$$b FROM (SELECT 1 AS a$$b)'],
  },
  {
    name: 'empty statements',
    script: ';; SELECT 1;;; ;\n; SELECT 2;;',
    expect: ['SELECT 1', 'SELECT 2'],
  },
  { name: 'only semicolons and comments', script: ';-- x\n; /* y */ ;', expect: [] },
  { name: 'trailing line comment', script: 'SELECT 1; -- trailing', expect: ['SELECT 1'] },
  { name: 'trailing block comment', script: 'SELECT 1; /* trailing; */', expect: ['SELECT 1'] },
  {
    name: 'CRLF line ends',
    script: 'SELECT 1 -- one\r\n;\r\nSELECT\r\n  2;\r\n',
    expect: ['SELECT 1', 'SELECT\r\n  2'],
  },
  { name: 'byte-order mark', script: '\uFEFFSELECT 1; SELECT 2', expect: ['SELECT 1', 'SELECT 2'] },
  {
    name: 'numbers, casts and operators',
    script: "SELECT 1.5e3, .5, 1_000, 0x1F, 'a'::VARCHAR || 'b;', [1,2][1], {'k': 1}.k; SELECT 2 // 1",
    expect: ["SELECT 1.5e3, .5, 1_000, 0x1F, 'a'::VARCHAR || 'b;', [1,2][1], {'k': 1}.k", 'SELECT 2 // 1'],
  },
  {
    name: 'SET, CALL and DDL',
    script: 'SET VARIABLE v = \'a;b\'; CALL range(2); CREATE TEMP TABLE "t;1"(a INT); DROP TABLE "t;1"',
    expect: ["SET VARIABLE v = 'a;b'", 'CALL range(2)', 'CREATE TEMP TABLE "t;1"(a INT)', 'DROP TABLE "t;1"'],
  },
  {
    name: 'the example of issue 14',
    script: 'SELECT $é$a;b$é$; SELECT 2',
    expect: ['SELECT $é$a;b$é$', 'SELECT 2'],
  },
  // Scripts DuckDB rejects: the editor still splits them, and only the broken statement fails.
  {
    name: 'unterminated string at the end',
    script: "SELECT 1; SELECT 'abc; SELECT 3",
    expect: ['SELECT 1', "SELECT 'abc; SELECT 3"],
    rejected: [1],
  },
  {
    name: 'unterminated block comment at the end',
    script: 'SELECT 1; SELECT 2 /* abc; SELECT 3',
    expect: ['SELECT 1', 'SELECT 2 /* abc; SELECT 3'],
    rejected: [1],
  },
  {
    name: 'unterminated quoted identifier at the end',
    script: 'SELECT 1; SELECT 1 AS "abc; SELECT 3',
    expect: ['SELECT 1', 'SELECT 1 AS "abc; SELECT 3'],
    rejected: [1],
  },
  {
    name: 'unterminated dollar quote at the end',
    script: 'SELECT 1; SELECT $x$abc; SELECT 3',
    expect: ['SELECT 1', 'SELECT $x$abc; SELECT 3'],
    rejected: [1],
  },
  {
    name: 'a syntax error in the middle',
    script: 'SELECT 1; SELEC 2; SELECT 3',
    expect: ['SELECT 1', 'SELEC 2', 'SELECT 3'],
    rejected: [1],
  },
  {
    name: 'a tag may not start with a digit',
    script: 'SELECT 1; SELECT $1$x;$1$; SELECT 3',
    expect: ['SELECT 1', 'SELECT $1$x', '$1$', 'SELECT 3'],
    rejected: [1, 2],
  },
];

for (const c of CASES) {
  test(`split: ${c.name}`, async () => {
    const ours = splitStatements(c.script);
    assert.deepEqual(
      ours.map((s) => s.text),
      c.expect,
    );
    for (const s of ours) {
      assert.equal(c.script.slice(s.start, s.end), s.text);
      const terminator = c.script.slice(s.end, s.terminatorEnd);
      assert.ok(terminator === '' || /^(\s|--[^\n]*|\/\*[\s\S]*?\*\/)*;$/.test(terminator), terminator);
    }
    const duckdb = await duckdbStatements(c.script);
    if (c.rejected) {
      assert.ok('error' in duckdb, `DuckDB rejects the script (it saw ${JSON.stringify(duckdb)})`);
      for (const [i, s] of ours.entries()) {
        const alone = await duckdbCount(s.text).then(
          (n) => n,
          () => -1,
        );
        assert.equal(alone, c.rejected.includes(i) ? -1 : 1, `statement ${i} alone: ${s.text}`);
      }
      return;
    }
    if (c.expect.length === 0) {
      assert.equal(await duckdbCount(c.script), 0, 'DuckDB sees no statement either');
      return;
    }
    assert.ok('texts' in duckdb, `DuckDB parses the script: ${JSON.stringify(duckdb)}`);
    // DuckDB reads a byte-order mark as a space (its logged text has a space there).
    const script = c.script.replaceAll('\uFEFF', ' ');
    assert.equal(ours.length, duckdb.texts.length, 'as many statements as DuckDB extracts');
    let cursor = 0;
    for (const [i, text] of duckdb.texts.entries()) {
      const at = script.indexOf(text, cursor);
      assert.ok(at >= 0, `DuckDB's statement ${i} is in the script: ${JSON.stringify(text)}`);
      cursor = at + text.length;
      const s = ours[i]!;
      // Ours is DuckDB's without the whitespace and comments around it (which DuckDB says are empty).
      assert.ok(at <= s.start && s.end <= cursor, `statement ${i}: ${JSON.stringify([text, s.text])}`);
      assert.equal(await duckdbCount(c.script.slice(at, s.start)), 0, `before statement ${i}`);
      assert.equal(await duckdbCount(c.script.slice(s.end, cursor)), 0, `after statement ${i}`);
    }
  });
}

const kinds = (sql: string): string[] =>
  lex(sql).map((t: SqlToken) => `${t.kind}:${sql.slice(t.start, t.end)}`);

test('tokens: dollar quotes, parameters, names, strings and comments', () => {
  assert.deepEqual(kinds('SELECT $é$a$é$, $1, $name, ?, x$y, E\'\\n\', "q""" -- c'), [
    'word:SELECT',
    'string:$é$a$é$',
    'comma:,',
    'parameter:$1',
    'comma:,',
    'parameter:$name',
    'comma:,',
    'parameter:?',
    'comma:,',
    'word:x$y',
    'comma:,',
    "string:E'\\n'",
    'comma:,',
    'quoted:"q"""',
    'comment:-- c',
  ]);
  assert.deepEqual(
    lex("SELECT 'it''s', E'a\\tb', $t$x$t$, \"a\"\"b\"")
      .filter((t) => t.value !== undefined)
      .map((t) => t.value),
    ['SELECT', "it's", 'a\tb', 'x', 'a"b'],
  );
  const open = lex("SELECT 'abc");
  assert.equal(open.at(-1)?.unterminated, true);
  assert.equal(lex('/* a /* b */ c */').length, 1);
  assert.equal(lex('/* a /* b */ c').at(-1)?.unterminated, true);
  assert.deepEqual(
    stringLiterals("SELECT * FROM read_csv($p$/tmp/a.csv$p$), E'\\x41'").map((s) => s.value),
    ['/tmp/a.csv', 'A'],
  );
});

test('statementAt picks the statement of the cursor with the shared splitter', () => {
  const script = 'SELECT $é$a;b$é$;\nSELECT 2';
  assert.equal(statementAt(script, 12)?.text, 'SELECT $é$a;b$é$');
  assert.equal(statementAt(script, script.length)?.text, 'SELECT 2');
});

test('databaseReferences: qualifiers, USE and DETACH targets; not strings, comments or plain names', () => {
  assert.deepEqual(
    databaseReferences(
      `SELECT a.x FROM "Sales-2024".main.t AS a JOIN crm.c ON true -- other.t\n WHERE s = 'lit.x'`,
    ),
    ['a', 'Sales-2024', 'main', 'crm'],
  );
  assert.deepEqual(databaseReferences('USE db1'), ['db1']);
  assert.deepEqual(databaseReferences('use "My DB".s'), ['My DB']);
  assert.deepEqual(databaseReferences('DETACH DATABASE IF EXISTS old'), ['old']);
  assert.deepEqual(databaseReferences('SELECT 1 FROM t'), []);
});
