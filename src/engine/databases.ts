import * as fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  forgetDatabaseEncryption,
  isEncryptedDatabaseFile,
  moveDatabaseEncryption,
  rememberDatabaseEncryption,
} from './encryption.js';
import { EngineError, errorMessage } from './errors.js';
import { checkDatabaseName, INTERNAL_PREFIX, quoteIdent, quoteString } from './names.js';
import type { Warehouse } from './warehouse.js';

/** A database of the space: one `.duckdb` file in its databases folder. */
export interface DatabaseInfo {
  /** The name it is attached under (the file name without `.duckdb`). */
  name: string;
  /** Absolute path of the `.duckdb` file. */
  path: string;
  /** Bytes on disk: the file plus its write-ahead log, if any. */
  sizeBytes: number;
  /** Whether it is attached to the warehouse's DuckDB instance (a user may DETACH it in SQL). */
  attached: boolean;
  /** Whether it is attached read-only. */
  readOnly: boolean;
  /** Whether its file is encrypted with DuckDB's encryption (its key sealed in the account's store). */
  encrypted: boolean;
  /**
   * Set when the user should know something about its encryption: created or kept unencrypted and why, opened
   * read-only because DuckDB cannot write encrypted files here, or not attached because its key is missing or wrong.
   */
  encryptionNote?: string;
}

/** How a database file is attached: with its key when it is encrypted, read-only when it must be. */
export interface AttachOptions {
  /** DuckDB encryption key; never logged. */
  key?: string;
  /** Attach read-only even in a writable warehouse. */
  readOnly?: boolean;
}

/** Options for {@link dropDatabase}. */
export interface DropDatabaseOptions {
  /** Must be true: dropping deletes the file. */
  confirm?: boolean;
}

/** How long rename and drop wait for another session to let go of a database before giving up. */
const RELEASE_WAIT_MS = 1000;
const locks = new WeakMap<Warehouse, Promise<unknown>>();

/** The ATTACH statement for database `name` of the warehouse, optionally under another alias. */
export function attachSql(
  w: Warehouse,
  name: string,
  alias: string = name,
  options: AttachOptions = {},
): string {
  const parts: string[] = [];
  if (options.key !== undefined) parts.push(`ENCRYPTION_KEY ${quoteString(options.key)}`);
  if (w.readOnly || options.readOnly === true) parts.push('READ_ONLY');
  const mode = parts.length > 0 ? ` (${parts.join(', ')})` : '';
  return `ATTACH ${quoteString(w.databaseFile(name))} AS ${quoteIdent(alias)}${mode}`;
}

/**
 * How the existing file of database `name` must be attached: an encrypted file needs its key (KEY_MISSING when
 * the key source has none) and is read-only while DuckDB cannot write encrypted files.
 */
export async function attachOptions(w: Warehouse, name: string): Promise<AttachOptions> {
  if (!isEncryptedDatabaseFile(w.databaseFile(name))) return {};
  const source = w.options.databaseKey;
  const key = source ? await source(name, false) : undefined;
  if (key === undefined) {
    throw new EngineError(
      'KEY_MISSING',
      source
        ? `Database "${name}" is encrypted, but this account has no key for it (it was made by another account or its key was lost). It stays unattached; nothing was changed.`
        : `Database "${name}" is encrypted, but the warehouse was opened without a key source. It stays unattached; nothing was changed.`,
    );
  }
  return { key, readOnly: !w.encryption.available };
}

/**
 * Attaches the existing database `name` under `alias` with its key when encrypted. A missing or wrong key gives
 * KEY_MISSING or KEY_WRONG and changes nothing; other DuckDB errors are passed on unchanged.
 */
export async function attachDatabase(
  w: Warehouse,
  c: DuckDBConnection,
  name: string,
  alias: string = name,
  options?: AttachOptions,
): Promise<void> {
  const resolved = options ?? (await attachOptions(w, name));
  try {
    await c.run(attachSql(w, name, alias, resolved));
  } catch (e) {
    throw keyError(e, name) ?? e;
  }
}

function keyError(e: unknown, name: string): EngineError | undefined {
  const message = errorMessage(e);
  if (/Wrong encryption key/i.test(message)) {
    return new EngineError(
      'KEY_WRONG',
      `The key kept for database "${name}" does not open its file (it was replaced or belongs to another database). It stays unattached; nothing was changed.`,
      undefined,
      { cause: e },
    );
  }
  if (/Cannot open encrypted database .* without a key/i.test(message)) {
    return new EngineError(
      'KEY_MISSING',
      `Database "${name}" is encrypted and no key was given for it. It stays unattached; nothing was changed.`,
      undefined,
      { cause: e },
    );
  }
  return undefined;
}

/** What {@link createDatabase} will do about encryption: a key, or a plain file and why (or refuse). */
async function creationKey(w: Warehouse, name: string): Promise<{ key?: string; note?: string }> {
  const status = w.encryption;
  if (status.mode === 'off') return {};
  const reason = !status.available
    ? status.detail
    : w.options.databaseKey === undefined
      ? 'the warehouse was opened without a key source.'
      : undefined;
  if (reason !== undefined) {
    if (status.mode === 'required') {
      throw new EngineError(
        'ENCRYPTION_UNAVAILABLE',
        `Database "${name}" was not created: encryption is required, but ${lowerFirst(reason)} To enable encryption, ${w.installHint}.`,
      );
    }
    return {
      note: `"${name}" was created unencrypted: ${lowerFirst(reason)} To encrypt new databases, ${w.installHint}.`,
    };
  }
  // A key left under this name by an earlier database of the same name must not be reused for a new file.
  await w.options.forgetDatabaseKey?.(name);
  const key = await w.options.databaseKey!(name, true);
  if (key === undefined) {
    throw new EngineError('KEY_MISSING', `The key source made no key for the new database "${name}".`);
  }
  return { key };
}

function lowerFirst(text: string): string {
  return text.startsWith('DuckDB') ? text : text.charAt(0).toLowerCase() + text.slice(1);
}

/** Creates an empty database file and attaches it under `name`. */
export async function createDatabase(w: Warehouse, name: string): Promise<DatabaseInfo> {
  w.assertWritable('create a database');
  checkDatabaseName(name);
  return exclusive(w, async () => {
    const existing = findDatabase(w, name);
    if (existing) {
      throw new EngineError(
        'DATABASE_EXISTS',
        `A database named "${existing}" already exists (database names are case-insensitive).`,
      );
    }
    const file = w.databaseFile(name);
    if (fs.existsSync(`${file}.wal`)) {
      throw new EngineError(
        'DATABASE_EXISTS',
        `A leftover write-ahead log ${file}.wal exists without its database; move it away before creating "${name}".`,
      );
    }
    const { key, note } = await creationKey(w, name);
    await w.withConnection(async (c) => {
      try {
        await c.run(attachSql(w, name, name, { key }));
        rememberDatabaseEncryption(file, key !== undefined);
      } catch (e) {
        forgetDatabaseEncryption(file);
        removeQuietly(file);
        removeQuietly(`${file}.wal`);
        if (key !== undefined) await w.options.forgetDatabaseKey?.(name).catch(() => undefined);
        if (/already exists/i.test(errorMessage(e))) {
          throw new EngineError(
            'DATABASE_EXISTS',
            `A database named "${name}" is already attached (names are case-insensitive).`,
            undefined,
            { cause: e },
          );
        }
        throw new EngineError(
          'SQL_ERROR',
          `Could not create database "${name}": ${errorMessage(e)}`,
          undefined,
          {
            cause: e,
          },
        );
      }
    });
    w.notifyCatalogChanged({ databases: [name] });
    const info = databaseInfo(w, name, await attachedNames(w));
    return note === undefined ? info : { ...info, encryptionNote: note };
  });
}

/**
 * Attaches an existing database that is not attached (its key was missing at open, or SQL detached it).
 * Throws KEY_MISSING or KEY_WRONG when its key does not open it.
 */
export async function reattachDatabase(w: Warehouse, name: string): Promise<DatabaseInfo> {
  w.assertOpen();
  return exclusive(w, async () => {
    const actual = requireDatabase(w, name);
    const attached = await attachedNames(w);
    if (!attached.has(w.databaseFile(actual))) {
      try {
        await w.withConnection((c) => attachDatabase(w, c, actual));
        w.noteAttachFailure(actual, undefined);
      } catch (e) {
        if (e instanceof EngineError && (e.code === 'KEY_MISSING' || e.code === 'KEY_WRONG')) {
          w.noteAttachFailure(actual, e);
        }
        throw e;
      }
      w.notifyCatalogChanged({ databases: [actual] });
    }
    return databaseInfo(w, actual, await attachedNames(w));
  });
}

/** The space's databases (`.duckdb` files with valid names), sorted by name. */
export async function listDatabases(w: Warehouse): Promise<DatabaseInfo[]> {
  w.assertOpen();
  const attached = await attachedNames(w);
  return databaseNames(w)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => databaseInfo(w, name, attached));
}

/** Renames a database: detach, rename its file (and WAL), attach under the new name. */
export async function renameDatabase(w: Warehouse, oldName: string, newName: string): Promise<DatabaseInfo> {
  w.assertWritable('rename a database');
  checkDatabaseName(newName);
  return exclusive(w, async () => {
    const actual = requireDatabase(w, oldName);
    const clash = findDatabase(w, newName);
    if (clash && clash.toLowerCase() !== actual.toLowerCase()) {
      throw new EngineError(
        'DATABASE_EXISTS',
        `A database named "${clash}" already exists (database names are case-insensitive).`,
      );
    }
    if (actual === newName) return databaseInfo(w, actual, await attachedNames(w));
    const from = w.databaseFile(actual);
    const to = w.databaseFile(newName);
    const encrypted = isEncryptedDatabaseFile(from);
    const moveKey = w.options.moveDatabaseKey;
    if (encrypted && moveKey === undefined && actual.toLowerCase() !== newName.toLowerCase()) {
      throw new EngineError(
        'KEY_MISSING',
        `Database "${actual}" is encrypted and its key cannot be moved to a new name with this key source; it keeps its name.`,
      );
    }
    const options = await attachOptions(w, actual);
    await w.withConnection(async (c) => {
      const alias = await release(w, c, actual, options);
      const restore = async (): Promise<void> => {
        if (alias !== undefined) await attachDatabase(w, c, actual, alias, options);
      };
      try {
        moveFiles(from, to);
      } catch (e) {
        await restore();
        throw new EngineError(
          'SQL_ERROR',
          `Could not rename the file of "${actual}": ${errorMessage(e)}`,
          undefined,
          {
            cause: e,
          },
        );
      }
      try {
        await moveKey?.(actual, newName);
      } catch (e) {
        moveFiles(to, from);
        await restore();
        throw e;
      }
      try {
        await attachDatabase(w, c, newName, newName, options);
      } catch (e) {
        await moveKey?.(newName, actual).catch(() => undefined);
        moveFiles(to, from);
        await restore();
        throw new EngineError(
          'SQL_ERROR',
          `Could not attach "${actual}" as "${newName}"; it keeps its old name: ${errorMessage(e)}`,
          undefined,
          { cause: e },
        );
      }
    });
    w.notifyCatalogChanged({ databases: [actual, newName] });
    return databaseInfo(w, newName, await attachedNames(w));
  });
}

/** Detaches a database and deletes its file and WAL. Throws CONFIRMATION_REQUIRED without `confirm`. */
export async function dropDatabase(
  w: Warehouse,
  name: string,
  options: DropDatabaseOptions = {},
): Promise<void> {
  w.assertWritable('drop a database');
  if (options.confirm !== true) {
    throw new EngineError(
      'CONFIRMATION_REQUIRED',
      `Dropping database "${name}" deletes its file and every table in it; confirm to proceed.`,
    );
  }
  await exclusive(w, async () => {
    const actual = requireDatabase(w, name);
    const file = w.databaseFile(actual);
    // A database whose key is missing or wrong cannot be attached, so no session holds it: drop it as it is.
    const options = await attachOptions(w, actual).catch(passKeyErrors);
    await w.withConnection(async (c) => {
      const alias = options ? await release(w, c, actual, options).catch(passKeyErrors) : undefined;
      try {
        forgetDatabaseEncryption(file);
        fs.rmSync(file, { force: true });
        fs.rmSync(`${file}.wal`, { force: true });
      } catch (e) {
        if (fs.existsSync(file) && alias !== undefined) await attachDatabase(w, c, actual, alias, options);
        throw new EngineError(
          'SQL_ERROR',
          `Could not delete the file of "${actual}": ${errorMessage(e)}`,
          undefined,
          {
            cause: e,
          },
        );
      }
    });
    w.noteAttachFailure(actual, undefined);
    // The file is gone: a key left behind (the store busy) opens nothing and is replaced on the next create.
    await w.options.forgetDatabaseKey?.(actual).catch(() => undefined);
    w.notifyCatalogChanged({ databases: [actual] });
  });
}

function passKeyErrors(e: unknown): undefined {
  if (e instanceof EngineError && (e.code === 'KEY_MISSING' || e.code === 'KEY_WRONG')) return undefined;
  throw e;
}

async function exclusive<T>(w: Warehouse, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(w) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(fn);
  locks.set(
    w,
    next.catch(() => undefined),
  );
  return next;
}

function databaseNames(w: Warehouse): string[] {
  if (!fs.existsSync(w.databasesDir)) return [];
  const names: string[] = [];
  const seen = new Set<string>();
  for (const file of fs.readdirSync(w.databasesDir).sort()) {
    if (!file.endsWith('.duckdb')) continue;
    const name = file.slice(0, -'.duckdb'.length);
    if (!validName(name) || seen.has(name.toLowerCase())) continue;
    seen.add(name.toLowerCase());
    names.push(name);
  }
  return names;
}

function validName(name: string): boolean {
  try {
    checkDatabaseName(name);
    return true;
  } catch {
    return false;
  }
}

/** The existing database whose name equals `name` case-insensitively. */
function findDatabase(w: Warehouse, name: string): string | undefined {
  const lower = name.toLowerCase();
  return databaseNames(w).find((n) => n.toLowerCase() === lower);
}

function requireDatabase(w: Warehouse, name: string): string {
  const actual = findDatabase(w, name);
  if (!actual) throw new EngineError('DATABASE_NOT_FOUND', `There is no database named "${name}".`);
  return actual;
}

async function attachedNames(w: Warehouse): Promise<Map<string, { name: string; readOnly: boolean }>> {
  return w.withConnection(async (c) => {
    const reader = await c.runAndReadAll(
      `SELECT path, database_name, readonly FROM duckdb_databases() WHERE NOT internal AND path IS NOT NULL`,
    );
    const map = new Map<string, { name: string; readOnly: boolean }>();
    for (const [p, name, readOnly] of reader.getRows()) {
      map.set(String(p), { name: String(name), readOnly: readOnly === true });
    }
    return map;
  });
}

async function attachedAs(c: DuckDBConnection, file: string): Promise<string | undefined> {
  const reader = await c.runAndReadAll(`SELECT database_name FROM duckdb_databases() WHERE path = $1`, [
    file,
  ]);
  const row = reader.getRows()[0];
  return row ? String(row[0]) : undefined;
}

function databaseInfo(
  w: Warehouse,
  name: string,
  attached: Map<string, { name: string; readOnly: boolean }>,
): DatabaseInfo {
  const file = w.databaseFile(name);
  const entry = attached.get(file);
  const info: DatabaseInfo = {
    name,
    path: file,
    sizeBytes: fileSize(file) + fileSize(`${file}.wal`),
    attached: entry !== undefined,
    readOnly: entry?.readOnly ?? w.readOnly,
    encrypted: isEncryptedDatabaseFile(file),
  };
  const note = w.encryptionNote(name);
  return note === undefined ? info : { ...info, encryptionNote: note };
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function moveFiles(from: string, to: string): void {
  fs.renameSync(from, to);
  moveDatabaseEncryption(from, to);
  if (fs.existsSync(`${from}.wal`)) fs.renameSync(`${from}.wal`, `${to}.wal`);
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // best effort: the caller reports the real error
  }
}

/**
 * Detaches database `name` and waits until no session still uses its file. DETACH returns at once
 * even while another session's open transaction or running query uses the database; the file stays
 * open until that ends, and renaming or deleting it then would let two objects share one file. A
 * probe ATTACH of the same file fails with "Unique file handle conflict" until the release; after a
 * short wait this refuses with DATABASE_IN_USE and re-attaches the database once it is released.
 * Returns the alias to re-attach under if the caller's file operation fails.
 */
async function release(
  w: Warehouse,
  c: DuckDBConnection,
  name: string,
  options: AttachOptions,
): Promise<string | undefined> {
  const file = w.databaseFile(name);
  const attached = await attachedAs(c, file);
  const restoreAs = attached ?? cancelPendingReattach(w, name);
  if (attached !== undefined) await c.run(`DETACH DATABASE ${quoteIdent(attached)}`);
  const probe = `${INTERNAL_PREFIX}probe_${randomUUID().replaceAll('-', '')}`;
  const deadline = Date.now() + RELEASE_WAIT_MS;
  for (;;) {
    try {
      await attachDatabase(w, c, name, probe, options);
      await c.run(`DETACH DATABASE ${quoteIdent(probe)}`);
      return restoreAs;
    } catch (e) {
      // Not a DuckDB file (the space's own SQL may write any file in its folder): nothing holds it.
      if (/is not a valid DuckDB database file/.test(errorMessage(e))) return restoreAs;
      if (!/Unique file handle conflict/i.test(errorMessage(e))) {
        if (restoreAs !== undefined) {
          await attachDatabase(w, c, name, restoreAs, options).catch(() => undefined);
        }
        throw e;
      }
    }
    if (Date.now() >= deadline) {
      if (restoreAs !== undefined) reattachWhenReleased(w, name, restoreAs);
      throw new EngineError(
        'DATABASE_IN_USE',
        `Database "${name}" is in use by an open transaction or a running query in another session. Finish it (COMMIT or ROLLBACK) and try again; "${name}" is back under its name as soon as it is released.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const pendingReattach = new WeakMap<Warehouse, Map<string, { alias: string; stop(): void }>>();

function cancelPendingReattach(w: Warehouse, name: string): string | undefined {
  const pending = pendingReattach.get(w)?.get(name.toLowerCase());
  pending?.stop();
  return pending?.alias;
}

/** Re-attaches a database detached for a refused rename or drop once its last user lets go. */
function reattachWhenReleased(w: Warehouse, name: string, alias: string): void {
  const file = w.databaseFile(name);
  let busy = false;
  const stop = (): void => {
    clearInterval(timer);
    hook.dispose();
    pendingReattach.get(w)?.delete(name.toLowerCase());
  };
  const attempt = async (): Promise<void> => {
    // ATTACH would create a missing file: never attach one that is gone.
    if (w.isClosed || !fs.existsSync(file)) return stop();
    try {
      await w.withConnection((c) => attachDatabase(w, c, name, alias));
      stop();
      w.notifyCatalogChanged({ databases: [alias] });
    } catch (e) {
      // Still held: keep waiting. Anything else (name taken meanwhile): give up quietly.
      if (!/Unique file handle conflict/i.test(errorMessage(e))) stop();
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void exclusive(w, attempt).finally(() => {
      busy = false;
    });
  }, 100);
  timer.unref();
  const hook = w.onClose(() => clearInterval(timer));
  let map = pendingReattach.get(w);
  if (!map) pendingReattach.set(w, (map = new Map()));
  map.set(name.toLowerCase(), { alias, stop });
}
