// The engine as its callers (the extension host, the CLI) see it: one interface with two implementations,
// in this process (Session, KeptResult, LocalEngine) and through the warehouse service (RemoteEngine).
import type { ChartData, ChartSpec } from '../shared/chart.js';
import type { ResultColumn, ResultSource, ResultView } from '../shared/results.js';
import type {
  CatalogColumn,
  CatalogDatabase,
  CatalogObject,
  CatalogSchema,
  DropTarget,
  DropObjectOptions,
} from './catalog.js';
import type { DatabaseInfo } from './databases.js';
import type { DemoResult } from './demo.js';
import type { EncryptionStatus } from './encryption.js';
import type { EngineError } from './errors.js';
import type { ImportOptions, ImportResult, ImportTarget } from './import.js';
import type {
  CompletionResult,
  HoverResult,
  LanguageDiagnostic,
  LanguageScope,
  SignatureHelpResult,
} from './language/languageService.js';
import type { CompareCounts, CompareOptions } from './query/compare.js';
import type { PinInfo } from './query/pins.js';
import type { StatementRange } from './query/split.js';
import type { HistoryInput } from './store/history.js';
import type { CatalogChange } from './warehouse.js';

/** A kept result: its summary, then pages, statistics and charts computed by DuckDB on demand. */
export interface EngineResult extends ResultSource {
  /** Stable id within its session. */
  readonly id: string;
  /** The statement that produced it. */
  readonly sql: string;
  /** Columns with the unique names exports and compares use ("a", "a_1", …). */
  readonly columns: readonly (ResultColumn & { exportName: string })[];
  /** Rows kept so far; final once complete. */
  readonly rowCount: number;
  readonly complete: boolean;
  readonly cancelled: boolean;
  readonly error: EngineError | undefined;
  /** Resolves when keeping has ended (complete, cancelled or failed). */
  whenComplete(): Promise<void>;
  chart(spec: ChartSpec, view?: ResultView): Promise<ChartData>;
  /** Drops the kept rows; later reads fail with RESULT_NOT_FOUND. */
  release(): Promise<void>;
}

/** Options of a run. */
export interface EngineRunOptions {
  /** Run only the text in [start, end) of the script (a selection); positions stay script-relative. */
  range?: { start: number; end: number };
}

/** Transaction state of a session: open after BEGIN, aborted after a conflict or constraint error. */
export interface EngineTransaction {
  open: boolean;
  aborted: boolean;
}

/** Where a statement sits in the script and its text. */
export interface EngineStatement {
  index: number;
  range: StatementRange;
  sql: string;
}

/** What became of one statement of a run. */
export type EngineOutcome<R extends EngineResult = EngineResult> = EngineStatement &
  (
    | { status: 'rows'; result: R; elapsedMs: number }
    | { status: 'changes'; changes: number; elapsedMs: number }
    | { status: 'ok'; elapsedMs: number }
    | { status: 'error'; error: EngineError }
    | { status: 'notRun' }
  );

/** All outcomes of a run, the first error if any, and the transaction state afterwards. */
export interface EngineRunResult<R extends EngineResult = EngineResult> {
  outcomes: EngineOutcome<R>[];
  error?: EngineError;
  transaction: EngineTransaction;
}

/** The differences of a compare, kept as a result of the session. */
export interface EngineCompareResult<R extends EngineResult = EngineResult> {
  result: R;
  counts: CompareCounts;
  keys: string[];
}

/** One session: a connection with its transaction, current database and kept results. */
export interface EngineSession<R extends EngineResult = EngineResult> {
  readonly id: string;
  readonly isClosed: boolean;
  /** True while a statement of this session runs. */
  readonly busy: boolean;
  /** The transaction state as last known. */
  readonly transaction: EngineTransaction;
  /** The database and schema unqualified names resolve in. */
  current(): Promise<{ database: string; schema: string }>;
  use(database: string, schema?: string): Promise<void>;
  /**
   * Runs a script (or its `range`) statement by statement, each outcome as soon as it is known; the next
   * statement starts when the next outcome is asked for. After a failing statement the later ones are not run.
   */
  runIter(script: string, options?: EngineRunOptions): AsyncGenerator<EngineOutcome<R>>;
  run(script: string, options?: EngineRunOptions): Promise<EngineRunResult<R>>;
  /** Stops the running statement soon; the session stays usable. */
  cancel(): void;
  /** Writes a query's rows, or a kept result seen through `view`, to `file` (format from its extension). */
  export(source: string | R, file: string, view?: ResultView): Promise<{ rows: number; file: string }>;
  /** A kept result of this session (NOT_FOUND when it was dropped). */
  result(id: string): R;
  pin(resultId: string, name: string): Promise<PinInfo>;
  unpin(resultId: string): Promise<boolean>;
  pinned(): Promise<(PinInfo & { result: R })[]>;
  compare(a: string, b: string, options?: CompareOptions): Promise<EngineCompareResult<R>>;
  /** Cancels what runs, drops every kept result and closes. Idempotent. */
  close(): Promise<void>;
}

/** Databases > schemas > tables and views > columns, with the DDL the tree offers. */
export interface EngineCatalog {
  databases(): Promise<CatalogDatabase[]>;
  schemas(database: string): Promise<CatalogSchema[]>;
  objects(database: string, schema: string): Promise<CatalogObject[]>;
  columns(database: string, schema: string, name: string): Promise<CatalogColumn[]>;
  createSchema(database: string, schema: string): Promise<void>;
  dropObject(target: DropTarget, options?: DropObjectOptions): Promise<void>;
  /** Forgets what is cached (the next reads ask DuckDB). */
  refresh(): void;
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

/** Completion, hover, signature help and diagnostics over the warehouse's catalog. */
export interface EngineLanguage {
  warm(scope?: LanguageScope): Promise<void>;
  complete(text: string, offset: number, scope?: LanguageScope): Promise<CompletionResult>;
  hover(text: string, offset: number, scope?: LanguageScope): Promise<HoverResult | undefined>;
  signatureHelp(text: string, offset: number): Promise<SignatureHelpResult | undefined>;
  diagnose(text: string, scope?: LanguageScope, isCancelled?: () => boolean): Promise<LanguageDiagnostic[]>;
  dispose(): void;
}

/** What the warehouse said when it opened, for the user. */
export interface EngineOpenInfo {
  /** Allowed folders SQL may not use, with why. */
  refusedFolders: { folder: string; reason: string }[];
  /** Files in the databases folder that are not databases of this warehouse. */
  ignoredDatabaseFiles: number;
}

/** The engine as callers (the CLI, the host) see it, for one signed-in account. */
export interface Engine<R extends EngineResult = EngineResult> {
  /** `in-process` or `service`. */
  readonly kind: 'in-process' | 'service';
  readonly databases: EngineDatabases;
  readonly catalog: EngineCatalog;
  readonly isClosed: boolean;
  email(): Promise<string>;
  openSession(options?: { database?: string; pageSize?: number }): Promise<EngineSession<R>>;
  /** The language service (one per engine, loaded on first use). */
  language(): EngineLanguage;
  addHistory(entry: HistoryInput): Promise<void>;
  /** Creates the demo databases and, unless `worksheets` is false, the Getting started worksheets. */
  createDemo(options: { csvFile: string; orderLines?: number; worksheets?: boolean }): Promise<DemoResult>;
  info(): Promise<EngineOpenInfo>;
  /** DDL anywhere (this process or, through the service, any client of the account) changed the catalog. */
  onCatalogChanged(listener: (change: CatalogChange) => void): { dispose(): void };
  /** Closes what this engine opened. */
  close(): Promise<void>;
}
