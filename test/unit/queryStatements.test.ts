import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { lineColumn, splitStatements, statementAt } from '../../src/engine/query/split.js';

const texts = (script: string): string[] => splitStatements(script).map((r) => r.text);

test('semicolons inside strings, identifiers, comments and dollar quotes do not split', () => {
  const script = [
    "SELECT 'a;b', 'it''s;'",
    'SELECT "x;y" FROM (SELECT 1 AS "x;y")',
    "SELECT E'esc\\';still string'",
    'SELECT $$dollar;body$$, $tag$more;$$;$tag$',
    'SELECT 1 -- comment; here\n + 1',
    'SELECT /* block; /* nested; */ still; */ 2',
    'SELECT a$b FROM (SELECT 1 AS a$b)',
  ].join(';\n');
  assert.deepEqual(texts(script), [
    "SELECT 'a;b', 'it''s;'",
    'SELECT "x;y" FROM (SELECT 1 AS "x;y")',
    "SELECT E'esc\\';still string'",
    'SELECT $$dollar;body$$, $tag$more;$$;$tag$',
    'SELECT 1 -- comment; here\n + 1',
    'SELECT /* block; /* nested; */ still; */ 2',
    'SELECT a$b FROM (SELECT 1 AS a$b)',
  ]);
});

test('ranges point into the script and empty statements are dropped', () => {
  const script = '  -- lead\nSELECT 1;;  ;\n/* only a comment */;\nSELECT 2 ';
  const ranges = splitStatements(script);
  assert.equal(ranges.length, 2);
  for (const r of ranges) assert.equal(script.slice(r.start, r.end), r.text);
  assert.equal(ranges[0]!.text, 'SELECT 1');
  assert.equal(script[ranges[0]!.terminatorEnd - 1], ';');
  assert.equal(ranges[1]!.text, 'SELECT 2');
  assert.deepEqual(texts(''), []);
  assert.deepEqual(texts('-- nothing\n/* at all */'), []);
});

test('an unterminated string runs to the end instead of splitting', () => {
  assert.deepEqual(texts("SELECT 'open; SELECT 2"), ["SELECT 'open; SELECT 2"]);
});

test('statementAt finds the statement under or just before the cursor', () => {
  const script = 'SELECT 1;\nSELECT 2;  \n\nSELECT 3';
  assert.equal(statementAt(script, 0)?.text, 'SELECT 1');
  assert.equal(statementAt(script, 9)?.text, 'SELECT 1');
  assert.equal(statementAt(script, 12)?.text, 'SELECT 2');
  assert.equal(statementAt(script, script.indexOf(';  ') + 3)?.text, 'SELECT 2');
  assert.equal(statementAt(script, script.indexOf('\n\n') + 1)?.text, 'SELECT 3');
  assert.equal(statementAt(script, script.length)?.text, 'SELECT 3');
  assert.equal(statementAt('  ', 1), undefined);
});

test('lineColumn is 1-based', () => {
  assert.deepEqual(lineColumn('ab\ncd', 0), { line: 1, column: 1 });
  assert.deepEqual(lineColumn('ab\ncd', 4), { line: 2, column: 2 });
});
