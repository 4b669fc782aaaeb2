import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthService, type AuthOptions } from '../../src/engine/auth/auth.js';
import { DevelopmentMailer, type MailMessage } from '../../src/engine/auth/mailer.js';
import { FileKeyProvider } from '../../src/engine/crypto/keys.js';
import type { Account } from '../../src/engine/store/account.js';
import { MetadataStore, type StoreOptions } from '../../src/engine/store/metadataStore.js';

/** A fresh temporary folder, removed by `cleanup`. */
export function tempDir(prefix = 'mdw-store-'): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A warehouse folder and a key file outside it. */
export interface Fixture {
  root: string;
  warehouse: string;
  keyFile: string;
  keys: FileKeyProvider;
  cleanup(): void;
}

/** Makes `<tmp>/warehouse` (not yet created) and `<tmp>/config/master.key` (created on first open). */
export function fixture(): Fixture {
  const { dir, cleanup } = tempDir();
  const keyFile = path.join(dir, 'config', 'master.key');
  return {
    root: dir,
    warehouse: path.join(dir, 'warehouse'),
    keyFile,
    keys: new FileKeyProvider({ file: keyFile }),
    cleanup,
  };
}

/** A store plus an auth service with development delivery whose messages land in `outbox`. */
export async function openWithAuth(
  f: Fixture,
  options: StoreOptions = {},
  authOptions: AuthOptions = {},
): Promise<{ store: MetadataStore; auth: AuthService; outbox: MailMessage[] }> {
  const store = await MetadataStore.open(f.warehouse, f.keys, options);
  const outbox: MailMessage[] = [];
  const auth = new AuthService(store, new DevelopmentMailer((m) => void outbox.push(m)), authOptions);
  return { store, auth, outbox };
}

/** Requests a code through development delivery and signs in with it. */
export async function signIn(
  auth: AuthService,
  outbox: MailMessage[],
  email: string,
): Promise<{ account: Account; token: string }> {
  await auth.requestCode(email);
  const code = /\b(\d{6})\b/.exec(outbox[outbox.length - 1]!.text)![1]!;
  const { account, token } = await auth.verifyCode(email, code);
  return { account, token };
}

/** Every file under `dir`, recursively. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}
