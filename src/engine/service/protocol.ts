// The warehouse service's protocol: JSON-RPC 2.0 (vscode-jsonrpc) over a local socket. Declared once here;
// the server's handler table is typed over it, so a method without a handler fails to compile.
import type { DatabaseInfo } from '../databases.js';
import type { EncryptionMode, EncryptionStatus } from '../encryption.js';
import type { ImportOptions, ImportResult, ImportTarget } from '../import.js';
import type { CatalogColumn, CatalogDatabase, CatalogObject, CatalogSchema } from '../catalog.js';
import type { HistoryInput } from '../store/history.js';
import type { Cell, ResultPage, ResultSummary, ResultView } from '../../shared/results.js';
import type { SourcePosition } from '../errors.js';
import type { StatementRange } from '../query/split.js';

/** Bumped when a message changes; a client refuses a service of another version (it restarts when idle). */
export const SERVICE_PROTOCOL_VERSION = 1;

/** How a client wants its account's space opened (the first opener's folders and mode win while sessions are open). */
export interface SpaceOptions {
  encryption: EncryptionMode;
  allowedFolders: string[];
  protectedPaths: string[];
  allowHint?: string;
  /** The folder relative file names in SQL resolve against (the command line's current directory). */
  cwd?: string;
}

/** One statement's outcome as it crosses the socket: a kept result is named by its id. */
export type RemoteOutcome = { index: number; sql: string; range: StatementRange } & (
  | { status: 'rows'; result: ResultSummary; firstPage: Cell[][]; elapsedMs: number }
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

/** Requests a client sends; every one but `hello` needs a proven token, every one after `resume` an account. */
export interface ServiceRequests {
  /** First message of a connection: the token from the 0600 file and the warehouse's master key (base64). */
  hello: Req<{ token: string; masterKey: string; version: number }, { pid: number; version: number }>;
  /** Resumes the account of a sign-in session token; later requests act for that account only. */
  resume: Req<{ sessionToken: string; space: SpaceOptions }, { email: string; space: string }>;
  'session.open': Req<{ database?: string }, { session: string }>;
  /** Starts a run and executes its first statement; the others are pulled one at a time (`Session.runIter`). */
  'run.start': Req<
    { session: string; script: string; range?: { start: number; end: number } },
    /** The first statement's outcome comes with the answer (as `run.next` would give it). */
    { run: string; first: { outcome?: RemoteOutcome; done: boolean } }
  >;
  /** The next statement's outcome (cancelling this request cancels the statement), or done. */
  'run.next': Req<{ session: string; run: string }, { outcome?: RemoteOutcome; done: boolean }>;
  /** Stops a run early (the consumer stopped reading); later statements do not run. */
  'run.stop': Req<{ session: string; run: string }, Record<string, never>>;
  'session.cancel': Req<{ session: string }, Record<string, never>>;
  'session.run': Req<
    { session: string; script: string },
    { outcomes: RemoteOutcome[]; transaction: { open: boolean; aborted: boolean } }
  >;
  'session.export': Req<{ session: string; sql: string; file: string }, { rows: number; file: string }>;
  'session.close': Req<{ session: string }, Record<string, never>>;
  'result.wait': Req<{ session: string; result: string }, ResultSummary & { error?: RemoteError }>;
  'result.page': Req<
    { session: string; result: string; offset: number; limit: number; view?: ResultView },
    ResultPage
  >;
  'catalog.databases': Req<Record<string, never>, CatalogDatabase[]>;
  'catalog.schemas': Req<{ database: string }, CatalogSchema[]>;
  'catalog.objects': Req<{ database: string; schema: string }, CatalogObject[]>;
  'catalog.columns': Req<{ database: string; schema: string; name: string }, CatalogColumn[]>;
  'history.add': Req<HistoryInput, Record<string, never>>;
  'db.list': Req<Record<string, never>, { databases: DatabaseInfo[]; encryption: EncryptionStatus }>;
  'db.create': Req<{ name: string }, DatabaseInfo>;
  'db.rename': Req<{ from: string; to: string }, DatabaseInfo>;
  'db.drop': Req<{ name: string }, Record<string, never>>;
  import: Req<{ file: string; target: ImportTarget; options: ImportOptions }, ImportResult>;
  /** Closes the account's space when no client has a session in it, so that another process may open it. */
  'space.release': Req<Record<string, never>, { released: boolean }>;
}

/** Notifications the service sends to the clients of one account. */
export interface ServiceNotifications {
  /** DDL in any client changed these databases (or 'all'). */
  catalogChanged: { databases: string[] | 'all' };
}

export type ServiceMethod = keyof ServiceRequests;
