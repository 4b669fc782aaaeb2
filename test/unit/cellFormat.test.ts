import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { cellText, formatRows } from '../../src/shared/cellFormat.js';
import type { ResultColumn } from '../../src/shared/results.js';

const columns: ResultColumn[] = [
  { name: 'n', type: 'BIGINT', kind: 'integer' },
  { name: 'say "hi"', type: 'VARCHAR', kind: 'text' },
  { name: 'l', type: 'INTEGER[]', kind: 'nested' },
];
const rows = [
  ['1', 'a,b\t"c"\nd', [1, 2]],
  [null, "it's", null],
];

test('cell text: NULL is empty, nested values are JSON', () => {
  assert.equal(cellText(null), '');
  assert.equal(cellText(true), 'true');
  assert.equal(cellText({ a: [1, null] }), '{"a":[1,null]}');
});

test('TSV and CSV escape separators and quotes', () => {
  assert.equal(formatRows(columns, rows, 'tsv'), 'n\tsay "hi"\tl\n1\ta,b "c" d\t[1,2]\n\tit\'s\t');
  assert.equal(formatRows(columns, rows, 'csv'), 'n,"say ""hi""",l\r\n1,"a,b\t""c""\nd","[1,2]"\r\n,it\'s,');
  assert.equal(
    formatRows(columns.slice(0, 2), [['', null]], 'csv'),
    'n,"say ""hi"""\r\n"",',
    'an empty string is "" and NULL an empty field, as DuckDB\'s COPY writes them',
  );
});

test('JSON, Markdown and INSERT keep NULL as NULL', () => {
  assert.deepEqual(JSON.parse(formatRows(columns, rows, 'json')), [
    { n: '1', 'say "hi"': 'a,b\t"c"\nd', l: [1, 2] },
    { n: null, 'say "hi"': "it's", l: null },
  ]);
  assert.equal(
    formatRows(columns, [['1', 'x|y', null]], 'markdown'),
    '| n | say "hi" | l |\n| ---: | --- | --- |\n| 1 | x\\|y | NULL |',
  );
  assert.equal(
    formatRows(columns, rows, 'insert', 't"x'),
    [
      `INSERT INTO "t""x" ("n", "say ""hi""", "l") VALUES (1, 'a,b\t"c"\nd', '[1,2]');`,
      `INSERT INTO "t""x" ("n", "say ""hi""", "l") VALUES (NULL, 'it''s', NULL);`,
    ].join('\n'),
  );
});
