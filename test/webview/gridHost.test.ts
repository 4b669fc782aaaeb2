import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { DuckDBInstance } from '@duckdb/node-api';
import { GridHost } from '../../src/host/grid/gridHost.js';
import type { HostMessage } from '../../src/shared/protocol.js';
import type { ResultPage, ResultSource } from '../../src/shared/results.js';
import { DuckDBTableSource, openDuckDB } from './support/duckdbSource.js';

let db: DuckDBInstance;
let source: DuckDBTableSource;

before(async () => {
  db = await openDuckDB();
  source = await DuckDBTableSource.create(db, 'r', "SELECT range AS n, 'v' || range AS s FROM range(50000)");
});

after(() => db.closeSync());

/** A host over `src` whose posted messages are collected; `settled` waits until `count` responses arrived. */
function hostOver(src: ResultSource): {
  host: GridHost;
  sent: HostMessage[];
  settled(count: number): Promise<void>;
} {
  const sent: HostMessage[] = [];
  let wake = (): void => undefined;
  const host = new GridHost({
    post: (m) => {
      sent.push(m);
      wake();
    },
    pageConcurrency: 1,
  });
  host.showRun({ results: [{ title: 'R', source: src }], messages: [] });
  host.handle({ type: 'ready' });
  const responses = (): number => sent.filter((m) => m.type === 'response').length;
  return {
    host,
    sent,
    settled: (count) =>
      new Promise<void>((resolve) => {
        wake = () => {
          if (responses() >= count) resolve();
        };
        wake();
      }),
  };
}

test('posts the run once the webview is ready', () => {
  const { sent } = hostOver(source);
  assert.equal(sent[0]?.type, 'run');
  assert.equal(sent[0]?.type === 'run' && sent[0].run.results[0]?.summary.rowCount, 50000);
});

test('answers pages and drops page requests cancelled while queued', async () => {
  const offsets: number[] = [];
  const counting: ResultSource = {
    summary: () => source.summary(),
    stats: (c, v) => source.stats(c, v),
    page: (offset, limit, view): Promise<ResultPage> => {
      offsets.push(offset);
      return source.page(offset, limit, view);
    },
  };
  const { host, sent, settled } = hostOver(counting);
  for (let id = 1; id <= 5; id++) {
    host.handle({
      type: 'request',
      id,
      method: 'page',
      params: { resultId: 'r', offset: id * 1000, limit: 10, view: {} },
    });
  }
  host.handle({ type: 'cancel', id: 1 });
  host.handle({ type: 'cancel', id: 2 });
  host.handle({ type: 'cancel', id: 3 });
  await settled(5);
  const responses = sent.filter((m) => m.type === 'response');
  assert.equal(responses.length, 5, 'one response per request');
  const cancelled = responses.filter((m) => !m.ok && m.cancelled).map((m) => m.id);
  assert.deepEqual(cancelled.sort(), [1, 2, 3]);
  // Request 1 was already running (concurrency 1): its answer is dropped; 2 and 3 never reach DuckDB.
  assert.ok(!offsets.includes(2000) && !offsets.includes(3000), `ran ${offsets}`);
  const page4 = responses.find((m) => m.id === 4);
  assert.ok(page4?.ok);
  assert.deepEqual((page4.result as ResultPage).rows[0], ['4000', 'v4000']);
});

test('answers bad requests with a clear error and keeps working', async () => {
  const { host, sent, settled } = hostOver(source);
  host.handle({
    type: 'request',
    id: 1,
    method: 'page',
    params: { resultId: 'nope', offset: 0, limit: 10, view: {} },
  });
  host.handle({
    type: 'request',
    id: 2,
    method: 'page',
    params: { resultId: 'r', offset: -1, limit: 10, view: {} },
  });
  host.handle({ type: 'request', id: 3, method: 'stats', params: { resultId: 'r', column: 9, view: {} } });
  host.handle({
    type: 'request',
    id: 4,
    method: 'export',
    params: { resultId: 'r', view: {}, format: 'csv' },
  });
  host.handle({ type: 'request', id: 5, method: 'nope', params: {} } as never);
  host.handle('garbage');
  host.handle({
    type: 'request',
    id: 6,
    method: 'page',
    params: { resultId: 'r', offset: 0, limit: 2, view: {} },
  });
  await settled(6);
  const byId = new Map(sent.filter((m) => m.type === 'response').map((m) => [m.id, m]));
  const code = (id: number): string | undefined => {
    const m = byId.get(id);
    return m && !m.ok ? m.error.code : undefined;
  };
  assert.equal(code(1), 'RESULT_NOT_FOUND');
  assert.equal(code(2), 'BAD_REQUEST');
  assert.equal(code(3), 'BAD_REQUEST');
  assert.equal(code(4), 'UNSUPPORTED');
  assert.equal(code(5), 'UNKNOWN_REQUEST');
  assert.ok(byId.get(6)?.ok);
});

test('copies a range of a sorted, filtered view in every format', async () => {
  const { host, sent, settled } = hostOver(source);
  const view = {
    sort: [{ column: 0, direction: 'desc' as const }],
    filters: [{ column: 0, op: 'range' as const, max: '9' }],
  };
  host.handle({
    type: 'request',
    id: 1,
    method: 'copy',
    params: { resultId: 'r', view, rows: { start: 0, end: 2 }, columns: [1, 0], format: 'tsv' },
  });
  host.handle({
    type: 'request',
    id: 2,
    method: 'copy',
    params: { resultId: 'r', view, rows: { start: 0, end: 1 }, columns: [0, 1], format: 'insert' },
  });
  await settled(2);
  const result = (id: number): { text: string; rows: number } => {
    const m = sent.find((x) => x.type === 'response' && x.id === id);
    assert.ok(m?.type === 'response' && m.ok, JSON.stringify(m));
    return m.result as { text: string; rows: number };
  };
  assert.equal(result(1).text, 's\tn\nv9\t9\nv8\t8');
  assert.equal(result(2).text, `INSERT INTO "result" ("n", "s") VALUES (9, 'v9');`);
});
