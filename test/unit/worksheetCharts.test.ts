import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { isEngineError } from '../../src/engine/errors.js';
import type { ChartSpec } from '../../src/shared/chart.js';
import { allFiles, fixture, openWithAuth, signIn } from '../support/store.js';

const SPEC: ChartSpec = {
  type: 'bar',
  x: 1,
  y: [{ column: 2, aggregate: 'sum' }],
  series: 3,
  bucket: 'month',
};

test('chart settings are kept with the worksheet, sealed, per result position, across reopen', async (t) => {
  const f = fixture();
  t.after(f.cleanup);
  let opened = await openWithAuth(f);
  const { account, token } = await signIn(opened.auth, opened.outbox, 'ann@example.com');
  const sheet = await account.worksheets.createWorksheet(null, 'revenue_by_month_zq', { sql: 'select 1' });
  assert.deepEqual(await account.worksheets.charts(sheet.id), {});

  await account.worksheets.saveChart(sheet.id, 0, SPEC);
  await account.worksheets.saveChart(sheet.id, 2, { ...SPEC, type: 'line' });
  assert.deepEqual(await account.worksheets.charts(sheet.id), { '0': SPEC, '2': { ...SPEC, type: 'line' } });
  // chart settings are not content: no revision, the SQL unchanged
  assert.equal((await account.worksheets.revisions(sheet.id)).length, 1);
  assert.equal((await account.worksheets.open(sheet.id)).sql, 'select 1');
  await account.worksheets.saveChart(sheet.id, 2, null);
  assert.deepEqual(Object.keys(await account.worksheets.charts(sheet.id)), ['0']);

  await assert.rejects(account.worksheets.saveChart(sheet.id, -1, SPEC), (e) =>
    isEngineError(e, 'INVALID_ARGUMENT'),
  );
  const folder = await account.worksheets.createFolder(null, 'F');
  await assert.rejects(account.worksheets.saveChart(folder.id, 0, SPEC), (e) =>
    isEngineError(e, 'NOT_FOUND'),
  );

  await opened.store.close();
  for (const file of allFiles(f.warehouse)) {
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.includes('"aggregate"'), false, `${file} holds chart settings in clear`);
    assert.equal(bytes.includes('month'), false, `${file} holds chart settings in clear`);
  }
  opened = await openWithAuth(f);
  t.after(() => opened.store.close());
  const again = await opened.auth.resume(token);
  assert.deepEqual(await again.worksheets.charts(sheet.id), { '0': SPEC });

  // another account sees no such worksheet
  const bob = await signIn(opened.auth, opened.outbox, 'bob@example.com');
  await assert.rejects(bob.account.worksheets.charts(sheet.id), (e) => isEngineError(e, 'NOT_FOUND'));
});
