// A child process for the crash and concurrency tests: opens the store named by the environment and writes.
import * as fs from 'node:fs';
import { AuthService } from '../../src/engine/auth/auth.js';
import { DevelopmentMailer } from '../../src/engine/auth/mailer.js';
import { FileKeyProvider } from '../../src/engine/crypto/keys.js';
import { MetadataStore } from '../../src/engine/store/metadataStore.js';

async function main(): Promise<void> {
  const env = process.env;
  const store = await MetadataStore.open(env.MDW_TEST_WAREHOUSE!, new FileKeyProvider(), {
    compactAfterBytes: Number(env.MDW_TEST_COMPACT ?? 4 * 1024 * 1024),
    lockTimeoutMs: 30_000,
  });
  const auth = new AuthService(store, new DevelopmentMailer(() => undefined));
  const account = await auth.resume(env.MDW_TEST_TOKEN!);
  const mode = env.MDW_TEST_MODE;
  if (mode === 'save-loop') {
    const sheet = (await account.worksheets.resolve('/crash'))!;
    const padding = 'x'.repeat(Number(env.MDW_TEST_PADDING ?? 500));
    for (let i = Number(env.MDW_TEST_START); ; i++) {
      await account.worksheets.save(sheet.id, { sql: `select ${i} -- ${padding}` });
      if (i % 3 === 0)
        await account.history.add({
          worksheetId: sheet.id,
          sql: `select ${i}`,
          startedAt: i,
          durationMs: 1,
          status: 'ok',
        });
      fs.writeSync(1, `${i}\n`);
    }
  } else if (mode === 'create') {
    for (let i = 0; i < Number(env.MDW_TEST_COUNT); i++) {
      await account.worksheets.createFolder(null, `${env.MDW_TEST_PREFIX} ${i}`);
    }
    store.close();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
