// The warehouse service's protocol: JSON-RPC 2.0 (vscode-jsonrpc) over a local socket. Declared once here;
// the server's handler table is typed over it, so a method without a handler fails to compile.
import type { DatabaseInfo } from '../databases.js';
import type { EncryptionMode, EncryptionStatus } from '../encryption.js';
import type { ImportOptions, ImportResult, ImportTarget } from '../import.js';
import type { CatalogColumn, CatalogDatabase, CatalogObject, CatalogSchema } from '../catalog.js';
import type { HistoryInput } from '../store/history.js';
import type { ChartData, ChartSpec } from '../../shared/chart.js';
import type { CompletionResult, HoverResult, SignatureHelpResult } from '../../shared/language.js';
import type { Cell, ColumnStats, ResultPage, ResultSummary, ResultView } from '../../shared/results.js';
import type { EngineOpenInfo } from '../api.js';
import type { DropObjectOptions, DropTarget } from '../catalog.js';
import type { DemoResult } from '../demo.js';
import type { LanguageDiagnostic, LanguageScope } from '../language/languageService.js';
import type { CompareCounts } from '../query/compare.js';
import type { PinInfo } from '../query/pins.js';
import type { SourcePosition } from '../errors.js';
import type { StatementRange } from '../query/split.js';

/** Bumped when a message changes; a client refuses a service of another version (it restarts when idle). */
export const SERVICE_PROTOCOL_VERSION = 2;

/** How a client wants its account's space opened (the first opener's folders and mode win while sessions are open). */
export interface SpaceOptions {
  encryption: EncryptionMode;
  allowedFolders: string[];
  protectedPaths: string[];
  allowHint?: string;
  /** The folder relative file names in SQL resolve against (the command line's current directory). */
  cwd?: string;
  /** DuckDB's memory_limit and threads (the first opener's win). */
  memoryLimit?: string;
  threads?: number;
  /** What to tell a user who needs DuckDB's crypto installed. */
  encryptionInstallHint?: string;
}

/** A kept result as it crosses the socket: its summary, the first page, export names of its columns. */
export interface RemoteResult {
  summary: ResultSummary;
  firstPage: Cell[][];
  sql: string;
  exportNames: string[];
}

/** One statement's outcome as it crosses the socket: a kept result is named by its id. */
export type RemoteOutcome = { index: number; sql: string; range: StatementRange } & (
  | { status: 'rows'; result: RemoteResult; elapsedMs: number }
  | { status: 'changes'; changes: number; elapsedMs: number }
  | { status: 'ok'; elapsedMs: number }
  | { status: 'error'; error: RemoteError }
  | { status: 'notRun' }
);

/** An EngineError as data (`data` of a JSON-RPC error, or a statement's outcome). */
export interface RemoteError {
  code: string;
  message: string;
  position?: SourcePosition;
}

type Req<P extends object, R> = { params: P; result: R };

/** A session's transaction state. */
export interface Transaction {
  open: boolean;
  aborted: boolean;
}

/** One step of a run: the next outcome (or done) and the session's transaction state after it. */
export interface RemoteStep {
  outcome?: RemoteOutcome;
  done: boolean;
  transaction: Transaction;
}

/** Requests a client sends; every one but `hello` needs a proven token, every one after `resume` an account. */
export interface ServiceRequests {
  /** First message of a connection: the token from the 0600 file and the warehouse's master key (base64). */
  hello: Req<{ token: string; masterKey: string; version: number }, { pid: number; version: number }>;
  /** Resumes the account of a sign-in session token; later requests act for that account only. */
  resume: Req<{ sessionToken: string; space: SpaceOptions }, { email: string; space: string }>;
  'session.open': Req<{ database?: string; pageSize?: number }, { session: string }>;
  /** Starts a run and executes its first statement; the others are pulled one at a time (`Session.runIter`). */
  'run.start': Req<
    { session: string; script: string; range?: { start: number; end: number } },
    /** The first statement's outcome comes with the answer (as `run.next` would give it). */
    { run: string; first: RemoteStep }
  >;
  /** The next statement's outcome (cancelling this request cancels the statement), or done. */
  'run.next': Req<{ session: string; run: string }, RemoteStep>;
  /** Stops a run early (the consumer stopped reading); later statements do not run. */
  'run.stop': Req<{ session: string; run: string }, Record<string, never>>;
  'session.cancel': Req<{ session: string }, Record<string, never>>;
  /** Exports a query (`sql`) or a kept result (`result`, seen through `view`). */
  'session.export': Req<
    { session: string; sql?: string; result?: string; view?: ResultView; file: string },
    { rows: number; file: string }
  >;
  'session.current': Req<{ session: string }, { database: string; schema: string }>;
  'session.use': Req<{ session: string; database: string; schema?: string }, { transaction: Transaction }>;
  'session.pin': Req<{ session: string; result: string; name: string }, PinInfo>;
  'session.unpin': Req<{ session: string; result: string }, { removed: boolean }>;
  'session.pinned': Req<{ session: string }, PinInfo[]>;
  /** Compares two kept results (cancelling the request stops it); the differences are a new kept result. */
  'session.compare': Req<
    { session: string; a: string; b: string; keys?: string[] },
    { result: RemoteResult; counts: CompareCounts; keys: string[] }
  >;
  'session.close': Req<{ session: string }, Record<string, never>>;
  'result.wait': Req<
    { session: string; result: string },
    ResultSummary & { error?: RemoteError; cancelled?: boolean }
  >;
  'result.page': Req<
    { session: string; result: string; offset: number; limit: number; view?: ResultView },
    ResultPage
  >;
  'result.stats': Req<{ session: string; result: string; column: number; view?: ResultView }, ColumnStats>;
  'result.chart': Req<{ session: string; result: string; spec: ChartSpec; view?: ResultView }, ChartData>;
  'result.release': Req<{ session: string; result: string }, Record<string, never>>;
  'catalog.databases': Req<Record<string, never>, CatalogDatabase[]>;
  'catalog.schemas': Req<{ database: string }, CatalogSchema[]>;
  'catalog.objects': Req<{ database: string; schema: string }, CatalogObject[]>;
  'catalog.columns': Req<{ database: string; schema: string; name: string }, CatalogColumn[]>;
  'catalog.createSchema': Req<{ database: string; schema: string }, Record<string, never>>;
  'catalog.dropObject': Req<{ target: DropTarget; options: DropObjectOptions }, Record<string, never>>;
  'catalog.refresh': Req<Record<string, never>, Record<string, never>>;
  'lang.warm': Req<{ scope: LanguageScope }, Record<string, never>>;
  'lang.complete': Req<{ text: string; offset: number; scope: LanguageScope }, CompletionResult>;
  'lang.hover': Req<{ text: string; offset: number; scope: LanguageScope }, { hover?: HoverResult }>;
  'lang.signatureHelp': Req<{ text: string; offset: number }, { help?: SignatureHelpResult }>;
  /** Cancelling the request stops diagnosing after the statement in hand. */
  'lang.diagnose': Req<{ text: string; scope: LanguageScope }, LanguageDiagnostic[]>;
  'demo.create': Req<{ csvFile: string; orderLines?: number; worksheets: boolean }, DemoResult>;
  'space.info': Req<Record<string, never>, EngineOpenInfo>;
  'history.add': Req<HistoryInput, Record<string, never>>;
  'db.list': Req<Record<string, never>, { databases: DatabaseInfo[]; encryption: EncryptionStatus }>;
  'db.create': Req<{ name: string }, DatabaseInfo>;
  'db.rename': Req<{ from: string; to: string }, DatabaseInfo>;
  'db.drop': Req<{ name: string }, Record<string, never>>;
  /** Cancelling the request stops the import. */
  import: Req<{ file: string; target: ImportTarget; options: Omit<ImportOptions, 'signal'> }, ImportResult>;
  /** Closes the account's space when no client has a session in it, so that another process may open it. */
  'space.release': Req<Record<string, never>, { released: boolean }>;
}

/** Notifications the service sends to the clients of one account. */
export interface ServiceNotifications {
  /** DDL in any client changed these databases (or 'all'). */
  catalogChanged: { databases: string[] | 'all' };
}

export type ServiceMethod = keyof ServiceRequests;
