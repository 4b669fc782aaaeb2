import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Catalog } from './catalog.js';
import {
  attachDatabase,
  createDatabase,
  dropDatabase,
  listDatabases,
  reattachDatabase,
  renameDatabase,
  type DatabaseInfo,
  type DropDatabaseOptions,
} from './databases.js';
import { duckdb } from './duckdb.js';
import {
  DEFAULT_INSTALL_HINT,
  forgetDatabaseEncryption,
  instanceConfig,
  isEncryptedDatabaseFile,
  loadCrypto,
  parseEncryptionMode,
  rememberDatabaseEncryption,
  type CryptoStatus,
  type DatabaseKeyOptions,
  type EncryptionMode,
  type EncryptionStatus,
} from './encryption.js';
import { EngineError, errorMessage } from './errors.js';
import { FileAccess, type FileAccessOptions } from './fileAccess.js';
import { importFile, type ImportOptions, type ImportResult, type ImportTarget } from './import.js';
import { checkDatabaseName, INTERNAL_PREFIX, quoteIdent, quoteString } from './names.js';
import { KEPT_DB } from './query/keptResult.js';

/** Options for {@link Warehouse.open}. */
export interface WarehouseOptions extends DatabaseKeyOptions, FileAccessOptions {
  /**
   * Encryption of user databases (default whenAvailable): `required` refuses to create a database DuckDB cannot
   * encrypt; `whenAvailable` then creates it plain and says so; `off` creates plain ones (encrypted ones still open).
   */
  encryption?: EncryptionMode;
  /** How to enable encryption, for messages (default: the `mdw` command). */
  encryptionInstallHint?: string;
  /** Open every database read-only; works beside other read-only openers of the same folder. */
  readOnly?: boolean;
  /** DuckDB memory limit, e.g. "4GB" or "512MiB". Default: DuckDB's (80% of RAM). */
  memoryLimit?: string;
  /** DuckDB worker threads (a positive integer). Default: DuckDB's (one per core). */
  threads?: number;
  /**
   * IANA time zone for TIMESTAMP WITH TIME ZONE (DuckDB's `TimeZone`). Set before the configuration is
   * locked, after which SQL cannot change it. Default: DuckDB's (the machine's zone).
   */
  timeZone?: string;
  /** The space (an account's own set of databases). Default "local". */
  space?: string;
}

/** What changed in the catalog: the databases touched, or 'all' when unknown. */
export interface CatalogChange {
  databases: string[] | 'all';
}

/** The on-disk format version written to warehouse.json. */
export const WAREHOUSE_FORMAT = 1;
/** Name under which the instance's own database (kept results) is attached. */
export const RESULTS_DB = `${INTERNAL_PREFIX}results`;
/** Name under which the space's results key is kept with its database keys (no user database can be named so). */
export const RESULTS_KEY = RESULTS_DB;
/** Name under which a read-only opener attaches the writer's results file, only to hold a shared lock. */
export const LOCK_DB = `${INTERNAL_PREFIX}lock`;

/**
 * Not exported: only test/support reaches it (through Symbol.for), so no setting or flag can turn on DuckDB's
 * insecure crypto.
 */
const UNSAFE_TEST_CRYPTO = Symbol.for('microdatawarehouse.test.forceMbedtlsUnsafe');
const SPACE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MEMORY_LIMIT = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;
/** Spaces open in this process: a second instance over the same files would lose writes (FACTS). */
const openSpaces = new Set<string>();

/**
 * A warehouse folder and the one DuckDB instance over one space's databases. Every `.duckdb` file in
 * the space's `databases/` folder is attached under its file name, so cross-database SQL works.
 */
export class Warehouse {
  private closed = false;
  private readonly connections = new Set<DuckDBConnection>();
  private readonly catalogListeners = new Set<(change: CatalogChange) => void>();
  private readonly closeHooks = new Set<() => void>();
  private ignored: string[] = [];
  /** True when results are kept in memory only: encryption is required and DuckDB cannot write encrypted files. */
  private resultsInMemory = false;
  private crypto: CryptoStatus = { available: false, detail: 'Encryption support was not checked yet.' };
  /** Databases (lower-case name) that could not be attached at open for want of a working key. */
  private readonly attachFailures = new Map<string, EngineError>();
  /** Lazily loaded, cached tree of databases > schemas > tables and views > columns. */
  readonly catalog: Catalog;

  private constructor(
    /** Absolute path of the warehouse folder. */
    readonly dir: string,
    /** Absolute path of this space's folder inside the warehouse. */
    readonly spaceDir: string,
    readonly options: Readonly<WarehouseOptions>,
    private readonly instance: DuckDBInstance,
    /** Which files the space's SQL may use (DuckDB's own sandbox, set when the warehouse opens). */
    readonly fileAccess: FileAccess,
    /** Where exports are written before the engine moves them to the user's file (an allowed folder). */
    private readonly stagingDir: string,
  ) {
    // Created first so that its cache is invalidated before any other listener hears of a change.
    this.catalog = new Catalog(this);
  }

  /** Opens (creating if needed) the warehouse in `dir` and attaches the space's databases. */
  static async open(dir: string, options: WarehouseOptions = {}): Promise<Warehouse> {
    const root = path.resolve(dir);
    const space = options.space ?? 'local';
    if (!SPACE_NAME.test(space)) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `Invalid space id "${space}": use letters, digits, "_" and "-".`,
      );
    }
    const config = Warehouse.config(root, path.join(root, 'spaces', space), options);
    const encryption = parseEncryptionMode(options.encryption ?? 'whenAvailable');
    const spaceDir = path.join(root, 'spaces', space);
    const readOnly = options.readOnly === true;
    if (openSpaces.has(spaceDir)) {
      throw new EngineError(
        'WAREHOUSE_LOCKED',
        `The warehouse ${root} is already open in this process; close it first.`,
      );
    }
    openSpaces.add(spaceDir);
    let instance: DuckDBInstance;
    let fileAccess: FileAccess;
    let stagingDir: string | undefined;
    try {
      Warehouse.prepareFolder(root, spaceDir, readOnly);
      // A read-only opener may not write in the warehouse (it may be on a read-only mount): it stages elsewhere.
      stagingDir = readOnly
        ? fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-staging-'))
        : path.join(spaceDir, 'system', 'staging');
      fileAccess = FileAccess.create(root, spaceDir, options, readOnly ? [stagingDir] : []);
      // The results database is attached (with its own key when it is encrypted), never the instance's main
      // database: one instance per space in this process (openSpaces), so no second instance shares its files.
      instance = await duckdb().DuckDBInstance.create(':memory:', config);
    } catch (e) {
      openSpaces.delete(spaceDir);
      if (readOnly && stagingDir !== undefined) fs.rmSync(stagingDir, { recursive: true, force: true });
      throw Warehouse.openError(e, root);
    }
    const warehouse = new Warehouse(
      root,
      spaceDir,
      { ...options, space, encryption },
      instance,
      fileAccess,
      stagingDir,
    );
    try {
      await warehouse.prepareEncryption();
      if (readOnly) await warehouse.prepareReadOnly();
      else await warehouse.prepareResults();
      await warehouse.prepareKept();
      await warehouse.attachAll();
      // Last: from here on, no SQL on this instance (the engine's own included) reaches outside the allowed folders.
      await warehouse.withConnection(async (c) => {
        if (options.timeZone !== undefined)
          await c.run(`SET GLOBAL TimeZone = ${quoteString(options.timeZone)}`);
        await fileAccess.lock(c);
      });
    } catch (e) {
      await warehouse.close();
      throw Warehouse.openError(e, root);
    }
    return warehouse;
  }

  /** Folder holding the space's `.duckdb` database files. */
  get databasesDir(): string {
    return path.join(this.spaceDir, 'databases');
  }

  /** A fresh path (not created) in the staging folder, with extension `ext`; the caller removes the file. */
  stagingFile(ext: string): string {
    return path.join(this.stagingDir, `export-${randomUUID()}${ext}`);
  }

  /** Folder DuckDB installs and loads extensions from (never the user's home). */
  get extensionsDir(): string {
    return path.join(this.dir, 'extensions');
  }

  /**
   * How the space's results reach disk. Kept results are always held in the in-memory `mdw_kept` and reach disk
   * only as DuckDB's spill files; `encrypted`: the scratch results file has the space's results key and spill
   * files are encrypted (temp_file_encryption); `plain`: a plain scratch file (spill files plain too unless
   * DuckDB's crypto is loaded); `memory`: encryption is required but unavailable, nothing is written to disk, so
   * a result that does not fit in memory fails. A read-only opener reports `memory`.
   */
  get resultsStorage(): 'encrypted' | 'plain' | 'memory' {
    if (this.readOnly || this.resultsInMemory) return 'memory';
    return isEncryptedDatabaseFile(this.resultsFile) ? 'encrypted' : 'plain';
  }

  /** Name of the attached results database (kept results; never named by user SQL). */
  get resultsDatabase(): string {
    return RESULTS_DB;
  }

  /** Name of the attached in-memory database that holds kept results (never named by user SQL). */
  get keptDatabase(): string {
    return KEPT_DB;
  }

  /** True when opened with `readOnly`: no database, schema or table can be changed. */
  get readOnly(): boolean {
    return this.options.readOnly === true;
  }

  /** The encryption setting, whether DuckDB can write encrypted databases here, and whether keys were given. */
  get encryption(): EncryptionStatus {
    return {
      mode: this.options.encryption ?? 'whenAvailable',
      keys: this.options.databaseKey !== undefined,
      ...this.crypto,
    };
  }

  /** How to enable encryption, as a phrase for messages. */
  get installHint(): string {
    return this.options.encryptionInstallHint ?? DEFAULT_INSTALL_HINT;
  }

  /**
   * What the user should know about database `name`'s encryption, or undefined: its key is missing or wrong (not
   * attached), or it is encrypted but read-only because DuckDB cannot write encrypted files here.
   */
  encryptionNote(name: string): string | undefined {
    const failure = this.attachFailures.get(name.toLowerCase());
    if (failure) return failure.message;
    const encrypted = isEncryptedDatabaseFile(this.databaseFile(name));
    if (encrypted && !this.crypto.available && !this.readOnly) {
      return `"${name}" is encrypted and opened read-only: ${this.crypto.detail} To write to it, ${this.installHint}, then reopen the warehouse.`;
    }
    return undefined;
  }

  /** @internal Records (or with undefined, clears) why database `name` could not be attached. */
  noteAttachFailure(name: string, error: EngineError | undefined): void {
    if (error) this.attachFailures.set(name.toLowerCase(), error);
    else this.attachFailures.delete(name.toLowerCase());
  }

  /** True after {@link close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Files in the databases folder that were not attached (invalid or case-duplicate names). */
  get ignoredDatabaseFiles(): readonly string[] {
    return this.ignored;
  }

  /** Opens a new connection on the instance; it is closed with the warehouse if not before. */
  async connect(): Promise<DuckDBConnection> {
    this.assertOpen();
    const connection = await this.instance.connect();
    this.connections.add(connection);
    return connection;
  }

  /** Closes a connection made by {@link connect}. Idempotent. */
  release(connection: DuckDBConnection): void {
    if (this.connections.delete(connection)) connection.closeSync();
  }

  /** Runs `fn` on a short-lived connection and closes it afterwards. */
  async withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = await this.connect();
    try {
      return await fn(c);
    } finally {
      this.release(c);
    }
  }

  /** Subscribes to catalog changes (DDL run in any session, databases created or dropped). */
  onCatalogChanged(listener: (change: CatalogChange) => void): { dispose(): void } {
    this.catalogListeners.add(listener);
    return { dispose: () => this.catalogListeners.delete(listener) };
  }

  /** Tells subscribers that objects in `change.databases` (or everything) may have changed. */
  notifyCatalogChanged(change: CatalogChange): void {
    for (const listener of [...this.catalogListeners]) {
      try {
        listener(change);
      } catch {
        // One faulty subscriber must not keep the others (or the caller's DDL) from completing.
      }
    }
  }

  /** Path of the file behind database `name` (not checked for existence). */
  databaseFile(name: string): string {
    return path.join(this.databasesDir, `${name}.duckdb`);
  }

  /** Creates an empty database file and attaches it under `name`. */
  createDatabase(name: string): Promise<DatabaseInfo> {
    return createDatabase(this, name);
  }

  /** Attaches an existing database that is not attached (e.g. after its key problem was fixed). */
  attachDatabase(name: string): Promise<DatabaseInfo> {
    return reattachDatabase(this, name);
  }

  /** The space's databases (files in the databases folder) with size and path. */
  listDatabases(): Promise<DatabaseInfo[]> {
    return listDatabases(this);
  }

  /** Renames a database: detach, rename its file, attach under the new name. */
  renameDatabase(oldName: string, newName: string): Promise<DatabaseInfo> {
    return renameDatabase(this, oldName, newName);
  }

  /** Detaches a database and deletes its file; needs `{ confirm: true }`. */
  dropDatabase(name: string, options: DropDatabaseOptions = {}): Promise<void> {
    return dropDatabase(this, name, options);
  }

  /** Imports a CSV, Parquet, JSON or NDJSON file into a new or (with `append`) existing table. */
  importFile(
    file: string,
    target: ImportTarget | string,
    options: ImportOptions = {},
  ): Promise<ImportResult> {
    return importFile(this, file, target, options);
  }

  /** Runs `hook` once when the warehouse closes (used to stop background work). */
  onClose(hook: () => void): { dispose(): void } {
    this.closeHooks.add(hook);
    return { dispose: () => this.closeHooks.delete(hook) };
  }

  /** Throws WAREHOUSE_CLOSED after {@link close}. */
  assertOpen(): void {
    if (this.closed) throw new EngineError('WAREHOUSE_CLOSED', 'The warehouse is closed.');
  }

  /** Throws WAREHOUSE_READ_ONLY when opened read-only. */
  assertWritable(what: string): void {
    this.assertOpen();
    if (this.readOnly) {
      throw new EngineError('WAREHOUSE_READ_ONLY', `Cannot ${what}: the warehouse is open read-only.`);
    }
  }

  /** Closes every connection and releases the instance. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const hook of [...this.closeHooks]) {
      try {
        hook();
      } catch {
        // closing anyway
      }
    }
    this.closeHooks.clear();
    this.catalog.dispose();
    for (const c of this.connections) c.closeSync();
    this.connections.clear();
    try {
      // Detach so that DuckDB checkpoints and releases the file locks before the instance goes.
      await this.withDetachedAll();
    } finally {
      this.instance.closeSync();
      // Files of a closed space may be changed by anyone: read them afresh next time.
      forgetDatabaseEncryption(this.spaceDir, { folder: true });
      openSpaces.delete(this.spaceDir);
      if (this.readOnly) fs.rmSync(this.stagingDir, { recursive: true, force: true });
    }
  }

  private async withDetachedAll(): Promise<void> {
    const c = await this.instance.connect();
    try {
      const reader = await c.runAndReadAll(
        `SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name <> current_database()`,
      );
      for (const [name] of reader.getRows()) {
        await c.run(`DETACH DATABASE IF EXISTS ${quoteIdent(String(name))}`);
      }
    } catch {
      // closing anyway
    } finally {
      c.closeSync();
    }
  }

  private async attachAll(): Promise<void> {
    const files = fs.existsSync(this.databasesDir)
      ? fs.readdirSync(this.databasesDir).filter((f) => f.endsWith('.duckdb'))
      : [];
    const seen = new Set<string>();
    const ignored: string[] = [];
    await this.withConnection(async (c) => {
      for (const file of files.sort()) {
        const name = file.slice(0, -'.duckdb'.length);
        if (!isUsableName(name) || seen.has(name.toLowerCase())) {
          ignored.push(file);
          continue;
        }
        seen.add(name.toLowerCase());
        try {
          await attachDatabase(this, c, name);
          this.attachFailures.delete(name.toLowerCase());
        } catch (e) {
          // One database without a working key, or a file that is not a DuckDB database (the space's own SQL
          // may write any file in its folder), must not keep the others from opening.
          if (/is not a valid DuckDB database file/.test(errorMessage(e))) {
            this.attachFailures.set(
              name.toLowerCase(),
              new EngineError(
                'DATABASE_INVALID',
                `The file of database "${name}" (${this.databaseFile(name)}) is not a DuckDB database; it stays unattached. Move it away or drop the database.`,
                undefined,
                { cause: e },
              ),
            );
            continue;
          }
          if (!(e instanceof EngineError) || (e.code !== 'KEY_MISSING' && e.code !== 'KEY_WRONG')) throw e;
          this.attachFailures.set(name.toLowerCase(), e);
        }
      }
    });
    this.ignored = ignored;
  }

  /**
   * Loads DuckDB's OpenSSL crypto (httpfs) from the warehouse's extension folder, never from the network. With
   * it, spilled temporary files are encrypted too. Without it, DuckDB's built-in crypto can only read.
   */
  private async prepareEncryption(): Promise<void> {
    const unsafe = (this.options as Record<symbol, unknown>)[UNSAFE_TEST_CRYPTO] === true;
    await this.withConnection(async (c) => {
      if (unsafe) {
        // Tests only (no setting or flag reaches this): DuckDB's maintainers call this insecure (weak nonces).
        await c.run(`SET force_mbedtls_unsafe = 'true'`);
        this.crypto = { available: true, detail: 'Test-only insecure crypto (force_mbedtls_unsafe).' };
      } else {
        // A cached DuckDB instance may keep settings from an earlier open in this process.
        await c.run(`SET force_mbedtls_unsafe = 'false'`);
        this.crypto = await loadCrypto(c, this.extensionsDir);
      }
      if (this.crypto.available && this.encryption.mode !== 'off') {
        await c.run('SET temp_file_encryption = true');
      }
    });
  }

  private static config(root: string, spaceDir: string, options: WarehouseOptions): Record<string, string> {
    const config: Record<string, string> = {
      ...instanceConfig(path.join(root, 'extensions')),
      temp_directory: path.join(spaceDir, 'system', 'tmp'),
    };
    if (options.memoryLimit !== undefined) {
      if (!MEMORY_LIMIT.test(options.memoryLimit.trim())) {
        throw new EngineError(
          'INVALID_ARGUMENT',
          `Invalid memory limit "${options.memoryLimit}": use a size such as "512MB", "4GB" or "2GiB".`,
        );
      }
      config.memory_limit = options.memoryLimit.trim();
    }
    if (options.threads !== undefined) {
      if (!Number.isInteger(options.threads) || options.threads < 1 || options.threads > 1024) {
        throw new EngineError(
          'INVALID_ARGUMENT',
          `Invalid thread count ${options.threads}: use a whole number from 1 to 1024.`,
        );
      }
      config.threads = String(options.threads);
    }
    return config;
  }

  private static prepareFolder(root: string, spaceDir: string, readOnly: boolean): void {
    const marker = path.join(root, 'warehouse.json');
    if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) {
      throw new EngineError('WAREHOUSE_INVALID', `${root} is a file, not a warehouse folder.`);
    }
    if (fs.existsSync(marker)) {
      let format: unknown;
      try {
        format = (JSON.parse(fs.readFileSync(marker, 'utf8')) as { format?: unknown }).format;
      } catch (e) {
        throw new EngineError('WAREHOUSE_INVALID', `${marker} is not valid JSON: ${errorMessage(e)}`);
      }
      if (typeof format !== 'number' || !Number.isInteger(format) || format < 1) {
        throw new EngineError(
          'WAREHOUSE_INVALID',
          `${marker} has no valid "format" number; it is not a warehouse.`,
        );
      }
      if (format > WAREHOUSE_FORMAT) {
        throw new EngineError(
          'WAREHOUSE_INVALID',
          `${root} was written by a newer MicroDataWarehouse (format ${format}); this version reads format ${WAREHOUSE_FORMAT}. Update the extension.`,
        );
      }
    } else if (readOnly) {
      throw new EngineError(
        'WAREHOUSE_INVALID',
        `${root} is not a warehouse (no warehouse.json); it cannot be created read-only.`,
      );
    } else {
      createWarehouseFolder(root);
    }
    if (!readOnly) {
      for (const d of [
        path.join(root, 'extensions'),
        path.join(spaceDir, 'databases'),
        path.join(spaceDir, 'system', 'tmp'),
        path.join(spaceDir, 'system', 'staging'),
      ]) {
        fs.mkdirSync(d, { recursive: true });
      }
    }
  }

  /** The file of the space's kept results (written by the writer only). */
  private get resultsFile(): string {
    return path.join(this.spaceDir, 'system', `${RESULTS_DB}.duckdb`);
  }

  /**
   * A read-only opener keeps results in memory and holds a shared lock on the writer's results file, so that it
   * fails while a writer is open and a writer fails while it is open, even in a space without databases.
   */
  private async prepareReadOnly(): Promise<void> {
    const file = this.resultsFile;
    const key = isEncryptedDatabaseFile(file) ? await this.options.databaseKey?.(RESULTS_KEY, false) : '';
    await this.withConnection(async (c) => {
      await c.run(`ATTACH ':memory:' AS ${quoteIdent(RESULTS_DB)}`);
      if (fs.existsSync(file) && key !== undefined) {
        const withKey = key ? `, ENCRYPTION_KEY ${quoteString(key)}` : '';
        await c.run(`ATTACH ${quoteString(file)} AS ${quoteIdent(LOCK_DB)} (READ_ONLY${withKey})`);
      }
    });
  }

  /**
   * Attaches the results database. When DuckDB can write encrypted files (and the warehouse has a key source and
   * encryption is not off), it is encrypted with the space's results key, sealed in the store like a database key;
   * otherwise it is a plain file, unless encryption is `required`: then results stay in memory and DuckDB does
   * not spill (its spill files would be plain too). A results file of the other kind is replaced: kept results
   * never outlive the process that made them. Then what an earlier run left behind is dropped.
   */
  private async prepareResults(): Promise<void> {
    const { mode, available } = this.encryption;
    const source = this.options.databaseKey;
    const encrypt = available && mode !== 'off' && source !== undefined;
    const file = this.resultsFile;
    await this.withConnection(async (c) => {
      if (!encrypt && mode === 'required') {
        this.resultsInMemory = true;
        await c.run(`SET temp_directory = ''`);
        await c.run(`ATTACH ':memory:' AS ${quoteIdent(RESULTS_DB)}`);
        return;
      }
      const key = encrypt ? await source(RESULTS_KEY, true) : undefined;
      const attach = (): Promise<unknown> =>
        c.run(
          `ATTACH ${quoteString(file)} AS ${quoteIdent(RESULTS_DB)}${key === undefined ? '' : ` (ENCRYPTION_KEY ${quoteString(key)})`}`,
        );
      if (fs.existsSync(file) && isEncryptedDatabaseFile(file) !== (key !== undefined))
        removeResultsFile(file);
      try {
        await attach();
      } catch (e) {
        // Another process holds it: WAREHOUSE_LOCKED. Anything else (its key lost or replaced, the file
        // overwritten by the space's own SQL): it holds nothing worth keeping.
        if (/Could not set lock|Conflicting lock/i.test(errorMessage(e))) throw e;
        removeResultsFile(file);
        await attach();
      }
      rememberDatabaseEncryption(file, key !== undefined);
    });
    await this.discardOldResults();
  }

  /**
   * Attaches the in-memory database that holds kept results, before the sandbox is locked. It spills to the
   * space's temp folder under DuckDB's memory limit: encrypted when DuckDB's crypto is loaded (temp_file_encryption,
   * see prepareEncryption), never when encryption is required but unavailable (no temp folder, see prepareResults).
   */
  private async prepareKept(): Promise<void> {
    await this.withConnection((c) => c.run(`ATTACH IF NOT EXISTS ':memory:' AS ${quoteIdent(KEPT_DB)}`));
  }

  /** Kept results never outlive the process that made them: drop what an earlier run left behind. */
  private async discardOldResults(): Promise<void> {
    const db = quoteString(RESULTS_DB);
    await this.withConnection(async (c) => {
      const reader = await c.runAndReadAll(
        `SELECT schema_name FROM duckdb_schemas() WHERE database_name = ${db} AND NOT internal AND schema_name <> 'main'`,
      );
      for (const [schema] of reader.getRows()) {
        await c.run(`DROP SCHEMA IF EXISTS ${quoteIdent(RESULTS_DB)}.${quoteIdent(String(schema))} CASCADE`);
      }
      const tables = await c.runAndReadAll(
        `SELECT table_name FROM duckdb_tables() WHERE database_name = ${db} AND schema_name = 'main'`,
      );
      for (const [table] of tables.getRows()) {
        await c.run(`DROP TABLE IF EXISTS ${quoteIdent(RESULTS_DB)}.main.${quoteIdent(String(table))}`);
      }
    });
  }

  private static openError(e: unknown, root: string): EngineError {
    if (e instanceof EngineError) return e;
    const message = errorMessage(e);
    const lock = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(message);
    if (lock) {
      return new EngineError(
        'WAREHOUSE_LOCKED',
        `The warehouse ${root} is open in another process (${lock[1]}, PID ${lock[2]}). Close it there, or open this one read-only once every other opener is read-only too.`,
        undefined,
        { cause: e },
      );
    }
    return new EngineError(
      'WAREHOUSE_INVALID',
      `Could not open the warehouse ${root}: ${message}`,
      undefined,
      {
        cause: e,
      },
    );
  }
}

function removeResultsFile(file: string): void {
  forgetDatabaseEncryption(file);
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.wal`, { force: true });
}

function isUsableName(name: string): boolean {
  try {
    checkDatabaseName(name);
    return true;
  } catch {
    return false;
  }
}

/** Makes `root` a warehouse (writes warehouse.json) when it is new or empty; a file or a non-empty folder is WAREHOUSE_INVALID. */
export function createWarehouseFolder(root: string): void {
  const marker = path.join(root, 'warehouse.json');
  if (fs.existsSync(marker)) return;
  try {
    if (fs.existsSync(root)) {
      if (!fs.statSync(root).isDirectory()) {
        throw new EngineError('WAREHOUSE_INVALID', `${root} is a file, not a warehouse folder.`);
      }
      if (fs.readdirSync(root).length > 0) {
        throw new EngineError(
          'WAREHOUSE_INVALID',
          `${root} is not empty and is not a warehouse (no warehouse.json). Choose an empty or new folder.`,
        );
      }
    }
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(
      marker,
      JSON.stringify({ format: WAREHOUSE_FORMAT, createdAt: new Date().toISOString() }, null, 2) + '\n',
    );
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(
      'WAREHOUSE_INVALID',
      `Could not create the warehouse ${root}: ${errorMessage(e)}`,
      undefined,
      { cause: e },
    );
  }
}
