// The one engine interface callers use (src/engine/api.ts), with two implementations: in-process (tests,
// `mdw --no-service`) over a Warehouse and an Account, and the warehouse service's client.
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type {
  Engine,
  EngineCatalog,
  EngineCompareResult,
  EngineDatabases,
  EngineLanguage,
  EngineOpenInfo,
  EngineOutcome,
  EngineResult,
  EngineRunOptions,
  EngineRunResult,
  EngineSession,
  EngineTransaction,
} from '../api.js';
import { createDemo, type DemoResult } from '../demo.js';
import { EngineError } from '../errors.js';
import { LanguageService } from '../language/languageService.js';
import { Session, type KeptResult } from '../query/index.js';
import type { CompareOptions } from '../query/compare.js';
import type { PinInfo } from '../query/pins.js';
import type { Account } from '../store/account.js';
import type { HistoryInput } from '../store/history.js';
import type { CatalogChange, Warehouse } from '../warehouse.js';
import type { ChartData, ChartSpec } from '../../shared/chart.js';
import type { ColumnStats, ResultPage, ResultSummary, ResultView } from '../../shared/results.js';
import { ServiceClient, fromRemote, type ServiceClientOptions } from './client.js';
import type {
  RemoteOutcome,
  RemoteResult as RemoteResultData,
  RemoteStep,
  ServiceRequests,
  SpaceOptions,
} from './protocol.js';

export type {
  Engine,
  EngineCatalog,
  EngineDatabases,
  EngineOutcome,
  EngineResult,
  EngineSession,
} from '../api.js';

/** The in-process engine: a Warehouse and an Account in this process. */
export class LocalEngine implements Engine<KeptResult> {
  readonly kind = 'in-process';
  readonly catalog: EngineCatalog;
  readonly databases: EngineDatabases;
  private languageService: LanguageService | undefined;

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

  get isClosed(): boolean {
    return this.warehouse.isClosed;
  }

  email(): Promise<string> {
    return this.account.email();
  }

  openSession(options: { database?: string; pageSize?: number } = {}): Promise<Session> {
    return Session.open(this.warehouse, {
      ...(options.database ? { database: options.database } : {}),
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    });
  }

  language(): EngineLanguage {
    this.languageService ??= new LanguageService(this.warehouse);
    return this.languageService;
  }

  createDemo(options: { csvFile: string; orderLines?: number; worksheets?: boolean }): Promise<DemoResult> {
    return createDemo(this.warehouse, {
      csvFile: options.csvFile,
      ...(options.orderLines ? { orderLines: options.orderLines } : {}),
      ...(options.worksheets !== false ? { worksheets: this.account.worksheets } : {}),
    });
  }

  async info(): Promise<EngineOpenInfo> {
    return {
      refusedFolders: this.warehouse.fileAccess.refused.map((r) => ({ folder: r.folder, reason: r.reason })),
      ignoredDatabaseFiles: this.warehouse.ignoredDatabaseFiles.length,
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
    this.languageService?.dispose();
    this.languageService = undefined;
  }
}

/** Options of {@link RemoteEngine.connect}. */
export interface RemoteEngineOptions extends ServiceClientOptions {
  /** The account's sign-in session token. */
  sessionToken: string;
  space: SpaceOptions;
}

/** The warehouse service's client as an engine; a call after the service died starts a new one. */
export class RemoteEngine implements Engine<RemoteResult> {
  readonly kind = 'service';
  readonly catalog: EngineCatalog;
  readonly databases: EngineDatabases;
  private client: ServiceClient | undefined;
  private connecting: Promise<ServiceClient> | undefined;
  private emailAddress = '';
  private readonly catalogListeners = new Set<(change: CatalogChange) => void>();
  private readonly diedListeners = new Set<() => void>();
  private closed = false;
  private languageClient: EngineLanguage | undefined;

  private constructor(private readonly options: RemoteEngineOptions) {
    this.catalog = {
      databases: () => this.call('catalog.databases', {}),
      schemas: (database) => this.call('catalog.schemas', { database }),
      objects: (database, schema) => this.call('catalog.objects', { database, schema }),
      columns: (database, schema, name) => this.call('catalog.columns', { database, schema, name }),
      createSchema: async (database, schema) =>
        void (await this.call('catalog.createSchema', { database, schema })),
      dropObject: async (target, options = {}) =>
        void (await this.call('catalog.dropObject', { target, options })),
      refresh: () => void this.call('catalog.refresh', {}).catch(() => undefined),
    };
    this.databases = {
      list: () => this.call('db.list', {}),
      create: (name) => this.call('db.create', { name }),
      rename: (from, to) => this.call('db.rename', { from, to }),
      drop: async (name) => void (await this.call('db.drop', { name })),
      // File names are this process's: the service's current folder is not the caller's.
      importFile: (file, target, options = {}) => {
        const { signal, ...rest } = options;
        return this.call('import', { file: path.resolve(file), target, options: rest }, signal);
      },
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

  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls `listener` when the service went away (crash, kill, out of memory); the next call starts a new one. */
  onServiceDied(listener: () => void): { dispose(): void } {
    this.diedListeners.add(listener);
    return { dispose: () => this.diedListeners.delete(listener) };
  }

  /** The live connection, reconnecting (and starting the service) when it is gone. */
  connection(): Promise<ServiceClient> {
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
      if (this.closed) {
        client.close();
        throw new EngineError('SERVICE_UNAVAILABLE', 'This client is closed.');
      }
      this.client = client;
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Sends a request on the live connection; an aborted `signal` cancels it. */
  private async call<M extends keyof ServiceRequests>(
    method: M,
    params: ServiceRequests[M]['params'],
    signal?: AbortSignal,
  ): Promise<ServiceRequests[M]['result']> {
    const client = await this.connection();
    return request(client, method, params, signal);
  }

  async email(): Promise<string> {
    await this.connection();
    return this.emailAddress;
  }

  async openSession(options: { database?: string; pageSize?: number } = {}): Promise<RemoteSession> {
    const client = await this.connection();
    const { session } = await client.request('session.open', {
      ...(options.database ? { database: options.database } : {}),
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    });
    return new RemoteSession(client, session);
  }

  language(): EngineLanguage {
    this.languageClient ??= {
      warm: async (scope = {}) => void (await this.call('lang.warm', { scope })),
      complete: (text, offset, scope = {}) => this.call('lang.complete', { text, offset, scope }),
      hover: async (text, offset, scope = {}) =>
        (await this.call('lang.hover', { text, offset, scope })).hover,
      signatureHelp: async (text, offset) => (await this.call('lang.signatureHelp', { text, offset })).help,
      diagnose: async (text, scope = {}, isCancelled = () => false) => {
        // The service stops after the statement in hand once the request is cancelled.
        const abort = new AbortController();
        const poll = setInterval(() => {
          if (isCancelled()) abort.abort();
        }, 50);
        try {
          return await this.call('lang.diagnose', { text, scope }, abort.signal);
        } finally {
          clearInterval(poll);
        }
      },
      dispose: () => undefined,
    };
    return this.languageClient;
  }

  createDemo(options: { csvFile: string; orderLines?: number; worksheets?: boolean }): Promise<DemoResult> {
    return this.call('demo.create', {
      csvFile: path.resolve(options.csvFile),
      ...(options.orderLines ? { orderLines: options.orderLines } : {}),
      worksheets: options.worksheets !== false,
    });
  }

  info(): Promise<EngineOpenInfo> {
    return this.call('space.info', {});
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

/** Sends `method` on `client`; an aborted `signal` cancels the request (the service stops the work). */
async function request<M extends keyof ServiceRequests>(
  client: ServiceClient,
  method: M,
  params: ServiceRequests[M]['params'],
  signal?: AbortSignal,
): Promise<ServiceRequests[M]['result']> {
  if (!signal) return client.request(method, params);
  if (signal.aborted) throw new EngineError('INTERRUPTED', 'Cancelled.');
  const source = new CancellationTokenSource();
  const abort = (): void => source.cancel();
  signal.addEventListener('abort', abort);
  try {
    return await client.request(method, params, source.token);
  } finally {
    signal.removeEventListener('abort', abort);
    source.dispose();
  }
}

/** A session in the warehouse service. It lives in one service process: after a restart it is gone. */
export class RemoteSession implements EngineSession<RemoteResult> {
  private closed = false;
  private running = 0;
  private state: EngineTransaction = { open: false, aborted: false };
  private readonly results = new Map<string, RemoteResult>();
  /** A run.stop on its way (a run the consumer left early); the next run waits for it. */
  private stopping: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ServiceClient,
    readonly id: string,
  ) {}

  get isClosed(): boolean {
    return this.closed || this.client.isClosed;
  }

  get busy(): boolean {
    return this.running > 0;
  }

  get transaction(): EngineTransaction {
    return this.state;
  }

  /** The connection, or SESSION_CLOSED once the service went away (its open transaction rolled back). */
  live(): ServiceClient {
    if (this.client.isClosed) {
      throw new EngineError(
        'SESSION_CLOSED',
        'The warehouse service stopped, and this session with it (an open transaction was rolled back; committed work is kept). Run again to start it.',
      );
    }
    if (this.closed) throw new EngineError('SESSION_CLOSED', 'This session is closed.');
    return this.client;
  }

  private async busyWhile<T>(work: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
    }
  }

  current(): Promise<{ database: string; schema: string }> {
    return this.busyWhile(() => this.live().request('session.current', { session: this.id }));
  }

  async use(database: string, schema?: string): Promise<void> {
    const r = await this.busyWhile(() =>
      this.live().request('session.use', {
        session: this.id,
        database,
        ...(schema !== undefined ? { schema } : {}),
      }),
    );
    this.state = r.transaction;
  }

  async *runIter(
    script: string,
    options: EngineRunOptions = {},
  ): AsyncGenerator<EngineOutcome<RemoteResult>> {
    this.running++;
    let run: string | undefined;
    let done = false;
    try {
      await this.stopping;
      const started = await this.live().request('run.start', {
        session: this.id,
        script,
        ...(options.range ? { range: options.range } : {}),
      });
      run = started.run;
      let next: RemoteStep = started.first;
      for (;;) {
        this.state = next.transaction;
        if (next.done || !next.outcome) {
          done = true;
          return;
        }
        const outcome = this.outcome(next.outcome);
        // Not running while the consumer holds the outcome (as Session.runIter between statements).
        this.running--;
        try {
          yield outcome;
        } finally {
          this.running++;
        }
        next = await this.live().request('run.next', { session: this.id, run });
      }
    } finally {
      this.running--;
      // The consumer stopped reading: the service drops the run. Not waited for here (the caller has what it
      // wanted); the session's next request waits for it.
      if (!done && run !== undefined && !this.client.isClosed) {
        const stop = run;
        this.stopping = this.client.request('run.stop', { session: this.id, run: stop }).then(
          () => undefined,
          () => undefined,
        );
      }
    }
  }

  async run(script: string, options: EngineRunOptions = {}): Promise<EngineRunResult<RemoteResult>> {
    const outcomes: EngineOutcome<RemoteResult>[] = [];
    for await (const o of this.runIter(script, options)) outcomes.push(o);
    const failed = outcomes.find((o) => o.status === 'error');
    return {
      outcomes,
      transaction: this.state,
      ...(failed && failed.status === 'error' ? { error: failed.error } : {}),
    };
  }

  cancel(): void {
    if (!this.client.isClosed)
      void this.client.request('session.cancel', { session: this.id }).catch(() => undefined);
  }

  export(
    source: string | RemoteResult,
    file: string,
    view?: ResultView,
  ): Promise<{ rows: number; file: string }> {
    // File names are this process's: the service's current folder is not the caller's.
    const target = path.resolve(file);
    return this.busyWhile(() =>
      this.live().request(
        'session.export',
        typeof source === 'string'
          ? { session: this.id, sql: source, file: target }
          : { session: this.id, result: source.id, file: target, ...(view ? { view } : {}) },
      ),
    );
  }

  result(id: string): RemoteResult {
    const r = this.results.get(id);
    if (!r || r.isReleased)
      throw new EngineError(
        'RESULT_NOT_FOUND',
        'This result is gone (its session closed or it was dropped); run the query again.',
      );
    return r;
  }

  pin(resultId: string, name: string): Promise<PinInfo> {
    return this.live().request('session.pin', { session: this.id, result: resultId, name });
  }

  async unpin(resultId: string): Promise<boolean> {
    return (await this.live().request('session.unpin', { session: this.id, result: resultId })).removed;
  }

  async pinned(): Promise<(PinInfo & { result: RemoteResult })[]> {
    const pins = await this.live().request('session.pinned', { session: this.id });
    return pins.flatMap((p) => {
      const result = this.results.get(p.resultId);
      return result ? [{ ...p, result }] : [];
    });
  }

  async compare(
    a: string,
    b: string,
    options: CompareOptions = {},
  ): Promise<EngineCompareResult<RemoteResult>> {
    const { signal, keys } = options;
    const r = await request(
      this.live(),
      'session.compare',
      { session: this.id, a, b, ...(keys ? { keys: [...keys] } : {}) },
      signal,
    );
    return { result: this.keep(r.result), counts: r.counts, keys: r.keys };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.results.values()) r.markReleased();
    this.results.clear();
    if (!this.client.isClosed)
      await this.client.request('session.close', { session: this.id }).catch(() => undefined);
  }

  /** A result the service kept, known to this session from now on. */
  private keep(data: RemoteResultData): RemoteResult {
    const result = new RemoteResult(this, data);
    this.results.set(result.id, result);
    return result;
  }

  private outcome(o: RemoteOutcome): EngineOutcome<RemoteResult> {
    const base = { index: o.index, sql: o.sql, range: o.range };
    switch (o.status) {
      case 'rows':
        return { ...base, status: 'rows', result: this.keep(o.result), elapsedMs: o.elapsedMs };
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
}

/** A kept result in the warehouse service: pages, statistics and charts are computed there. */
export class RemoteResult implements EngineResult {
  readonly id: string;
  readonly sql: string;
  readonly columns: EngineResult['columns'];
  private current: ResultSummary;
  private failure: EngineError | undefined;
  private wasCancelled = false;
  private waiting: Promise<void> | undefined;
  private released = false;
  private readonly firstPage: ResultPage['rows'];

  constructor(
    private readonly session: RemoteSession,
    data: RemoteResultData,
  ) {
    this.current = data.summary;
    this.id = data.summary.resultId;
    this.sql = data.sql;
    this.firstPage = data.firstPage;
    this.columns = data.summary.columns.map((c, i) => ({ ...c, exportName: data.exportNames[i] ?? c.name }));
  }

  get rowCount(): number {
    return this.current.rowCount;
  }

  get complete(): boolean {
    return this.current.complete;
  }

  get cancelled(): boolean {
    return this.wasCancelled;
  }

  get error(): EngineError | undefined {
    return this.failure;
  }

  get isReleased(): boolean {
    return this.released;
  }

  markReleased(): void {
    this.released = true;
  }

  summary(): ResultSummary {
    return this.current;
  }

  whenComplete(): Promise<void> {
    if (this.current.complete) return Promise.resolve();
    this.waiting ??= (async () => {
      const { error, cancelled, ...done } = await this.session
        .live()
        .request('result.wait', { session: this.session.id, result: this.id });
      this.current = done;
      this.wasCancelled = cancelled === true;
      if (error) this.failure = fromRemote(error);
    })().finally(() => (this.waiting = undefined));
    return this.waiting;
  }

  async page(offset: number, limit: number, view?: ResultView): Promise<ResultPage> {
    // Rows of the first page are here already (as KeptResult answers them from memory).
    const plain = (view?.sort?.length ?? 0) === 0 && (view?.filters?.length ?? 0) === 0;
    if (plain && Number.isInteger(offset) && Number.isInteger(limit) && offset >= 0 && limit >= 0) {
      if (offset + limit <= this.firstPage.length) {
        this.session.live();
        const totalRows = Math.max(this.current.rowCount, this.firstPage.length);
        return { resultId: this.id, offset, rows: this.firstPage.slice(offset, offset + limit), totalRows };
      }
    }
    const page = await this.session.live().request('result.page', {
      session: this.session.id,
      result: this.id,
      offset,
      limit,
      ...(view ? { view } : {}),
    });
    if (plain && page.totalRows > this.current.rowCount)
      this.current = { ...this.current, rowCount: page.totalRows };
    return page;
  }

  stats(column: number, view?: ResultView): Promise<ColumnStats> {
    return this.session.live().request('result.stats', {
      session: this.session.id,
      result: this.id,
      column,
      ...(view ? { view } : {}),
    });
  }

  chart(spec: ChartSpec, view?: ResultView): Promise<ChartData> {
    return this.session.live().request('result.chart', {
      session: this.session.id,
      result: this.id,
      spec,
      ...(view ? { view } : {}),
    });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (!this.session.isClosed)
      await this.session
        .live()
        .request('result.release', { session: this.session.id, result: this.id })
        .catch(() => undefined);
  }
}
