// The one engine interface callers use, with two implementations: in-process (tests, `mdw --no-service`) over
// a Warehouse and an Account, and the warehouse service's client.
import * as path from 'node:path';
import type { CatalogColumn, CatalogDatabase, CatalogObject, CatalogSchema } from '../catalog.js';
import type { DatabaseInfo } from '../databases.js';
import type { EncryptionStatus } from '../encryption.js';
import type { ImportOptions, ImportResult, ImportTarget } from '../import.js';
import type { CatalogChange, Warehouse } from '../warehouse.js';
import { EngineError } from '../errors.js';
import { Session, type RunOptions, type StatementInfo, type TransactionState } from '../query/index.js';
import type { Account } from '../store/account.js';
import type { HistoryInput } from '../store/history.js';
import type { ResultPage, ResultSummary, ResultView } from '../../shared/results.js';
import { ServiceClient, fromRemote, type ServiceClientOptions } from './client.js';
import type { RemoteOutcome, ServiceRequests, SpaceOptions } from './protocol.js';

/** A kept result: its summary, then pages of rows read on demand. */
export interface EngineResult {
  /** Rows kept so far; final after {@link whenComplete}. */
  readonly rowCount: number;
  summary(): ResultSummary;
  /** Resolves when keeping has ended (complete, cancelled or failed). */
  whenComplete(): Promise<void>;
  page(offset: number, limit: number, view?: ResultView): Promise<ResultPage>;
}

/** What became of one statement of a run. */
export type EngineOutcome = StatementInfo &
  (
    | { status: 'rows'; result: EngineResult; elapsedMs: number }
    | { status: 'changes'; changes: number; elapsedMs: number }
    | { status: 'ok'; elapsedMs: number }
    | { status: 'error'; error: EngineError }
    | { status: 'notRun' }
  );

/** One session: a connection with its transaction, current database and kept results. */
export interface EngineSession {
  /**
   * Runs a script (or its `range`) statement by statement, each outcome as soon as it is known; the next
   * statement starts when the next outcome is asked for. After a failing statement the later ones are not run.
   */
  runIter(script: string, options?: RunOptions): AsyncGenerator<EngineOutcome>;
  /** Stops the running statement soon; the session stays usable. */
  cancel(): void;
  /** Runs a script; every statement's outcome in order, the first error, the transaction state after. */
  run(
    script: string,
  ): Promise<{ outcomes: EngineOutcome[]; error?: EngineError; transaction: TransactionState }>;
  /** Writes one query's rows to `file` (format from its extension). */
  export(sql: string, file: string): Promise<{ rows: number; file: string }>;
  close(): Promise<void>;
}

/** Databases > schemas > tables and views > columns. */
export interface EngineCatalog {
  databases(): Promise<CatalogDatabase[]>;
  schemas(database: string): Promise<CatalogSchema[]>;
  objects(database: string, schema: string): Promise<CatalogObject[]>;
  columns(database: string, schema: string, name: string): Promise<CatalogColumn[]>;
}

/** The account's databases: files attached under their names. */
export interface EngineDatabases {
  /** The databases, and the encryption setting and support of the warehouse. */
  list(): Promise<{ databases: DatabaseInfo[]; encryption: EncryptionStatus }>;
  create(name: string): Promise<DatabaseInfo>;
  rename(from: string, to: string): Promise<DatabaseInfo>;
  /** Detaches the database and deletes its file. */
  drop(name: string): Promise<void>;
  /** Imports a CSV, Parquet, JSON or NDJSON file (an absolute path or one relative to this process). */
  importFile(file: string, target: ImportTarget, options?: ImportOptions): Promise<ImportResult>;
}

/** The engine as callers (the CLI, the host) see it, for one signed-in account. */
export interface Engine {
  readonly databases: EngineDatabases;
  /** `in-process` or `service`. */
  readonly kind: 'in-process' | 'service';
  email(): Promise<string>;
  openSession(options?: { database?: string }): Promise<EngineSession>;
  readonly catalog: EngineCatalog;
  addHistory(entry: HistoryInput): Promise<void>;
  /** DDL anywhere (this process or, through the service, any client of the account) changed the catalog. */
  onCatalogChanged(listener: (change: CatalogChange) => void): { dispose(): void };
  /** Closes what this engine opened. */
  close(): Promise<void>;
}

/** The in-process engine: a Warehouse and an Account in this process. */
export class LocalEngine implements Engine {
  readonly kind = 'in-process';
  readonly catalog: EngineCatalog;
  readonly databases: EngineDatabases;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly account: Account,
  ) {
    this.catalog = warehouse.catalog;
    this.databases = {
      list: async () => ({ databases: await warehouse.listDatabases(), encryption: warehouse.encryption }),
      create: (name) => warehouse.createDatabase(name),
      rename: (from, to) => warehouse.renameDatabase(from, to),
      drop: (name) => warehouse.dropDatabase(name, { confirm: true }),
      importFile: (file, target, options) => warehouse.importFile(file, target, options),
    };
  }

  email(): Promise<string> {
    return this.account.email();
  }

  async openSession(options: { database?: string } = {}): Promise<EngineSession> {
    const session = await Session.open(
      this.warehouse,
      options.database ? { database: options.database } : {},
    );
    return {
      runIter: (script, options) => session.runIter(script, options),
      cancel: () => session.cancel(),
      run: (script) => session.run(script),
      export: (sql, file) => session.export(sql, file),
      close: () => session.close(),
    };
  }

  async addHistory(entry: HistoryInput): Promise<void> {
    await this.account.history.add(entry);
  }

  onCatalogChanged(listener: (change: CatalogChange) => void): { dispose(): void } {
    return this.warehouse.onCatalogChanged(listener);
  }

  async close(): Promise<void> {
    // The caller owns the warehouse and the store.
  }
}

/** Options of {@link RemoteEngine.connect}. */
export interface RemoteEngineOptions extends ServiceClientOptions {
  /** The account's sign-in session token. */
  sessionToken: string;
  space: SpaceOptions;
}

/** The warehouse service's client as an engine; a call after the service died starts a new one. */
export class RemoteEngine implements Engine {
  readonly kind = 'service';
  readonly catalog: EngineCatalog;
  readonly databases: EngineDatabases;
  private client: ServiceClient | undefined;
  private connecting: Promise<ServiceClient> | undefined;
  private emailAddress = '';
  private readonly catalogListeners = new Set<(change: CatalogChange) => void>();
  private readonly diedListeners = new Set<() => void>();
  private closed = false;

  private constructor(private readonly options: RemoteEngineOptions) {
    this.catalog = {
      databases: () => this.call('catalog.databases', {}),
      schemas: (database) => this.call('catalog.schemas', { database }),
      objects: (database, schema) => this.call('catalog.objects', { database, schema }),
      columns: (database, schema, name) => this.call('catalog.columns', { database, schema, name }),
    };
    this.databases = {
      list: () => this.call('db.list', {}),
      create: (name) => this.call('db.create', { name }),
      rename: (from, to) => this.call('db.rename', { from, to }),
      drop: async (name) => void (await this.call('db.drop', { name })),
      // File names are this process's: the service's current folder is not the caller's.
      importFile: (file, target, options = {}) =>
        this.call('import', { file: path.resolve(file), target, options }),
    };
  }

  /** Connects to (or starts) the warehouse's service and resumes the account. */
  static async connect(options: RemoteEngineOptions): Promise<RemoteEngine> {
    const engine = new RemoteEngine(options);
    await engine.connection();
    return engine;
  }

  /** The service's process id (of the current connection). */
  get servicePid(): number | undefined {
    return this.client?.pid;
  }

  /** Calls `listener` when the service went away (crash, kill, out of memory); the next call starts a new one. */
  onServiceDied(listener: () => void): { dispose(): void } {
    this.diedListeners.add(listener);
    return { dispose: () => this.diedListeners.delete(listener) };
  }

  /** The live connection, reconnecting (and starting the service) when it is gone. */
  private connection(): Promise<ServiceClient> {
    if (this.closed) return Promise.reject(new EngineError('SERVICE_UNAVAILABLE', 'This client is closed.'));
    if (this.client && !this.client.isClosed) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = await ServiceClient.connect(this.options);
      try {
        const me = await client.request('resume', {
          sessionToken: this.options.sessionToken,
          space: this.options.space,
        });
        this.emailAddress = me.email;
      } catch (e) {
        client.close();
        throw e;
      }
      client.onNotification('catalogChanged', (change) => {
        for (const l of [...this.catalogListeners]) l(change);
      });
      client.onClose((expected) => {
        if (expected) return;
        for (const l of [...this.diedListeners]) l();
      });
      this.client = client;
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async call<M extends keyof ServiceRequests>(
    method: M,
    params: ServiceRequests[M]['params'],
  ): Promise<ServiceRequests[M]['result']> {
    const client = await this.connection();
    return client.request(method, params);
  }

  async email(): Promise<string> {
    await this.connection();
    return this.emailAddress;
  }

  async openSession(options: { database?: string } = {}): Promise<EngineSession> {
    const client = await this.connection();
    const { session } = await client.request(
      'session.open',
      options.database ? { database: options.database } : {},
    );
    // A session lives in one service process: after a restart it is gone (its open transaction rolled back).
    const live = (): ServiceClient => {
      if (client.isClosed) {
        throw new EngineError(
          'SESSION_CLOSED',
          'The warehouse service stopped, and this session with it (an open transaction was rolled back; committed work is kept).',
        );
      }
      return client;
    };
    let closed = false;
    const outcome = (o: RemoteOutcome): EngineOutcome => this.outcome(live, session, o);
    return {
      async *runIter(script, options) {
        const { run, first } = await live().request('run.start', {
          session,
          script,
          ...(options?.range ? { range: options.range } : {}),
        });
        let done = false;
        try {
          let next = first;
          for (;;) {
            if (next.done || !next.outcome) {
              done = true;
              return;
            }
            yield outcome(next.outcome);
            next = await live().request('run.next', { session, run });
          }
        } finally {
          if (!done && !client.isClosed)
            await client.request('run.stop', { session, run }).catch(() => undefined);
        }
      },
      cancel: () => {
        if (!client.isClosed) void client.request('session.cancel', { session }).catch(() => undefined);
      },
      run: async (script) => {
        const r = await live().request('session.run', { session, script });
        const outcomes = r.outcomes.map(outcome);
        const failed = outcomes.find((o) => o.status === 'error');
        return {
          outcomes,
          transaction: r.transaction,
          ...(failed && failed.status === 'error' ? { error: failed.error } : {}),
        };
      },
      export: (sql, file) => live().request('session.export', { session, sql, file: path.resolve(file) }),
      close: async () => {
        if (closed || client.isClosed) return;
        closed = true;
        await client.request('session.close', { session }).catch(() => undefined);
      },
    };
  }

  private outcome(live: () => ServiceClient, session: string, o: RemoteOutcome): EngineOutcome {
    const base = { index: o.index, sql: o.sql, range: o.range };
    switch (o.status) {
      case 'rows': {
        let summary = o.result;
        const id = summary.resultId;
        const firstPage = o.firstPage;
        const result: EngineResult = {
          get rowCount() {
            return summary.rowCount;
          },
          summary: () => summary,
          whenComplete: async () => {
            if (summary.complete) return;
            const { error: _error, ...done } = await live().request('result.wait', { session, result: id });
            summary = done;
          },
          page: async (offset, limit, view) => {
            // Rows of the first page are here already (as KeptResult answers them from memory).
            const plain = (view?.sort?.length ?? 0) === 0 && (view?.filters?.length ?? 0) === 0;
            if (plain && Number.isInteger(offset) && Number.isInteger(limit) && offset >= 0 && limit >= 0) {
              if (offset + limit <= firstPage.length) {
                live();
                const totalRows = Math.max(summary.rowCount, firstPage.length);
                return { resultId: id, offset, rows: firstPage.slice(offset, offset + limit), totalRows };
              }
            }
            return live().request('result.page', {
              session,
              result: id,
              offset,
              limit,
              ...(view ? { view } : {}),
            });
          },
        };
        return { ...base, status: 'rows', result, elapsedMs: o.elapsedMs };
      }
      case 'changes':
        return { ...base, status: 'changes', changes: o.changes, elapsedMs: o.elapsedMs };
      case 'ok':
        return { ...base, status: 'ok', elapsedMs: o.elapsedMs };
      case 'error':
        return { ...base, status: 'error', error: fromRemote(o.error) };
      case 'notRun':
        return { ...base, status: 'notRun' };
    }
  }

  async addHistory(entry: HistoryInput): Promise<void> {
    await this.call('history.add', entry);
  }

  /** Asks the service to close this account's space when no client has a session in it; true when it did. */
  async releaseSpace(): Promise<boolean> {
    return (await this.call('space.release', {})).released;
  }

  onCatalogChanged(listener: (change: CatalogChange) => void): { dispose(): void } {
    this.catalogListeners.add(listener);
    return { dispose: () => this.catalogListeners.delete(listener) };
  }

  /**
   * Closes the connection. With `release`, first asks the service to close this account's space if no other
   * client uses it (so that an in-process opener can open it at once; the service does so anyway soon after).
   */
  async close(options: { release?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    if (options.release && client && !client.isClosed) {
      await client.request('space.release', {}).catch(() => undefined);
    }
    client?.close();
  }
}
