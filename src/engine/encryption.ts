import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdb } from './duckdb.js';
import { EngineError, errorMessage } from './errors.js';
import { quoteString } from './names.js';

/** Whether user databases are encrypted: always (refuse otherwise), when DuckDB can, or never. */
export type EncryptionMode = 'required' | 'whenAvailable' | 'off';

/** Every {@link EncryptionMode}, for validating settings and flags. */
export const ENCRYPTION_MODES: readonly EncryptionMode[] = ['required', 'whenAvailable', 'off'];

/**
 * Where database keys come from: the key of database `name` (64 hex characters), made and kept on first use when
 * `create` is true; undefined when there is none and `create` is false.
 */
export type DatabaseKeySource = (name: string, create: boolean) => Promise<string | undefined>;

/** The key options of {@link WarehouseOptions} (see {@link databaseKeyOptions}). */
export interface DatabaseKeyOptions {
  /** Gets (and with `create`, makes) a database's key. Without it, no database is encrypted. */
  databaseKey?: DatabaseKeySource;
  /** Moves a database's key to its new name; needed to rename an encrypted database. */
  moveDatabaseKey?: (from: string, to: string) => Promise<void>;
  /** Forgets a dropped database's key. */
  forgetDatabaseKey?: (name: string) => Promise<void>;
}

/** What an account-like key holder must offer (the store's `Account` does). */
export interface DatabaseKeyHolder {
  databaseKey(database: string, options: { create?: boolean }): Promise<string | undefined>;
  moveDatabaseKey(from: string, to: string): Promise<void>;
  forgetDatabaseKey(database: string): Promise<void>;
}

/** The warehouse key options backed by a signed-in account: `Warehouse.open(dir, {...databaseKeyOptions(a)})`. */
export function databaseKeyOptions(holder: DatabaseKeyHolder): Required<DatabaseKeyOptions> {
  return {
    databaseKey: (name, create) => holder.databaseKey(name, { create }),
    moveDatabaseKey: (from, to) => holder.moveDatabaseKey(from, to),
    forgetDatabaseKey: (name) => holder.forgetDatabaseKey(name),
  };
}

/** Whether DuckDB can write encrypted databases in this warehouse, and why (not). */
export interface CryptoStatus {
  /** True when DuckDB's OpenSSL crypto (the httpfs extension) is loaded: encrypted databases can be written. */
  available: boolean;
  /** One sentence for the user: what is loaded, or what is missing and where it was looked for. */
  detail: string;
}

/** The mode and crypto state of an open warehouse. */
export interface EncryptionStatus extends CryptoStatus {
  mode: EncryptionMode;
  /** True when a database key source was given. */
  keys: boolean;
}

/** The command line that installs the crypto extension; engine messages point users to it by default. */
export const DEFAULT_INSTALL_HINT = 'run "mdw db encryption --install" (needs the network once)';

/** Default time an install may take before its process is killed. */
export const DEFAULT_INSTALL_TIMEOUT_MS = 60_000;

/** Parses a mode as a user writes it (`required`, `when-available`/`whenAvailable`, `off`). */
export function parseEncryptionMode(value: string): EncryptionMode {
  const normal = value.trim().toLowerCase().replaceAll('-', '').replaceAll('_', '');
  const found = ENCRYPTION_MODES.find((m) => m.toLowerCase() === normal);
  if (!found) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `Invalid encryption setting "${value}": use required, when-available or off.`,
    );
  }
  return found;
}

/**
 * What the header of each database file this process has read (or made) says, by absolute path. Reading a file
 * again while DuckDB has it attached would open and close a second descriptor of it, and closing any descriptor
 * of a file drops every POSIX lock this process holds on it: DuckDB's lock would be gone, and another process
 * could open the same database beside us. So a file is read once, before it is attached; the engine updates
 * the entry when it creates, moves or deletes a file and forgets a space's files when its warehouse closes.
 */
const encryptedFiles = new Map<string, boolean>();

/**
 * True when the DuckDB file at `file` says it is encrypted. The main header starts with an 8-byte checksum, the
 * magic `DUCK`, a 64-bit version and 64-bit flags whose lowest bit marks an encrypted database. A missing,
 * short or foreign file reads as not encrypted (DuckDB reports those itself when attaching).
 */
export function isEncryptedDatabaseFile(file: string): boolean {
  const key = path.resolve(file);
  const known = encryptedFiles.get(key);
  if (known !== undefined) return known;
  let fd: number | undefined;
  try {
    fd = fs.openSync(key, 'r');
    const header = Buffer.alloc(28);
    if (fs.readSync(fd, header, 0, header.length, 0) < header.length) return false;
    if (header.toString('latin1', 8, 12) !== 'DUCK') return false;
    const encrypted = (header.readBigUInt64LE(20) & 1n) === 1n;
    encryptedFiles.set(key, encrypted);
    return encrypted;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Records whether the database file the engine just made at `file` is encrypted (see {@link isEncryptedDatabaseFile}). */
export function rememberDatabaseEncryption(file: string, encrypted: boolean): void {
  encryptedFiles.set(path.resolve(file), encrypted);
}

/** Forgets what is known of `file`, or with `folder: true`, of every file under it. */
export function forgetDatabaseEncryption(file: string, options: { folder?: boolean } = {}): void {
  const key = path.resolve(file);
  if (!options.folder) {
    encryptedFiles.delete(key);
    return;
  }
  for (const known of [...encryptedFiles.keys()]) {
    if (known === key || known.startsWith(key + path.sep)) encryptedFiles.delete(known);
  }
}

/** Moves what is known of `from` to `to` (a database file renamed). */
export function moveDatabaseEncryption(from: string, to: string): void {
  const known = encryptedFiles.get(path.resolve(from));
  encryptedFiles.delete(path.resolve(from));
  if (known === undefined) encryptedFiles.delete(path.resolve(to));
  else encryptedFiles.set(path.resolve(to), known);
}

/**
 * Loads httpfs (DuckDB's OpenSSL crypto) from the instance's extension folder only: autoinstall is off, so this
 * never touches the network. Offline with an empty folder it fails in about a millisecond.
 */
export async function loadCrypto(c: DuckDBConnection, extensionsDir: string): Promise<CryptoStatus> {
  try {
    await c.run('LOAD httpfs');
    return { available: true, detail: `DuckDB's OpenSSL crypto (httpfs) is loaded from ${extensionsDir}.` };
  } catch (e) {
    const message = errorMessage(e);
    const where = /Extension "([^"]+)" not found/.exec(message)?.[1];
    return {
      available: false,
      detail: where
        ? `DuckDB's OpenSSL crypto (the httpfs extension) is not installed: ${where} does not exist.`
        : `DuckDB's OpenSSL crypto (the httpfs extension) could not be loaded from ${extensionsDir}: ${firstLine(message)}`,
    };
  }
}

/** Checks, in a throw-away in-memory instance, whether httpfs loads from `extensionsDir`. Never uses the network. */
export async function probeCrypto(extensionsDir: string): Promise<CryptoStatus> {
  const instance = await duckdb().DuckDBInstance.create(':memory:', instanceConfig(extensionsDir));
  try {
    const c = await instance.connect();
    try {
      return await loadCrypto(c, extensionsDir);
    } finally {
      c.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** Options for {@link installCrypto}. */
export interface InstallCryptoOptions {
  /** Kill the install after this many milliseconds (default {@link DEFAULT_INSTALL_TIMEOUT_MS}). */
  timeoutMs?: number;
  /**
   * Where from: an extension repository URL (`http(s)://…`, a mirror of extensions.duckdb.org) or a local
   * `httpfs.duckdb_extension` file. Default: DuckDB's repository. Signatures are checked either way.
   */
  source?: string;
}

/**
 * Installs httpfs into `extensionsDir` (the warehouse's extension folder), on an explicit user action only.
 * It runs in a child process that is killed at the timeout: DuckDB's download can block ~120 s on a network
 * that accepts but never answers, and interrupting the statement does not stop it. Resolves to the crypto
 * status after the install; rejects with EXTENSION_INSTALL_FAILED saying why.
 */
export async function installCrypto(
  extensionsDir: string,
  options: InstallCryptoOptions = {},
): Promise<CryptoStatus> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_INSTALL_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new EngineError('INVALID_ARGUMENT', `Invalid install timeout ${timeoutMs}: use a positive number.`);
  }
  const statement = installStatement(options.source);
  fs.mkdirSync(extensionsDir, { recursive: true });
  const outcome = await runInstallProcess(extensionsDir, statement, timeoutMs);
  if (outcome.kind === 'timeout') {
    throw new EngineError(
      'EXTENSION_INSTALL_FAILED',
      `Installing httpfs did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped${options.source ? '' : ' (no answer from extensions.duckdb.org)'}. Check the network or proxy and try again with a longer timeout, or download httpfs.duckdb_extension elsewhere and install it from that file.`,
    );
  }
  if (outcome.kind === 'failed') {
    throw new EngineError('EXTENSION_INSTALL_FAILED', `Installing httpfs failed: ${outcome.message}`);
  }
  const status = await probeCrypto(extensionsDir);
  if (!status.available) {
    throw new EngineError(
      'EXTENSION_INSTALL_FAILED',
      `httpfs was installed but does not load: ${status.detail}`,
    );
  }
  return status;
}

/** DuckDB instance settings every warehouse instance uses: no automatic installs or loads, a private folder. */
export function instanceConfig(extensionsDir: string): Record<string, string> {
  return {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    extension_directory: extensionsDir,
  };
}

function installStatement(source: string | undefined): string {
  if (source === undefined || source === '') return 'INSTALL httpfs';
  if (/^https?:\/\//i.test(source)) return `INSTALL httpfs FROM ${quoteString(source.replace(/\/+$/, ''))}`;
  const file = path.resolve(source);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new EngineError('FILE_NOT_FOUND', `There is no extension file ${file}.`);
  }
  if (!/^httpfs\.duckdb_extension$/.test(path.basename(file))) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${file} is not named httpfs.duckdb_extension; give the httpfs extension file for this DuckDB version and platform.`,
    );
  }
  return `INSTALL ${quoteString(file)}`;
}

type InstallOutcome = { kind: 'ok' } | { kind: 'failed'; message: string } | { kind: 'timeout' };

/** The child's program: the low-level bindings (not bundled, so resolvable from any of our bundles). */
const INSTALL_CHILD = `
const [bindings, dir, sql] = JSON.parse(process.argv[1]);
const b = require(bindings);
(async () => {
  const config = b.create_config();
  b.set_config(config, 'autoinstall_known_extensions', 'false');
  b.set_config(config, 'autoload_known_extensions', 'false');
  b.set_config(config, 'extension_directory', dir);
  const db = await b.open(':memory:', config);
  const c = await b.connect(db);
  await b.query(c, sql);
  process.stdout.write('installed');
  process.exit(0);
})().catch((e) => {
  process.stderr.write(String((e && e.message) || e));
  process.exit(1);
});
`;

function runInstallProcess(
  extensionsDir: string,
  statement: string,
  timeoutMs: number,
): Promise<InstallOutcome> {
  const bindings = require.resolve('@duckdb/node-bindings');
  return new Promise((resolve) => {
    // ELECTRON_RUN_AS_NODE lets VS Code's own executable run as plain Node for this child.
    const child = spawn(
      process.execPath,
      ['-e', INSTALL_CHILD, JSON.stringify([bindings, extensionsDir, statement])],
      {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      },
    );
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ kind: 'failed', message: `could not start the install process: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) resolve({ kind: 'timeout' });
      else if (code === 0 && stdout.includes('installed')) resolve({ kind: 'ok' });
      else
        resolve({
          kind: 'failed',
          message: installFailure(stderr) || `the install process exited with ${code}`,
        });
    });
  });
}

function installFailure(stderr: string): string {
  const text = stderr.trim();
  if (/Could not establish connection|Failed to read connection|Could not resolve/i.test(text)) {
    return `extensions.duckdb.org (or the given source) cannot be reached from this machine. ${firstLine(text)}`;
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 3)
    .join(' ');
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
