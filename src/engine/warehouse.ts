import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdb } from './duckdb.js';
import { EngineError, errorMessage } from './errors.js';
import { INTERNAL_PREFIX, quoteIdent, quoteString } from './names.js';

/** Options for {@link Warehouse.open}. */
export interface WarehouseOptions {
  /** Open every database read-only; works beside other read-only openers of the same folder. */
  readOnly?: boolean;
  /** DuckDB memory limit, e.g. "4GB". Default: DuckDB's (80% of RAM). */
  memoryLimit?: string;
  /** DuckDB worker threads. Default: DuckDB's (one per core). */
  threads?: number;
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

const SPACE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
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

  private constructor(
    /** Absolute path of the warehouse folder. */
    readonly dir: string,
    /** Absolute path of this space's folder inside the warehouse. */
    readonly spaceDir: string,
    readonly options: Readonly<WarehouseOptions>,
    private readonly instance: DuckDBInstance,
  ) {}

  /** Opens (creating if needed) the warehouse in `dir` and attaches the space's databases. */
  static async open(dir: string, options: WarehouseOptions = {}): Promise<Warehouse> {
    const root = path.resolve(dir);
    const space = options.space ?? 'local';
    if (!SPACE_NAME.test(space)) throw new EngineError('INVALID_ARGUMENT', `Invalid space id "${space}".`);
    const spaceDir = path.join(root, 'spaces', space);
    const readOnly = options.readOnly === true;
    Warehouse.prepareFolder(root, spaceDir, readOnly);

    const resultsFile = path.join(spaceDir, 'system', `${RESULTS_DB}.duckdb`);
    if (openSpaces.has(spaceDir)) {
      throw new EngineError('WAREHOUSE_LOCKED', `The warehouse ${root} is already open in this process; close it first.`);
    }
    const config: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      extension_directory: path.join(root, 'extensions'),
      temp_directory: path.join(spaceDir, 'system', 'tmp'),
    };
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    if (options.threads) config.threads = String(options.threads);

    let instance: DuckDBInstance;
    try {
      // Read-only openers keep results in memory: the results file belongs to the writer.
      instance = readOnly
        ? await duckdb().DuckDBInstance.create(':memory:', config)
        : await duckdb().DuckDBInstance.fromCache(resultsFile, config);
    } catch (e) {
      throw Warehouse.openError(e, root);
    }
    const warehouse = new Warehouse(root, spaceDir, { ...options, space }, instance);
    openSpaces.add(spaceDir);
    try {
      await warehouse.discardOldResults();
      await warehouse.attachAll();
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

  /** Folder DuckDB installs and loads extensions from (never the user's home). */
  get extensionsDir(): string {
    return path.join(this.dir, 'extensions');
  }

  get readOnly(): boolean {
    return this.options.readOnly === true;
  }

  get isClosed(): boolean {
    return this.closed;
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
    for (const listener of this.catalogListeners) listener(change);
  }

  /** Path of the file behind database `name` (not checked for existence). */
  databaseFile(name: string): string {
    return path.join(this.databasesDir, `${name}.duckdb`);
  }

  /** Throws WAREHOUSE_CLOSED after {@link close}. */
  assertOpen(): void {
    if (this.closed) throw new EngineError('WAREHOUSE_CLOSED', 'The warehouse is closed.');
  }

  /** Throws WAREHOUSE_READ_ONLY when opened read-only. */
  assertWritable(what: string): void {
    if (this.readOnly) throw new EngineError('WAREHOUSE_READ_ONLY', `Cannot ${what}: the warehouse is open read-only.`);
  }

  /** Closes every connection and releases the instance. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.connections) c.closeSync();
    this.connections.clear();
    try {
      // Detach so that DuckDB checkpoints and releases the file locks even though fromCache keeps the
      // instance object alive in its cache.
      await this.withDetachedAll();
    } finally {
      this.instance.closeSync();
      openSpaces.delete(this.spaceDir);
    }
  }

  private async withDetachedAll(): Promise<void> {
    const c = await this.instance.connect();
    try {
      const reader = await c.runAndReadAll(
        `SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name <> current_database() AND database_name <> 'memory'`,
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
    await this.withConnection(async (c) => {
      for (const file of files.sort()) {
        const name = file.slice(0, -'.duckdb'.length);
        const mode = this.readOnly ? ' (READ_ONLY)' : '';
        await c.run(`ATTACH IF NOT EXISTS ${quoteString(path.join(this.databasesDir, file))} AS ${quoteIdent(name)}${mode}`);
      }
    });
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
      if (typeof format !== 'number' || format > WAREHOUSE_FORMAT) {
        throw new EngineError(
          'WAREHOUSE_INVALID',
          `${root} was written by a newer MicroDataWarehouse (format ${String(format)}); this version reads format ${WAREHOUSE_FORMAT}.`,
        );
      }
    } else if (readOnly) {
      throw new EngineError('WAREHOUSE_INVALID', `${root} is not a warehouse (no warehouse.json); it cannot be created read-only.`);
    } else {
      if (fs.existsSync(root) && fs.readdirSync(root).length > 0) {
        throw new EngineError(
          'WAREHOUSE_INVALID',
          `${root} is not empty and is not a warehouse (no warehouse.json). Choose an empty or new folder.`,
        );
      }
      fs.mkdirSync(root, { recursive: true });
      fs.writeFileSync(marker, JSON.stringify({ format: WAREHOUSE_FORMAT, createdAt: new Date().toISOString() }, null, 2) + '\n');
    }
    if (!readOnly) {
      for (const d of [path.join(root, 'extensions'), path.join(spaceDir, 'databases'), path.join(spaceDir, 'system', 'tmp')]) {
        fs.mkdirSync(d, { recursive: true });
      }
    }
  }

  /** Kept results never outlive the process that made them: drop what an earlier run left behind. */
  private async discardOldResults(): Promise<void> {
    await this.withConnection(async (c) => {
      const reader = await c.runAndReadAll(
        `SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND NOT internal AND schema_name <> 'main'`,
      );
      for (const [schema] of reader.getRows()) {
        await c.run(`DROP SCHEMA IF EXISTS ${quoteIdent(String(schema))} CASCADE`);
      }
      const tables = await c.runAndReadAll(
        `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'`,
      );
      for (const [table] of tables.getRows()) await c.run(`DROP TABLE IF EXISTS main.${quoteIdent(String(table))}`);
    });
  }

  private static openError(e: unknown, root: string): EngineError {
    if (e instanceof EngineError) return e;
    const message = errorMessage(e);
    const lock = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(message);
    if (lock) {
      return new EngineError(
        'WAREHOUSE_LOCKED',
        `The warehouse ${root} is open in another process (${lock[1]}, PID ${lock[2]}). Close it there, or open this one read-only (--read-only) once every other opener is read-only too.`,
        undefined,
        { cause: e },
      );
    }
    return new EngineError('WAREHOUSE_INVALID', `Could not open the warehouse ${root}: ${message}`, undefined, { cause: e });
  }
}
