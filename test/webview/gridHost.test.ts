import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createMessageConnection } from 'vscode-jsonrpc/node';
import { GridHost } from '../../src/host/grid/gridHost.js';
import {
  CancellationTokenSource,
  CancelledError,
  Endpoint,
  PostMessageReader,
  PostMessageWriter,
  REQUEST_CANCELLED,
  RequestFailed,
  type BaseWebviewNotifications,
} from '../../src/shared/channel.js';
import type {
  GridHostNotifications,
  GridRequests,
  GridWebviewNotifications,
  RunInfo,
} from '../../src/shared/protocol.js';
import type { ResultPage, ResultSource } from '../../src/shared/results.js';
import type { KeptResult } from '../../src/engine/query/index.js';
import { EngineFixture } from './support/engineSource.js';
import type { RawMessage } from './support/harness.js';

let db: EngineFixture;
let source: KeptResult;

before(async () => {
  db = await EngineFixture.open();
  source = await db.result('r', "SELECT range AS n, 'v' || range AS s FROM range(50000)");
});

after(() => db.close());

type Client = Endpoint<
  GridRequests,
  GridWebviewNotifications & BaseWebviewNotifications,
  Record<never, never>,
  GridHostNotifications
>;

/**
 * A GridHost over `src` and a JSON-RPC client standing in for the webview, joined as postMessage joins
 * them. `sent` holds every raw message the host posted; `until` waits for a condition on it.
 */
function hostOver(src: ResultSource): {
  host: GridHost;
  client: Client;
  sent: RawMessage[];
  runs: RunInfo[];
  log: string[];
  until(what: () => boolean): Promise<void>;
  /** Posts a raw value to the host, as a misbehaving webview could. */
  raw(message: unknown): void;
} {
  const sent: RawMessage[] = [];
  const runs: RunInfo[] = [];
  const log: string[] = [];
  const reader = new PostMessageReader();
  const host = new GridHost({
    post: (m) => {
      sent.push(m as RawMessage);
      reader.receive(structuredClone(m));
    },
    pageConcurrency: 1,
    log: (line) => log.push(line),
  });
  const connection = createMessageConnection(
    reader,
    new PostMessageWriter((m) => host.handle(structuredClone(m))),
  );
  const client: Client = new Endpoint<
    GridRequests,
    GridWebviewNotifications & BaseWebviewNotifications,
    Record<never, never>,
    GridHostNotifications
  >(
    connection,
    { requests: {}, notifications: { run: ({ run }) => void runs.push(run), summary: () => undefined } },
    (line) => log.push(line),
  );
  connection.listen();
  host.showRun({ results: [{ title: 'R', source: src }], messages: [] });
  client.notify('ready', {});
  return {
    host,
    client,
    sent,
    runs,
    log,
    until: async (what) => {
      while (!what()) await new Promise((r) => setTimeout(r, 5));
    },
    raw: (m) => host.handle(m),
  };
}

/** A source whose pages wait until `open()`; `asked` lists the offsets that reached it. */
function gated(): { src: ResultSource; asked: number[]; open(): void } {
  const asked: number[] = [];
  let open = (): void => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    asked,
    open: () => open(),
    src: {
      summary: () => source.summary(),
      stats: (c, v) => source.stats(c, v),
      page: async (offset, limit, view): Promise<ResultPage> => {
        asked.push(offset);
        await gate;
        return source.page(offset, limit, view);
      },
    },
  };
}

const params = (offset: number, limit = 10): GridRequests['page']['params'] => ({
  resultId: source.summary().resultId,
  offset,
  limit,
  view: {},
});

test('posts nothing before ready, then the run', async () => {
  const h = hostOver(source);
  await h.until(() => h.runs.length === 1);
  assert.equal(h.sent[0]?.method, 'run', 'the first message is the run, after ready');
  assert.equal(h.runs[0]?.results[0]?.summary.rowCount, 50000);
});

test('a cancelled page request is never answered with data; queued ones never reach DuckDB', async () => {
  const g = gated();
  const h = hostOver(g.src);
  await h.until(() => h.runs.length === 1);
  const sources = [1, 2, 3, 4, 5].map(() => new CancellationTokenSource());
  const answers = sources.map((s, i) =>
    h.client.request('page', params((i + 1) * 1000), s.token).then(
      (page) => page,
      (e: unknown) => e,
    ),
  );
  // Page 1 runs (concurrency 1) and waits at the gate; 2-5 wait in the host's queue.
  await h.until(() => g.asked.length === 1);
  for (const s of sources.slice(0, 3)) s.cancel();
  const cancelledIds = new Set<number>();
  await h.until(() => {
    for (const m of h.sent) if (m.error?.code === REQUEST_CANCELLED) cancelledIds.add(m.id!);
    return cancelledIds.size === 2;
  });
  g.open();
  await h.until(() => h.sent.filter((m) => m.id !== undefined).length === 5);
  const responses = h.sent.filter((m) => m.id !== undefined);
  assert.equal(new Set(responses.map((m) => m.id)).size, 5, 'one response per request');
  const requestIds = responses.map((m) => m.id!).sort();
  const [first, second, third] = requestIds;
  for (const id of [first, second, third]) {
    const answer = responses.find((m) => m.id === id)!;
    assert.equal(answer.error?.code, REQUEST_CANCELLED, `request ${id} answered as cancelled`);
    assert.equal(answer.result, undefined, `request ${id} carries no rows`);
  }
  // The callers stopped waiting at once; the others got their rows.
  const settled = await Promise.all(answers);
  for (const a of settled.slice(0, 3)) assert.ok(a instanceof CancelledError);
  assert.deepEqual((settled[3] as ResultPage).rows[0], ['4000', 'v4000']);
  assert.deepEqual((settled[4] as ResultPage).rows[0], ['5000', 'v5000']);
  // Page 1 ran before its cancel; 2 and 3 were dropped from the queue.
  assert.deepEqual([...g.asked].sort(), [1000, 4000, 5000]);
});

test('answers bad requests with a clear error and keeps working', async () => {
  const h = hostOver(source);
  const code = (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof RequestFailed ? e.code : String(e)),
    );
  assert.equal(await code(h.client.request('page', { ...params(0), resultId: 'nope' })), 'RESULT_NOT_FOUND');
  assert.equal(await code(h.client.request('page', params(-1))), 'BAD_REQUEST');
  assert.equal(
    await code(h.client.request('stats', { resultId: source.summary().resultId, column: 9, view: {} })),
    'BAD_REQUEST',
  );
  assert.equal(
    await code(h.client.request('export', { resultId: source.summary().resultId, view: {}, format: 'csv' })),
    'UNSUPPORTED',
  );
  const resultId = source.summary().resultId;
  assert.equal(
    await code(h.client.request('chart', { resultId, spec: { type: 'bar', x: 7, y: [] }, view: {} })),
    'INVALID_ARGUMENT',
  );
  const saveChart = (format: string, data: string): Promise<string> =>
    code(h.client.request('saveChart', { format: format as 'png', data, title: 't' }));
  assert.equal(await saveChart('gif', 'R0lGODlh'), 'BAD_REQUEST');
  assert.equal(await saveChart('png', Buffer.from('<svg>').toString('base64')), 'BAD_REQUEST', 'not a PNG');
  assert.equal(await saveChart('svg', '<html><script>'), 'BAD_REQUEST', 'not an SVG');
  assert.equal(await saveChart('svg', '<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'UNSUPPORTED');
  const noCharts = hostOver(gated().src);
  assert.equal(
    await code(noCharts.client.request('chart', { resultId, spec: { type: 'bar', x: 0, y: [] }, view: {} })),
    'UNSUPPORTED',
  );
  noCharts.host.dispose();
  // What a misbehaving page could post: an unknown method, positional params, garbage.
  h.raw({ jsonrpc: '2.0', id: 900, method: 'nope', params: {} });
  h.raw({ jsonrpc: '2.0', id: 901, method: 'page', params: [1, 2] });
  h.raw({ jsonrpc: '2.0', id: 902, method: 'page' });
  h.raw('garbage');
  h.raw({ jsonrpc: '2.0', method: 'reveal', params: { line: 'x' } });
  await h.until(() => [900, 901, 902].every((id) => h.sent.some((m) => m.id === id)));
  const error = (id: number): number | undefined => h.sent.find((m) => m.id === id)?.error?.code;
  assert.equal(error(900), -32601, 'method not found');
  assert.equal(error(901), -32602, 'invalid params');
  assert.equal(error(902), -32602, 'invalid params');
  const page = await h.client.request('page', params(0, 2));
  assert.deepEqual(page.rows, [
    ['0', 'v0'],
    ['1', 'v1'],
  ]);
});

test('copies a range of a sorted, filtered view in every format', async () => {
  const h = hostOver(source);
  const view = {
    sort: [{ column: 0, direction: 'desc' as const }],
    filters: [{ column: 0, op: 'range' as const, max: '9' }],
  };
  const resultId = source.summary().resultId;
  const tsv = await h.client.request('copy', {
    resultId,
    view,
    rows: { start: 0, end: 2 },
    columns: [1, 0],
    format: 'tsv',
  });
  const insert = await h.client.request('copy', {
    resultId,
    view,
    rows: { start: 0, end: 1 },
    columns: [0, 1],
    format: 'insert',
  });
  assert.equal(tsv.text, 's\tn\nv9\t9\nv8\t8');
  assert.equal(insert.text, `INSERT INTO "result" ("n", "s") VALUES (9, 'v9');`);
});
