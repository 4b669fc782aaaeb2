// The warehouse service against the in-process engine, in the same run: the first page of a result, a middle
// page, and an export, each through the one Engine interface. Two accounts of one warehouse folder: one space
// open in this process, the other in the service (a space is open in one process at a time).
import * as path from 'node:path';
import { AuthService } from '../src/engine/auth/auth.js';
import { DevelopmentMailer, type MailMessage } from '../src/engine/auth/mailer.js';
import { FileKeyProvider } from '../src/engine/crypto/keys.js';
import { databaseKeyOptions } from '../src/engine/encryption.js';
import { LocalEngine, RemoteEngine, type Engine, type EngineSession } from '../src/engine/service/engine.js';
import { MetadataStore } from '../src/engine/store/metadataStore.js';
import { Warehouse } from '../src/engine/warehouse.js';
import { SAMPLES, alternate, ratio, report, timed } from './util.js';

/** Runs `sql` and reads its first page of 1,000 rows (what a grid shows first). */
async function firstPage(s: EngineSession, sql: string): Promise<{ ms: number; rows: number }> {
  let rows = 0;
  let kept: Promise<void> | undefined;
  const { ms } = await timed(async () => {
    for await (const o of s.runIter(sql)) {
      if (o.status !== 'rows') throw new Error(`unexpected ${o.status}`);
      rows = (await o.result.page(0, 1000)).rows.length;
      kept = o.result.whenComplete();
      break;
    }
  });
  // Keeping the rest is not part of the first page; it ends before the next sample starts.
  await kept;
  return { ms, rows };
}

export async function benchService(dir: string, rows: number, exportRows: number): Promise<void> {
  const wh = path.join(dir, 'service-wh');
  const keys = new FileKeyProvider({ file: path.join(dir, 'service-key', 'master.key') });
  const store = await MetadataStore.open(wh, keys);
  const outbox: MailMessage[] = [];
  const auth = new AuthService(store, new DevelopmentMailer((m) => void outbox.push(m)));
  const signIn = async (email: string) => {
    await auth.requestCode(email);
    return auth.verifyCode(email, /\b(\d{6})\b/.exec(outbox[outbox.length - 1]!.text)![1]!);
  };
  const local = await signIn('local@example.com');
  const served = await signIn('service@example.com');
  const warehouse = await Warehouse.open(wh, {
    space: local.account.space,
    ...databaseKeyOptions(local.account),
    allowedFolders: [dir],
  });
  const engines: Record<'service' | 'inProcess', Engine> = {
    inProcess: new LocalEngine(warehouse, local.account),
    service: await RemoteEngine.connect({
      warehouseDir: wh,
      masterKey: () => keys.getMasterKey({ create: false }),
      sessionToken: served.token,
      space: { encryption: 'whenAvailable', allowedFolders: [dir], protectedPaths: [] },
    }),
  };
  const sql = `SELECT range, md5(range::VARCHAR) AS s, range % 97 AS k FROM range(${rows})`;
  try {
    const sessions = {
      service: await engines.service.openSession(),
      inProcess: await engines.inProcess.openSession(),
    };
    const first = await alternate(SAMPLES, {
      service: async () => (await firstPage(sessions.service, sql)).ms,
      inProcess: async () => (await firstPage(sessions.inProcess, sql)).ms,
    });
    report(
      `first page (run ${rows} rows × 3 until rows 0–999 are read) through the service vs in-process`,
      first.service,
      first.inProcess,
      'ms',
      '≤ 1.2×',
      ratio(first.service, first.inProcess) <= 1.2,
    );
    // One kept result per side, then its middle page again and again.
    const kept = {} as Record<'service' | 'inProcess', { page(o: number, l: number): Promise<unknown> }>;
    for (const side of ['service', 'inProcess'] as const) {
      for await (const o of sessions[side].runIter(sql)) {
        if (o.status !== 'rows') throw new Error(`unexpected ${o.status}`);
        await o.result.whenComplete();
        kept[side] = o.result;
      }
    }
    const middle = Math.floor(rows / 2);
    const mid = await alternate(SAMPLES * 4, {
      service: async () => (await timed(() => kept.service.page(middle, 1000))).ms,
      inProcess: async () => (await timed(() => kept.inProcess.page(middle, 1000))).ms,
    });
    report(
      `middle page (rows ${middle}–${middle + 999} of a kept ${rows}-row result) through the service vs in-process`,
      mid.service,
      mid.inProcess,
      'ms',
      '≤ 1.2×',
      ratio(mid.service, mid.inProcess) <= 1.2,
    );
    const exportSql = `SELECT range AS id, range % 1000 AS k, md5(range::VARCHAR) AS h FROM range(${exportRows})`;
    const exp = await alternate(SAMPLES, {
      service: async () =>
        (await timed(() => sessions.service.export(exportSql, path.join(dir, 'service.parquet')))).ms,
      inProcess: async () =>
        (await timed(() => sessions.inProcess.export(exportSql, path.join(dir, 'in-process.parquet')))).ms,
    });
    report(
      `export ${exportRows} rows to Parquet through the service vs in-process`,
      exp.service,
      exp.inProcess,
      'ms',
      '≤ 1.05×',
      ratio(exp.service, exp.inProcess) <= 1.05,
    );
    await sessions.service.close();
    await sessions.inProcess.close();
  } finally {
    await (engines.service as RemoteEngine).close({ release: true });
    await warehouse.close();
    store.close();
  }
}
