import * as path from 'node:path';
import { isEncryptedDatabaseFile } from './encryption.js';
import { EngineError, errorMessage } from './errors.js';
import { INTERNAL_PREFIX, quoteQualified } from './names.js';
import type { CatalogChange, Warehouse } from './warehouse.js';

/** An attached database as the catalog shows it. */
export interface CatalogDatabase {
  name: string;
  /** File behind it; null for in-memory databases. */
  path: string | null;
  readOnly: boolean;
  encrypted: boolean;
  /** For the warehouse's own databases: why it is plain or read-only (see `Warehouse.encryptionNote`). */
  encryptionNote?: string;
  comment: string | null;
}

/** A schema of a database. */
export interface CatalogSchema {
  database: string;
  name: string;
  comment: string | null;
}

/** Kind of a catalog object inside a schema. */
export type CatalogObjectKind = 'table' | 'view';

/** A table or view. */
export interface CatalogObject {
  database: string;
  schema: string;
  name: string;
  kind: CatalogObjectKind;
  /** DuckDB's estimate of the row count (exact for tables without pending deletes); null for views. */
  estimatedRows: number | null;
  columnCount: number;
  comment: string | null;
}

/** A column of a table or view. */
export interface CatalogColumn {
  name: string;
  /** DuckDB type as DuckDB writes it, e.g. `DECIMAL(18,3)`. */
  type: string;
  nullable: boolean;
  /** The default expression as SQL text, or null. */
  default: string | null;
  primaryKey: boolean;
}

/** Counts of catalog queries, so tests and benchmarks can see what a change reloaded. */
export interface CatalogStats {
  databaseLoads: number;
  /** Per database (lower-case name): how often its schemas were loaded. */
  schemaLoads: Record<string, number>;
  /** Per database (lower-case name): how often its tables and views were loaded. */
  objectLoads: Record<string, number>;
  /** How many `duckdb_tables()` scans ran (each scans the whole catalog, filtered or not). */
  objectScans: number;
  columnLoads: number;
}

/** What {@link Catalog.dropObject} drops. */
export type DropTarget =
  | { kind: 'schema'; database: string; schema: string }
  | { kind: 'table' | 'view'; database: string; schema: string; name: string };

/** Options for {@link Catalog.dropObject}. */
export interface DropObjectOptions {
  /** Must be true: dropping loses data. */
  confirm?: boolean;
  /** Drop a schema together with everything in it. */
  cascade?: boolean;
}

interface DatabaseEntry {
  schemas?: CatalogSchema[];
  /** Objects by lower-case schema name. */
  objects?: Map<string, CatalogObject[]>;
  /** Columns by lower-case "schema\0name". */
  columns: Map<string, CatalogColumn[]>;
}

type Row = Record<string, unknown>;

/** The catalog attaches a database when something in it is asked for (see resolveDatabase), not all at first. */
const ON_USE = { attachOnUse: true } as const;

/**
 * The warehouse's catalog, loaded one level at a time and cached per database. A change notified
 * through {@link Warehouse.notifyCatalogChanged} drops only the named databases' caches. Listing
 * tables costs a scan of the whole DuckDB catalog whatever the filter, so the first such load fills
 * every database at once and later loads refresh only the databases that changed.
 */
export class Catalog {
  private databaseList?: CatalogDatabase[];
  private readonly entries = new Map<string, DatabaseEntry>();
  /** Bumped per database (and all, through `epoch`) on every change, to drop results of stale loads. */
  private readonly versions = new Map<string, number>();
  private epoch = 0;
  /** Bumped on every change: the database list is stale after any change, not only after 'all'. */
  private listVersion = 0;
  private objectScan?: Promise<void>;
  private readonly listeners = new Set<(change: CatalogChange) => void>();
  private readonly subscription: { dispose(): void };
  private readonly counters: CatalogStats = {
    databaseLoads: 0,
    schemaLoads: {},
    objectLoads: {},
    objectScans: 0,
    columnLoads: 0,
  };

  /** Made by the warehouse; use `warehouse.catalog`. */
  constructor(private readonly warehouse: Warehouse) {
    this.subscription = warehouse.onCatalogChanged((change) => this.invalidate(change));
  }

  /** A copy of the load counters. */
  get stats(): CatalogStats {
    return structuredClone(this.counters);
  }

  /** Subscribes to changes, fired after the cache has dropped what changed. */
  onDidChange(listener: (change: CatalogChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Drops cached levels of the named databases (or all). Called for every warehouse catalog change. */
  invalidate(change: CatalogChange): void {
    this.databaseList = undefined;
    this.listVersion++;
    if (change.databases === 'all') {
      this.entries.clear();
      this.epoch++;
    } else {
      for (const name of change.databases) {
        const key = name.toLowerCase();
        this.entries.delete(key);
        this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
      }
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // a faulty view must not break the others
      }
    }
  }

  /** Drops the whole cache (a manual Refresh). */
  refresh(): void {
    this.invalidate({ databases: 'all' });
  }

  /** The user's databases, without DuckDB's internal ones and the warehouse's own. */
  async databases(): Promise<CatalogDatabase[]> {
    if (this.databaseList) return this.databaseList;
    const version = this.listVersion;
    this.counters.databaseLoads++;
    const rows = await this.query(
      `SELECT database_name, path, readonly, encrypted, comment FROM duckdb_databases() WHERE NOT internal ORDER BY database_name`,
    );
    const list = rows
      .map((r) => ({
        name: String(r.database_name),
        path: r.path === null ? null : String(r.path),
        readOnly: r.readonly === true,
        encrypted: r.encrypted === true,
        comment: r.comment === null ? null : String(r.comment),
      }))
      .filter((d) => !isHiddenDatabase(d.name, d.path))
      .map((d) => {
        const note = this.ownNote(d.path);
        return note === undefined ? d : { ...d, encryptionNote: note };
      });
    // The databases still to be attached on first use are listed from their files, at once.
    const listed = new Set(list.map((d) => d.name.toLowerCase()));
    for (const name of this.warehouse.pendingDatabases) {
      if (listed.has(name.toLowerCase())) continue;
      const file = this.warehouse.databaseFile(name);
      const encrypted = isEncryptedDatabaseFile(file);
      const d: CatalogDatabase = {
        name,
        path: file,
        readOnly: this.warehouse.readOnly || (encrypted && !this.warehouse.encryption.available),
        encrypted,
        comment: null,
      };
      const note = this.warehouse.encryptionNote(name);
      list.push(note === undefined ? d : { ...d, encryptionNote: note });
    }
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // A database created or dropped while this load ran makes its list stale: keep it uncached.
    if (version === this.listVersion) this.databaseList = list;
    return list;
  }

  /** Schemas of database `database` (matched case-insensitively). */
  async schemas(database: string): Promise<CatalogSchema[]> {
    const db = await this.resolveDatabase(database);
    const key = db.toLowerCase();
    const cached = this.entries.get(key)?.schemas;
    if (cached) return cached;
    const stamp = this.stamp(key);
    this.counters.schemaLoads[key] = (this.counters.schemaLoads[key] ?? 0) + 1;
    const rows = await this.query(
      `SELECT schema_name, comment FROM duckdb_schemas() WHERE database_name = $1 ORDER BY schema_name`,
      [db],
    );
    const schemas = rows.map((r) => ({
      database: db,
      name: String(r.schema_name),
      comment: r.comment === null ? null : String(r.comment),
    }));
    if (this.stamp(key) === stamp) this.entry(key).schemas = schemas;
    return schemas;
  }

  /** Tables and views of one schema, sorted by name. */
  async objects(database: string, schema: string): Promise<CatalogObject[]> {
    const db = await this.resolveDatabase(database);
    const key = db.toLowerCase();
    const schemaName = await this.resolveSchema(db, schema);
    for (let attempt = 0; attempt < 5; attempt++) {
      const objects = this.entries.get(key)?.objects;
      if (objects) return objects.get(schemaName.toLowerCase()) ?? [];
      await this.loadObjects(db);
    }
    // Changes kept arriving while loading: answer from a direct load rather than loop.
    return (await this.scanObjects([db])).get(key)?.get(schemaName.toLowerCase()) ?? [];
  }

  /** Columns of a table or view. */
  async columns(database: string, schema: string, name: string): Promise<CatalogColumn[]> {
    const db = await this.resolveDatabase(database);
    const key = db.toLowerCase();
    const columnKey = `${schema.toLowerCase()}\0${name.toLowerCase()}`;
    const cached = this.entries.get(key)?.columns.get(columnKey);
    if (cached) return cached;
    const stamp = this.stamp(key);
    this.counters.columnLoads++;
    let rows: Row[];
    try {
      rows = await this.query(
        // DESCRIBE goes through the parser, so quoted names with dots and quotes resolve; pragma_table_info
        // re-splits its string argument and does not.
        `SELECT * FROM (DESCRIBE ${quoteQualified([db, schema, name])})`,
      );
    } catch (e) {
      if (/Catalog Error|does not exist/i.test(errorMessage(e))) {
        throw new EngineError(
          'NOT_FOUND',
          `There is no table or view ${quoteQualified([db, schema, name])}.`,
          undefined,
          {
            cause: e,
          },
        );
      }
      throw e;
    }
    const columns = rows.map((r) => ({
      name: String(r.column_name),
      type: String(r.column_type),
      nullable: r.null !== 'NO',
      default: r.default === null ? null : String(r.default),
      primaryKey: r.key === 'PRI',
    }));
    if (this.stamp(key) === stamp) this.entry(key).columns.set(columnKey, columns);
    return columns;
  }

  /** Creates schema `schema` in database `database`. */
  async createSchema(database: string, schema: string): Promise<void> {
    this.warehouse.assertWritable('create a schema');
    checkObjectName(schema, 'schema');
    const db = await this.resolveDatabase(database);
    try {
      await this.warehouse.withConnection(
        (c) => c.run(`CREATE SCHEMA ${quoteQualified([db, schema])}`),
        ON_USE,
      );
    } catch (e) {
      if (/already exists/i.test(errorMessage(e))) {
        throw new EngineError(
          'NAME_TAKEN',
          `Schema ${quoteQualified([db, schema])} already exists.`,
          undefined,
          {
            cause: e,
          },
        );
      }
      throw sqlError(e);
    }
    this.warehouse.notifyCatalogChanged({ databases: [db] });
  }

  /** Drops a schema, table or view; needs `{ confirm: true }`, and `cascade` for a non-empty schema. */
  async dropObject(target: DropTarget, options: DropObjectOptions = {}): Promise<void> {
    this.warehouse.assertWritable(`drop a ${target.kind}`);
    const db = await this.resolveDatabase(target.database);
    const parts = target.kind === 'schema' ? [db, target.schema] : [db, target.schema, target.name];
    const qualified = quoteQualified(parts);
    if (options.confirm !== true) {
      throw new EngineError(
        'CONFIRMATION_REQUIRED',
        `Dropping ${target.kind} ${qualified} loses its data; confirm to proceed.`,
      );
    }
    const keyword = target.kind.toUpperCase();
    const cascade = target.kind === 'schema' && options.cascade === true ? ' CASCADE' : '';
    try {
      await this.warehouse.withConnection((c) => c.run(`DROP ${keyword} ${qualified}${cascade}`), ON_USE);
    } catch (e) {
      const message = errorMessage(e);
      if (/does not exist/i.test(message)) {
        throw new EngineError('NOT_FOUND', `There is no ${target.kind} ${qualified}.`, undefined, {
          cause: e,
        });
      }
      if (/Dependency Error|depend on it/i.test(message)) {
        throw new EngineError(
          'SQL_CATALOG',
          `${qualified} cannot be dropped while other objects depend on it${target.kind === 'schema' ? ' (drop it with cascade to drop everything in it)' : ''}: ${message}`,
          undefined,
          { cause: e },
        );
      }
      throw sqlError(e);
    } finally {
      // Even a failed DROP may have been partly applied by another session meanwhile.
      this.warehouse.notifyCatalogChanged({ databases: [db] });
    }
  }

  /** Stops following the warehouse's changes. */
  dispose(): void {
    this.subscription.dispose();
    this.listeners.clear();
  }

  private ownNote(file: string | null): string | undefined {
    if (file === null || path.dirname(file) !== this.warehouse.databasesDir) return undefined;
    return this.warehouse.encryptionNote(path.basename(file, '.duckdb'));
  }

  private async resolveDatabase(name: string): Promise<string> {
    const lower = name.toLowerCase();
    const found = (await this.databases()).find((d) => d.name.toLowerCase() === lower);
    if (!found) throw new EngineError('DATABASE_NOT_FOUND', `There is no database named "${name}".`);
    // Listed from its file until first use: attached now that something in it is asked for. One its key does not
    // open says so (and leaves the list, as a database that cannot be attached always has).
    if (this.warehouse.pendingName(found.name) !== undefined) {
      await this.warehouse.ensureAttached([found.name]);
      const failure = this.warehouse.attachFailure(found.name);
      if (failure) throw failure;
    }
    return found.name;
  }

  private async resolveSchema(db: string, schema: string): Promise<string> {
    const lower = schema.toLowerCase();
    const found = (await this.schemas(db)).find((s) => s.name.toLowerCase() === lower);
    if (!found) throw new EngineError('NOT_FOUND', `There is no schema ${quoteQualified([db, schema])}.`);
    return found.name;
  }

  private entry(key: string): DatabaseEntry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { columns: new Map() };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private stamp(key: string): string {
    return `${this.epoch}:${this.versions.get(key) ?? 0}`;
  }

  /** Loads objects for `db` and, in the same scan, every other database not cached yet. */
  private async loadObjects(db: string): Promise<void> {
    if (this.objectScan) {
      await this.objectScan;
      return;
    }
    const run = async (): Promise<void> => {
      // Databases not attached yet are not in DuckDB's catalog: their objects load once they are attached.
      const databases = (await this.databases())
        .map((d) => d.name)
        .filter((d) => d.toLowerCase() === db.toLowerCase() || this.warehouse.pendingName(d) === undefined);
      const missing = databases.filter((d) => !this.entries.get(d.toLowerCase())?.objects);
      if (!missing.some((d) => d.toLowerCase() === db.toLowerCase())) missing.push(db);
      const stamps = new Map(missing.map((d) => [d.toLowerCase(), this.stamp(d.toLowerCase())]));
      const byDatabase = await this.scanObjects(missing.length === 1 ? missing : undefined);
      for (const d of missing) {
        const key = d.toLowerCase();
        if (this.stamp(key) !== stamps.get(key)) continue;
        this.counters.objectLoads[key] = (this.counters.objectLoads[key] ?? 0) + 1;
        this.entry(key).objects = byDatabase.get(key) ?? new Map();
      }
    };
    this.objectScan = run().finally(() => {
      this.objectScan = undefined;
    });
    await this.objectScan;
  }

  /** One scan of tables and views, of the given databases or (undefined) of all. */
  private async scanObjects(only: string[] | undefined): Promise<Map<string, Map<string, CatalogObject[]>>> {
    this.counters.objectScans++;
    const filter = only ? ' AND database_name = $1' : '';
    const rows = await this.query(
      `SELECT database_name, schema_name, table_name AS name, 'table' AS kind, estimated_size, column_count, comment
         FROM duckdb_tables() WHERE NOT temporary${filter}
       UNION ALL
       SELECT database_name, schema_name, view_name, 'view', NULL, column_count, comment
         FROM duckdb_views() WHERE NOT internal AND NOT temporary${filter}
       ORDER BY name`,
      only ? [only[0]!] : [],
    );
    const result = new Map<string, Map<string, CatalogObject[]>>();
    for (const r of rows) {
      const database = String(r.database_name);
      const schema = String(r.schema_name);
      let schemas = result.get(database.toLowerCase());
      if (!schemas) result.set(database.toLowerCase(), (schemas = new Map()));
      let list = schemas.get(schema.toLowerCase());
      if (!list) schemas.set(schema.toLowerCase(), (list = []));
      list.push({
        database,
        schema,
        name: String(r.name),
        kind: r.kind === 'view' ? 'view' : 'table',
        estimatedRows: r.estimated_size === null ? null : Number(r.estimated_size),
        columnCount: Number(r.column_count),
        comment: r.comment === null ? null : String(r.comment),
      });
    }
    return result;
  }

  private async query(sql: string, params: string[] = []): Promise<Row[]> {
    return this.warehouse.withConnection(async (c) => {
      const reader = await c.runAndReadAll(sql, params.length > 0 ? params : undefined);
      return reader.getRowObjectsJson() as Row[];
    }, ON_USE);
  }
}

function isHiddenDatabase(name: string, path: string | null): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(INTERNAL_PREFIX) || (lower === 'memory' && path === null);
}

/** Schema and table names reach SQL quoted, so any text is safe; refuse only what no one means. */
export function checkObjectName(name: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || name.length > 255 || /[\u0000-\u001f]/.test(name)) {
    throw new EngineError(
      'NAME_INVALID',
      `Invalid ${what} name ${JSON.stringify(name)}: use 1 to 255 characters without control characters.`,
    );
  }
}

function sqlError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  return new EngineError('SQL_ERROR', errorMessage(e), undefined, { cause: e });
}
