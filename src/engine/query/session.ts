import { randomUUID } from 'node:crypto';
import type { EngineSession } from '../api.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBPreparedStatement,
  DuckDBResult,
  DuckDBResultReader,
} from '@duckdb/node-api';
import type { Cell, ResultView } from '../../shared/results.js';
import { duckdb } from '../duckdb.js';
import { EngineError, errorMessage } from '../errors.js';
import { INTERNAL_PREFIX, quoteIdent, quoteString } from '../names.js';
import { columnKind, toCell, typeText } from '../values.js';
import { RESULTS_DB, type Warehouse } from '../warehouse.js';
import { KEPT_DB, KeptResult, ResultStore, type KeptColumn } from './keptResult.js';
import { compareResults, type CompareOptions, type CompareResult } from './compare.js';
import { PinSet, type PinInfo } from './pins.js';
import { identifiers, splitStatements, type StatementRange } from './split.js';
import { sqlError } from './sqlError.js';

/** DuckDB's statement and result types, from `@duckdb/node-api`: read once the native binding is loaded. */
function duckdbEnums(): {
  Statement: ReturnType<typeof duckdb>['StatementType'];
  Result: ReturnType<typeof duckdb>['ResultReturnType'];
  catalogChanging: ReadonlySet<number>;
} {
  const { StatementType: Statement, ResultReturnType: Result } = duckdb();
  return {
    Statement,
    Result,
    catalogChanging: new Set<number>([
      Statement.CREATE,
      Statement.ALTER,
      Statement.DROP,
      Statement.CREATE_FUNC,
      Statement.ATTACH,
      Statement.DETACH,
      Statement.COPY_DATABASE,
      Statement.EXPORT,
    ]),
  };
}
/** A first page slower than this means blocking work (a sort, an aggregate) that a second run would repeat. */
const RERUN_FIRST_PAGE_MS = 1000;
/**
 * Words that make a statement's second run differ from its first (volatile functions) or cost as much
 * again (blocking operators), or whose output order may change between runs.
 */
const NOT_RERUNNABLE = new Set([
  'random',
  'rand',
  'setseed',
  'uuid',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'nextval',
  'currval',
  'join',
  'group',
  'order',
  'distinct',
  'union',
  'intersect',
  'except',
  'over',
  'window',
  'qualify',
  'pivot',
  'unpivot',
  'sample',
  'tablesample',
  'using',
]);

/** Sessions attach what their statements use (Warehouse.attachReferenced), not every database at first. */
const ON_USE = { attachOnUse: true } as const;
/** Databases a statement may attach after failing to bind (each attach is followed by one more bind). */
const MAX_ATTACH_RETRIES = 8;
/** Default rows of a result converted at once. */
export const DEFAULT_PAGE_SIZE = 1000;
/** Default number of results a session keeps before dropping the oldest. */
export const DEFAULT_MAX_RESULTS = 20;
/** Chunks of 2,048 rows per appender flush: 60 make one row group, which DuckDB writes straight to the file. */
const FLUSH_EVERY_CHUNKS = 60;

/** Options for {@link Session.open}. */
export interface SessionOptions {
  /** Database to USE at start (default: the warehouse's default). */
  database?: string;
  /** Schema to USE at start (default: main). */
  schema?: string;
  /** Rows converted for the first page of each result (default 1,000). */
  pageSize?: number;
  /** Kept results before the oldest are dropped (default 20). */
  maxResults?: number;
}

/** Options for {@link Session.run}. */
export interface RunOptions {
  /** Run only the text in [start, end) of the script (a selection); positions stay script-relative. */
  range?: { start: number; end: number };
}

/** Transaction state of a session: open after BEGIN, aborted after a conflict or constraint error. */
export interface TransactionState {
  open: boolean;
  aborted: boolean;
}

/** Where a statement sits in the script and its text. */
export interface StatementInfo {
  index: number;
  range: StatementRange;
  sql: string;
}

/** What became of one statement of a run. */
export type StatementOutcome = StatementInfo &
  (
    | { status: 'rows'; result: KeptResult; elapsedMs: number }
    | { status: 'changes'; changes: number; elapsedMs: number }
    | { status: 'ok'; elapsedMs: number }
    | { status: 'error'; error: EngineError }
    | { status: 'notRun' }
  );

/** All outcomes of a run, the first error if any, and the transaction state afterwards. */
export interface RunResult {
  outcomes: StatementOutcome[];
  error?: EngineError;
  transaction: TransactionState;
}

/** Export file formats, chosen by file extension. */
const EXPORT_FORMATS: Record<string, string> = {
  '.csv': 'FORMAT csv, HEADER true',
  '.parquet': 'FORMAT parquet',
  '.json': 'FORMAT json, ARRAY true',
  '.ndjson': 'FORMAT json',
  '.jsonl': 'FORMAT json',
};

/**
 * A query session: one DuckDB connection (one per worksheet, one per CLI call) with its transaction,
 * current database and kept results. Runs are sequential; `cancel()` interrupts the running one.
 */
export class Session implements EngineSession<KeptResult> {
  private closed = false;
  private executing = false;
  private cancelRequested = false;
  /** True from the call that starts a statement in DuckDB until that call returns. */
  private starting = false;
  private reinterrupt: ReturnType<typeof setInterval> | undefined;
  private keeping: Promise<EngineError | undefined> = Promise.resolve(undefined);
  private keepingActive = false;
  private readonly tx = {
    open: false,
    aborted: false,
    reason: '',
    touched: new Set<string>() as Set<string> | 'all',
  };
  private readonly results = new Map<string, KeptResult>();
  private readonly pins = new PinSet();
  private resultCount = 0;
  private readonly pageSize: number;
  private readonly maxResults: number;

  private constructor(
    private readonly warehouse: Warehouse,
    private readonly connection: DuckDBConnection,
    private readonly store: ResultStore,
    /** Unique id of this session. */
    readonly id: string,
    options: SessionOptions,
  ) {
    this.pageSize = Math.max(1, Math.min(options.pageSize ?? DEFAULT_PAGE_SIZE, 100_000));
    this.maxResults = Math.max(1, options.maxResults ?? DEFAULT_MAX_RESULTS);
  }

  /** Opens a session on the warehouse, optionally USE-ing a database and schema. */
  static async open(warehouse: Warehouse, options: SessionOptions = {}): Promise<Session> {
    // A session attaches the databases each statement names before it runs (see execute()).
    const connection = await warehouse.connect(ON_USE);
    const made: DuckDBConnection[] = [connection];
    try {
      const writer = await warehouse.connect(ON_USE);
      made.push(writer);
      const reader = await warehouse.connect(ON_USE);
      made.push(reader);
      const id = randomUUID().replaceAll('-', '');
      const timeZone = await currentTimeZone(connection);
      const store = await ResultStore.create(
        writer,
        reader,
        warehouse.keptDatabase,
        `s_${id}`,
        { timeZone },
        {
          connect: () => warehouse.connect(ON_USE),
          release: (c) => warehouse.release(c),
        },
      );
      const session = new Session(warehouse, connection, store, id, options);
      const database = options.database ?? (await defaultDatabase(warehouse, connection));
      if (database) await session.use(database, options.schema);
      return session;
    } catch (e) {
      for (const c of made) warehouse.release(c);
      throw e instanceof EngineError
        ? e
        : new EngineError('SQL_ERROR', `Could not open a session: ${errorMessage(e)}`, undefined, {
            cause: e,
          });
    }
  }

  /** Whether a transaction is open and whether an error aborted it (COMMIT will then fail). */
  get transaction(): TransactionState {
    return { open: this.tx.open, aborted: this.tx.aborted };
  }

  /** True while statements run or the last result is still being kept. */
  get busy(): boolean {
    return this.executing || this.keepingActive;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The kept result with `id`; RESULT_NOT_FOUND when dropped or unknown. */
  result(id: string): KeptResult {
    const r = this.results.get(id);
    if (!r)
      throw new EngineError(
        'RESULT_NOT_FOUND',
        `No result ${id} in this session (it may have been dropped to keep at most ${this.maxResults}).`,
      );
    return r;
  }

  /** The session's current database and schema. */
  async current(): Promise<{ database: string; schema: string }> {
    return this.exclusive(async () => {
      const [[database, schema]] = (
        await this.connection.runAndReadAll('SELECT current_database(), current_schema()')
      ).getRows() as [[string, string]];
      return { database, schema };
    });
  }

  /** Makes `database` (and `schema`, default main) the default for unqualified names. */
  async use(database: string, schema?: string): Promise<void> {
    if (database.toLowerCase().startsWith(INTERNAL_PREFIX)) {
      throw new EngineError(
        'INTERNAL_FILE_REFUSED',
        `"${database}" is the warehouse's own database; choose one of yours.`,
      );
    }
    await this.exclusive(async () => {
      await this.warehouse.ensureAttached([database]);
      const target = schema ? `${quoteIdent(database)}.${quoteIdent(schema)}` : quoteIdent(database);
      try {
        await this.connection.run(`USE ${target}`);
      } catch (e) {
        throw new EngineError(
          'DATABASE_NOT_FOUND',
          `Cannot use ${schema ? `${database}.${schema}` : database}: ${errorMessage(e).split('\n')[0]}`,
          undefined,
          { cause: e },
        );
      }
    });
  }

  /** Runs a script (or its selected range) and returns every statement's outcome in order. */
  async run(script: string, options: RunOptions = {}): Promise<RunResult> {
    const outcomes: StatementOutcome[] = [];
    for await (const outcome of this.runIter(script, options)) outcomes.push(outcome);
    const error = outcomes.find(
      (o): o is Extract<StatementOutcome, { status: 'error' }> => o.status === 'error',
    )?.error;
    return { outcomes, ...(error ? { error } : {}), transaction: this.transaction };
  }

  /**
   * Runs a script statement by statement, yielding each outcome as soon as it is known: a rows
   * outcome comes with its first page while DuckDB keeps producing the rest into the kept result.
   * After a failing statement, the later ones are yielded as not run.
   */
  async *runIter(script: string, options: RunOptions = {}): AsyncGenerator<StatementOutcome> {
    this.assertOpen();
    if (typeof script !== 'string') throw new EngineError('INVALID_ARGUMENT', 'The script must be text.');
    if (this.executing)
      throw new EngineError(
        'SESSION_BUSY',
        'This session is already running statements; wait for them or cancel.',
      );
    const { start, end } = options.range ?? { start: 0, end: script.length };
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(end) ||
      start < 0 ||
      end > script.length ||
      start > end
    ) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `The range ${start}–${end} is not inside the script (0–${script.length}).`,
      );
    }
    this.executing = true;
    this.cancelRequested = false;
    try {
      const previous = await this.keeping;
      void previous;
      const ranges = splitStatements(script.slice(start, end)).map((r) => ({
        ...r,
        start: r.start + start,
        end: r.end + start,
        terminatorEnd: r.terminatorEnd + start,
      }));
      let failed = false;
      let index = 0;
      for (const range of ranges) {
        const info = { index: index++, range, sql: range.text };
        if (failed || this.cancelRequested) {
          yield { ...info, status: 'notRun' };
          continue;
        }
        let outcome: StatementOutcome;
        try {
          outcome = await this.execute(info, script);
        } catch (e) {
          failed = true;
          const error =
            e instanceof EngineError && e.position ? e : this.sqlError(e, script, range.text, range.start);
          await this.afterError(error);
          yield { ...info, status: 'error', error };
          continue;
        }
        yield outcome;
        if (outcome.status === 'rows') {
          const keepError = await this.keeping;
          if (keepError) {
            failed = true;
            await this.afterError(keepError);
          }
        }
      }
    } finally {
      this.executing = false;
    }
  }

  /** Stops the running statement (or the keeping of the last result) soon; the session stays usable. */
  cancel(): void {
    if (this.closed || !this.busy) return;
    this.cancelRequested = true;
    this.connection.interrupt();
    // DuckDB drops an interrupt that arrives before its query has started (the native call runs on
    // another thread), so while the statement is still starting, interrupt again until it gives up.
    this.reinterrupt ??= setInterval(() => {
      if (this.cancelRequested && this.starting && !this.closed) {
        this.connection.interrupt();
        return;
      }
      clearInterval(this.reinterrupt);
      this.reinterrupt = undefined;
    }, 20);
    this.reinterrupt.unref?.();
  }

  /**
   * Writes a query's rows, or a kept result seen through `view`, to `file` with DuckDB's COPY (format
   * from the extension: .csv, .parquet, .json, .ndjson/.jsonl). Rows never pass through JS. The file is the
   * user's own choice (a save dialog, a command-line argument), so it may lie outside the folders SQL may use:
   * COPY writes into the space's staging folder and the engine moves the finished file there. Files of the
   * warehouse itself, the key and config folders are refused.
   */
  async export(
    source: string | KeptResult,
    file: string,
    view?: ResultView,
  ): Promise<{ rows: number; file: string }> {
    this.assertOpen();
    const target = path.resolve(file);
    const format = EXPORT_FORMATS[path.extname(target).toLowerCase()];
    if (!format) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `Cannot tell the export format of ${target}: use a .csv, .parquet, .json, .ndjson or .jsonl file.`,
      );
    }
    this.warehouse.fileAccess.assertNotProtected(target, 'export to');
    const fail = (e: unknown): EngineError =>
      e instanceof EngineError
        ? e
        : new EngineError(
            'EXPORT_FAILED',
            `Export to ${target} failed: ${errorMessage(e).split('\n')[0]}`,
            undefined,
            { cause: e },
          );
    if (!isDirectory(path.dirname(target))) {
      throw new EngineError(
        'EXPORT_FAILED',
        `Export to ${target} failed: the folder ${path.dirname(target)} does not exist.`,
      );
    }
    const staged = this.warehouse.stagingFile(path.extname(target));
    const copy = (query: string): string => `COPY (${query}) TO ${quoteString(staged)} (${format})`;
    const deliver = (rows: number): { rows: number; file: string } => {
      try {
        moveFile(staged, target);
      } catch (e) {
        throw fail(e);
      }
      return { rows, file: target };
    };
    try {
      if (typeof source !== 'string') {
        const query = await source.viewQuery(view);
        const rows = await this.store.reads.run(async () => {
          try {
            return (await this.store.reader.run(copy(query))).rowsChanged;
          } catch (e) {
            throw fail(e);
          }
        });
        return deliver(rows);
      }
      const statements = splitStatements(source);
      if (statements.length !== 1)
        throw new EngineError(
          'INVALID_ARGUMENT',
          `Export takes exactly one query (got ${statements.length} statements).`,
        );
      const rows = await this.exclusive(async () => {
        try {
          await this.warehouse.attachReferenced(statements[0]!.text);
          return (await this.connection.run(copy(statements[0]!.text))).rowsChanged;
        } catch (e) {
          const error = this.sqlError(e, source, statements[0]!.text, statements[0]!.start);
          throw error.code === 'SQL_ERROR' ? fail(e) : error;
        }
      });
      return deliver(rows);
    } finally {
      fs.rmSync(staged, { force: true });
    }
  }

  /**
   * Pins a kept result as `name`: it is never dropped to keep the session's bound on results and stays
   * until unpinned or the session closes. Pinning a pinned result renames it.
   */
  async pin(resultId: string, name: string): Promise<PinInfo> {
    this.assertOpen();
    this.result(resultId);
    return this.pins.add(resultId, name);
  }

  /** Unpins a result; it then counts toward the session's bound again (the oldest beyond it is dropped). */
  async unpin(resultId: string): Promise<boolean> {
    const removed = this.pins.delete(resultId);
    if (removed) this.evict();
    return removed;
  }

  /** The session's pinned results, oldest first, with their kept results. */
  async pinned(): Promise<(PinInfo & { result: KeptResult })[]> {
    return this.pins
      .list()
      .flatMap((p) =>
        this.results.has(p.resultId) ? [{ ...p, result: this.results.get(p.resultId)! }] : [],
      );
  }

  /**
   * Compares kept results `a` and `b` in DuckDB (see compare.ts) and keeps the differences as a new
   * result of this session. Runs on a connection of its own, so it never waits for a run.
   */
  async compare(a: string, b: string, options: CompareOptions = {}): Promise<CompareResult> {
    this.assertOpen();
    const ra = this.result(a);
    const rb = this.result(b);
    const name = (r: KeptResult): string => this.pins.get(r.id)?.name ?? r.id.split(':').at(-1)!;
    const compared = await compareResults(ra, rb, options, {
      store: this.store,
      id: `${this.id}:${++this.resultCount}`,
      pageSize: this.pageSize,
      title: `Compare ${name(ra)} with ${name(rb)}`,
    });
    this.remember(compared.result);
    return compared;
  }

  /** Cancels what runs, drops every kept result and closes the session's connections. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.cancel();
    this.closed = true;
    await this.keeping;
    try {
      if (!this.warehouse.isClosed) await this.store.reads.run(() => this.store.drop());
    } catch {
      // the warehouse drops leftover results when it next opens
    } finally {
      for (const r of this.results.values()) void r.release().catch(() => undefined);
      this.results.clear();
      this.pins.clear();
      this.warehouse.release(this.connection);
      this.warehouse.release(this.store.writer);
      this.warehouse.release(this.store.reader);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineError('SESSION_CLOSED', 'This session is closed.');
    this.warehouse.assertOpen();
  }

  /** Runs `fn` on the session's connection when no run or keeping is in progress. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    if (this.executing)
      throw new EngineError('SESSION_BUSY', 'This session is running statements; wait for them or cancel.');
    this.executing = true;
    try {
      await this.keeping;
      return await fn();
    } finally {
      this.executing = false;
    }
  }

  /** A DuckDB error as an EngineError: the sandbox's refusals first (they name the setting or flag to change). */
  private sqlError(e: unknown, script: string, statement: string, statementStart: number): EngineError {
    const w = this.warehouse;
    if (!w.readOnly && w.resultsStorage === 'memory' && /^Out of Memory Error/.test(errorMessage(e))) {
      return new EngineError(
        'ENCRYPTION_UNAVAILABLE',
        `This statement needs more memory than DuckDB may use, and nothing is written to disk in plain files: encryption is required, but ${w.encryption.detail} To let DuckDB keep results and spill to encrypted files, ${w.installHint}, then reopen the warehouse; or narrow the query.`,
        undefined,
        { cause: e },
      );
    }
    return w.fileAccess.refusal(e) ?? sqlError(e, script, statement, statementStart);
  }

  /**
   * The database still to be attached that a bind error says is missing ("Catalog "x" does not exist", "schema
   * "x" does not exist", …), or undefined.
   */
  private missingDatabase(e: unknown): string | undefined {
    const message = errorMessage(e);
    if (!/^(Catalog|Binder) Error: .*(does not exist|not found)/.test(message)) return undefined;
    for (const m of message.matchAll(/"([^"]+)"|with name ([^\s!]+)/g)) {
      const first = (m[1] ?? m[2] ?? '').split('.')[0]!;
      const name = this.warehouse.pendingName(first);
      if (name !== undefined) return name;
    }
    return undefined;
  }

  /** Kept results live in the warehouse's own database: SQL may not name it. */
  private refuseInternalDatabase(sql: string): void {
    const own = new Set([this.store.catalog.toLowerCase(), RESULTS_DB, KEPT_DB]);
    const internal = identifiers(sql).find(
      (id) => id.value.toLowerCase().startsWith(INTERNAL_PREFIX) && own.has(id.value.toLowerCase()),
    );
    if (internal) {
      throw new EngineError(
        'INTERNAL_FILE_REFUSED',
        `Refused: "${internal.value}" is the warehouse's own database of kept results; SQL may not use it.`,
      );
    }
  }

  private async execute(info: StatementInfo, script: string): Promise<StatementOutcome> {
    const { range } = info;
    this.refuseInternalDatabase(range.text);
    await this.warehouse.attachReferenced(range.text);
    let extracted = await this.connection.extractStatements(range.text);
    let last: StatementOutcome = { ...info, status: 'ok', elapsedMs: 0 };
    for (let i = 0; i < extracted.count; i++) {
      const started = Date.now();
      let prepared: DuckDBPreparedStatement;
      for (let attempt = 1; ; attempt++) {
        try {
          prepared = await extracted.prepare(i);
          break;
        } catch (e) {
          // Binding failed, so nothing of this statement ran: when it names a database still to be attached
          // that the lexer did not see (a view over another database, a name built in a string), attach it
          // and bind again. Any other name keeps DuckDB's own error.
          const missing = attempt <= MAX_ATTACH_RETRIES ? this.missingDatabase(e) : undefined;
          if (missing === undefined) throw e;
          await this.warehouse.ensureAttached([missing]);
          // A failed prepare uses up the extracted statement: extract again (nothing before `i` runs again).
          extracted = await this.connection.extractStatements(range.text);
        }
      }
      if (this.cancelRequested) throw interrupted();
      const type: number = prepared.statementType;
      const keyword = /^\s*(\w+)/.exec(range.text)?.[1]?.toUpperCase() ?? '';
      if (
        type === duckdbEnums().Statement.TRANSACTION &&
        (keyword === 'COMMIT' || keyword === 'END') &&
        this.tx.aborted
      ) {
        await this.rollbackAborted();
      }
      last = await this.executePrepared(info, prepared, started, script, extracted.count === 1);
      await this.afterSuccess(type, keyword, range.text);
    }
    return last;
  }

  private async executePrepared(
    info: StatementInfo,
    prepared: DuckDBPreparedStatement,
    started: number,
    script: string,
    single: boolean,
  ): Promise<StatementOutcome> {
    const rerun = single && this.rerunnable(prepared, info.range.text);
    // A re-runnable statement streams its first page and is then kept by DuckDB's own CREATE TABLE AS
    // in the same transaction (one snapshot for both runs): see keep().
    if (rerun) await this.connection.run('BEGIN TRANSACTION');
    let result: DuckDBResult;
    this.starting = true;
    try {
      result = await prepared.stream();
    } catch (e) {
      if (rerun) await this.endOwnTransaction(false);
      throw e;
    } finally {
      this.starting = false;
    }
    const { Result } = duckdbEnums();
    if (result.returnType === Result.QUERY_RESULT) {
      return {
        ...info,
        status: 'rows',
        result: await this.keep(info, result, started, script, rerun ? info.range.text : undefined),
        elapsedMs: Date.now() - started,
      };
    }
    if (rerun) await this.endOwnTransaction(true);
    if (result.returnType === Result.CHANGED_ROWS) {
      return { ...info, status: 'changes', changes: result.rowsChanged, elapsedMs: Date.now() - started };
    }
    return { ...info, status: 'ok', elapsedMs: Date.now() - started };
  }

  /**
   * Whether running the statement a second time gives the same rows in the same order at no extra
   * cost: a plain SELECT outside a user transaction, with no volatile function and no operator whose
   * output order or cost depends on a run (joins, grouping, sorting, set operations, windows,
   * sampling). Views can still hide such operators; keep() compares the first page to catch them.
   */
  private rerunnable(prepared: DuckDBPreparedStatement, sql: string): boolean {
    if (this.tx.open || prepared.statementType !== duckdbEnums().Statement.SELECT) return false;
    // Only query forms that may stand as a subquery (not DESCRIBE, SHOW, SUMMARIZE, PRAGMA, CALL, …).
    if (!/^\s*(\(|select\b|with\b|from\b|values\b|table\b)/i.test(sql)) return false;
    return !identifiers(sql).some((id) => NOT_RERUNNABLE.has(id.value.toLowerCase()));
  }

  /** Ends a transaction the session opened itself around a re-runnable statement. */
  private async endOwnTransaction(commit: boolean): Promise<void> {
    try {
      await this.connection.run(commit ? 'COMMIT' : 'ROLLBACK');
    } catch (e) {
      if (commit) throw e;
    }
  }

  /**
   * Streams the statement's rows on the session's connection and converts the first page. The rest is
   * kept in the background in a table of the results database, one of two ways:
   * - a re-runnable statement (see rerunnable()) whose first page came quickly is run again by DuckDB
   *   as `CREATE TABLE … AS` in the same transaction as the stream (native speed, same snapshot); its
   *   first rows are then compared with the page shown, and the table's rows win if they differ;
   * - any other statement keeps streaming, and every chunk, unconverted, is appended through the
   *   writer connection while the next chunk is fetched.
   * Nothing else may run on the session's connection until keeping ends (a new query would silently
   * end the stream).
   */
  private async keep(
    info: StatementInfo,
    result: DuckDBResult,
    started: number,
    script: string,
    rerunSql: string | undefined,
  ): Promise<KeptResult> {
    const types = result.columnTypes();
    const names = result.columnNames();
    const exportNames = result.deduplicatedColumnNames();
    const columns: KeptColumn[] = types.map((t, i) => ({
      name: names[i]!,
      type: typeText(t),
      kind: columnKind(t),
      duckdbType: t,
      exportName: exportNames[i]!,
    }));
    const table = this.store.nextTable();
    const qualified = this.store.qualified(table);
    const definition = types
      .map((t, i) => `${quoteIdent(`c${i}`)} ${t.typeId === 36 ? 'INTEGER' : t.toString()}`)
      .join(', ');
    const firstPage: Cell[][] = [];
    const pending: DuckDBDataChunk[] = [];
    let ended = false;
    try {
      while (firstPage.length < this.pageSize) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) {
          ended = true;
          break;
        }
        for (const row of chunk.getRows().slice(0, this.pageSize - firstPage.length)) {
          firstPage.push(row.map((v, i) => toCell(v, types[i]!, this.store.cellContext)));
        }
        pending.push(chunk);
      }
    } catch (e) {
      if (rerunSql) await this.endOwnTransaction(false);
      throw e;
    }
    const kept_ = new KeptResult(
      `${this.id}:${++this.resultCount}`,
      info.sql,
      columns,
      firstPage,
      this.store,
      table,
      started,
    );
    this.remember(kept_);
    this.keepingActive = !ended;
    const rerun = !ended && rerunSql !== undefined && Date.now() - started <= RERUN_FIRST_PAGE_MS;
    // The first page is out before the results table exists: creating it (a catalog commit) starts
    // only on the next turn (issue 2: first page at once).
    let startKeeping!: () => void;
    const go = new Promise<void>((resolve) => (startKeeping = resolve));
    let kept = 0;
    /** Creates the table on the writer and appends the chunks fetched so far. */
    const appendPending = async (): Promise<DuckDBAppender> => {
      await this.store.writer.run(`CREATE TABLE ${qualified} (${definition})`);
      const appender = await this.store.writer.createAppender(table, this.store.schema, this.store.catalog);
      for (const chunk of pending) {
        appender.appendDataChunk(chunk);
        kept += chunk.rowCount;
      }
      pending.length = 0;
      appender.flushSync();
      kept_.progress(kept);
      return appender;
    };
    const fail = (e: unknown): EngineError => this.sqlError(e, script, info.range.text, info.range.start);
    if (rerun) {
      const cols = columns.map((_, i) => quoteIdent(`c${i}`)).join(', ');
      const native = go.then(async () => {
        if (this.cancelRequested) throw interrupted();
        // A cancel that lands while DuckDB starts this second statement is repeated too (see cancel()).
        this.starting = true;
        let r: DuckDBResultReader;
        try {
          r = await this.connection.runAndReadAll(
            `CREATE TABLE ${qualified} AS SELECT * FROM (\n${rerunSql}\n) AS mdw_q(${cols})`,
          );
        } finally {
          this.starting = false;
        }
        await this.endOwnTransaction(true);
        return Number(r.getRows()[0]![0]);
      });
      this.keeping = (async (): Promise<EngineError | undefined> => {
        try {
          const rows = await native;
          await kept_.checkFirstPage();
          kept_.progress(rows);
          kept_.end({});
          return undefined;
        } catch (e) {
          await this.endOwnTransaction(false);
          const error = this.cancelRequested ? interrupted() : fail(e);
          try {
            (await appendPending()).closeSync();
          } catch {
            // the first page stays shown; its rows could not be kept
          }
          kept_.end({ cancelled: error.code === 'INTERRUPTED', error });
          return error;
        } finally {
          this.keepingActive = false;
        }
      })();
    } else {
      const firstFlush = go.then(appendPending);
      kept_.waitForTable(firstFlush);
      this.keeping = (async (): Promise<EngineError | undefined> => {
        let appender: DuckDBAppender | undefined;
        let chunks = 0;
        try {
          appender = await firstFlush;
          // Fetch the next chunk (on DuckDB's side) while this one is appended (on ours).
          let next = ended ? undefined : result.fetchChunk();
          while (next) {
            const chunk = await next;
            if (!chunk || chunk.rowCount === 0) break;
            next = result.fetchChunk();
            appender.appendDataChunk(chunk);
            kept += chunk.rowCount;
            if (++chunks % FLUSH_EVERY_CHUNKS === 0) {
              appender.flushSync();
              kept_.progress(kept);
            }
          }
          appender.closeSync();
          kept_.progress(kept);
          if (rerunSql) await this.endOwnTransaction(true);
          const error = this.cancelRequested ? interrupted() : undefined;
          kept_.end({ cancelled: this.cancelRequested });
          return error;
        } catch (e) {
          try {
            appender?.closeSync();
          } catch {
            // the rows appended so far stay readable
          }
          if (rerunSql) await this.endOwnTransaction(false);
          kept_.progress(kept);
          const error = fail(e);
          kept_.end({ cancelled: error.code === 'INTERRUPTED', error });
          return error;
        } finally {
          this.keepingActive = false;
        }
      })();
    }
    // Rows past the first page exist only once DuckDB's CREATE TABLE AS has committed.
    if (rerun) kept_.waitForTable(this.keeping);
    setImmediate(startKeeping);
    return kept_;
  }

  private remember(result: KeptResult): void {
    this.results.set(result.id, result);
    this.evict();
  }

  /** Drops the oldest unpinned results beyond the bound (pinned ones do not count toward it). */
  private evict(): void {
    let unpinned = [...this.results.keys()].filter((id) => !this.pins.has(id));
    while (unpinned.length > this.maxResults) {
      const oldestId = unpinned[0]!;
      const oldest = this.results.get(oldestId)!;
      this.results.delete(oldestId);
      unpinned = unpinned.slice(1);
      void oldest.release().catch(() => undefined);
    }
  }

  private async afterSuccess(type: number, keyword: string, sql: string): Promise<void> {
    const { Statement, catalogChanging } = duckdbEnums();
    if (type === Statement.TRANSACTION) {
      if (keyword === 'BEGIN' || keyword === 'START') {
        this.tx.open = true;
        this.tx.aborted = false;
        this.tx.reason = '';
        this.tx.touched = new Set();
      } else if (['COMMIT', 'END', 'ROLLBACK', 'ABORT'].includes(keyword)) {
        const touched = this.tx.touched;
        this.tx.open = false;
        this.tx.aborted = false;
        this.tx.touched = new Set();
        // Other connections (the Databases view) see the DDL of a transaction only once it ends.
        this.notify(touched);
      }
      return;
    }
    if (type === Statement.SET || type === Statement.VARIABLE_SET) {
      this.store.cellContext.timeZone = await currentTimeZone(this.connection);
    }
    if (catalogChanging.has(type)) {
      const touched =
        type === Statement.ATTACH || type === Statement.DETACH || type === Statement.COPY_DATABASE
          ? 'all'
          : await this.databasesTouched(sql);
      this.notify(touched);
      if (this.tx.open) {
        if (touched === 'all' || this.tx.touched === 'all') this.tx.touched = 'all';
        else for (const d of touched) this.tx.touched.add(d);
      }
    }
  }

  private notify(databases: Set<string> | 'all'): void {
    if (databases !== 'all' && databases.size === 0) return;
    this.warehouse.notifyCatalogChanged({ databases: databases === 'all' ? 'all' : [...databases] });
  }

  /** The current database plus every attached database the statement names as a qualifier. */
  private async databasesTouched(sql: string): Promise<Set<string>> {
    const rows = (
      await this.connection.runAndReadAll(
        'SELECT database_name, database_name = current_database() FROM duckdb_databases()',
      )
    ).getRows();
    const byLower = new Map(rows.map(([name]) => [String(name).toLowerCase(), String(name)]));
    const touched = new Set<string>(
      rows.filter(([, current]) => current === true).map(([name]) => String(name)),
    );
    for (const id of identifiers(sql)) {
      const db = id.qualifies ? byLower.get(id.value.toLowerCase()) : undefined;
      if (db) touched.add(db);
    }
    return touched;
  }

  private async afterError(error: EngineError): Promise<void> {
    if (error.code === 'INTERRUPTED' || !this.tx.open || this.closed) return;
    if (error.code === 'TRANSACTION_ABORTED' && /commit/i.test(error.message)) return;
    try {
      await this.connection.run('SELECT 1');
    } catch (e) {
      if (/transaction is aborted/i.test(errorMessage(e))) {
        this.tx.aborted = true;
        this.tx.reason ||= error.message;
      }
    }
  }

  private async rollbackAborted(): Promise<never> {
    const reason = this.tx.reason;
    const touched = this.tx.touched;
    try {
      await this.connection.run('ROLLBACK');
    } finally {
      this.tx.open = false;
      this.tx.aborted = false;
      this.tx.reason = '';
      this.tx.touched = new Set();
      this.notify(touched);
    }
    throw new EngineError(
      'TRANSACTION_ABORTED',
      `COMMIT failed: the transaction had been aborted by an earlier error${reason ? ` (${reason})` : ''}. None of its changes were saved; the transaction was rolled back.`,
    );
  }
}

/**
 * The user's first database (alphabetically). Without any, the session stays in the results
 * database's `main` schema: a scratch area the warehouse empties when it next opens.
 */
async function defaultDatabase(w: Warehouse, c: DuckDBConnection): Promise<string | undefined> {
  const rows = (
    await c.runAndReadAll(
      `SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name <> current_database() AND database_name NOT ILIKE '${INTERNAL_PREFIX}%' AND database_name NOT IN ('memory', 'system', 'temp') ORDER BY database_name`,
    )
  ).getRows();
  // With the databases still to be attached on first use (Session.use attaches the one chosen).
  const names = [...rows.map(([name]) => String(name)), ...w.pendingDatabases];
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
}

function interrupted(): EngineError {
  return new EngineError('INTERRUPTED', 'Cancelled.');
}

async function currentTimeZone(c: DuckDBConnection): Promise<string> {
  try {
    const [[zone]] = (await c.runAndReadAll("SELECT current_setting('TimeZone')")).getRows() as [[string]];
    return zone;
  } catch {
    return 'UTC';
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Moves a finished file: a rename on the same file system, else a copy and a delete. */
function moveFile(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    fs.copyFileSync(from, to);
    fs.rmSync(from, { force: true });
  }
}
