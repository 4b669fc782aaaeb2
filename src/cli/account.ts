import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuthService } from '../engine/auth/auth.js';
import { DevelopmentMailer, parseSmtpUrl, SmtpMailer, type Mailer } from '../engine/auth/mailer.js';
import { defaultConfigDir, FileKeyProvider } from '../engine/crypto/keys.js';
import { EngineError } from '../engine/errors.js';
import type { Account } from '../engine/store/account.js';
import { MetadataStore } from '../engine/store/metadataStore.js';

/** Where the CLI keeps its session tokens: one per warehouse folder, in a 0600 file of the config folder. */
export function sessionsFile(env: NodeJS.ProcessEnv): string {
  return path.join(defaultConfigDir(env), 'cli-sessions.json');
}

function readSessions(env: NodeJS.ProcessEnv): Record<string, string> {
  try {
    const parsed = JSON.parse(fs.readFileSync(sessionsFile(env), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** The stored session token for `warehouseDir`, if any. */
export function savedToken(env: NodeJS.ProcessEnv, warehouseDir: string): string | undefined {
  return readSessions(env)[path.resolve(warehouseDir)];
}

/** Stores (or with `undefined`, forgets) the session token for `warehouseDir`; the file is mode 0600. */
export function saveToken(env: NodeJS.ProcessEnv, warehouseDir: string, token: string | undefined): void {
  const sessions = readSessions(env);
  const key = path.resolve(warehouseDir);
  if (token === undefined) delete sessions[key];
  else sessions[key] = token;
  const file = sessionsFile(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(sessions, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Opens the warehouse's metadata store with the CLI's key file ($MDW_KEY_FILE or the config folder). */
export function openStore(env: NodeJS.ProcessEnv, warehouseDir: string): Promise<MetadataStore> {
  return MetadataStore.open(warehouseDir, new FileKeyProvider({ env }));
}

/**
 * The mailer for sign-in codes: SMTP from $MDW_SMTP_URL (and $MDW_MAIL_FROM), else development
 * delivery that prints the message on stderr and writes nothing to disk.
 */
export function mailerFrom(env: NodeJS.ProcessEnv, stderr: NodeJS.WritableStream): Mailer {
  if (env.MDW_SMTP_URL) {
    const config = parseSmtpUrl(
      env.MDW_SMTP_URL,
      env.MDW_MAIL_FROM ?? 'MicroDataWarehouse <no-reply@localhost>',
    );
    if (env.MDW_SMTP_CA_FILE) config.ca = fs.readFileSync(env.MDW_SMTP_CA_FILE, 'utf8');
    return new SmtpMailer(config);
  }
  return new DevelopmentMailer((m) => {
    stderr.write(
      `[development delivery: no MDW_SMTP_URL is set, so the message is shown here instead of being sent]\nTo: ${m.to}\nSubject: ${m.subject}\n\n${m.text}\n`,
    );
  });
}

/** The signed-in account for `warehouseDir`, or NOT_SIGNED_IN with what to do. */
export async function signedInAccount(
  store: MetadataStore,
  env: NodeJS.ProcessEnv,
  warehouseDir: string,
): Promise<{ account: Account; token: string }> {
  const token = savedToken(env, warehouseDir);
  const hint = `Nobody is signed in to the warehouse ${path.resolve(warehouseDir)}: run "mdw signin EMAIL" first.`;
  if (!token) throw new EngineError('NOT_SIGNED_IN', hint);
  try {
    return {
      account: await new AuthService(store, new DevelopmentMailer(() => undefined)).resume(token),
      token,
    };
  } catch (e) {
    if (e instanceof EngineError && (e.code === 'NOT_SIGNED_IN' || e.code === 'NOT_FOUND')) {
      saveToken(env, warehouseDir, undefined);
      throw new EngineError('NOT_SIGNED_IN', `Your session has ended. ${hint}`);
    }
    throw e;
  }
}
