import type { CompletionResult, HoverResult, SignatureHelpResult, SqlDiagnostic } from './language.js';
import type { ColumnStats, ResultPage, ResultSummary, ResultView } from './results.js';

/** Text formats the grid can copy a selection as. */
export type CopyFormat = 'tsv' | 'csv' | 'json' | 'markdown' | 'insert';

/** File formats a whole result can be exported to (the host shows a save dialog). */
export type ExportFormat = 'csv' | 'parquet' | 'json';

/** One result tab of a run: a kept result the webview pages through. */
export interface RunResult {
  resultId: string;
  /** Tab label, e.g. "Result 2" or the first words of the statement. */
  title: string;
  summary: ResultSummary;
}

/** One line of a run's Messages tab: a statement's outcome, with the error position when it failed. */
export interface RunMessage {
  kind: 'info' | 'error';
  /** The statement's SQL text (possibly shortened by the host). */
  statement: string;
  text: string;
  rows?: number;
  elapsedMs?: number;
  /** 1-based position of an error in the worksheet. */
  line?: number;
  column?: number;
}

/** Everything the webview shows for one run: a tab per result plus the Messages tab. */
export interface RunInfo {
  runId: string;
  results: RunResult[];
  messages: RunMessage[];
}

/** A range of rows [start, end) and the columns picked from them, in view order. */
export interface RowRange {
  start: number;
  end: number;
}

/**
 * Requests the webview sends and what each answers. Sort and filter travel as the `view` of the page
 * and stats requests: the host passes them to the kept result, which sorts and filters in DuckDB.
 */
export interface GridRequests {
  page: {
    params: { resultId: string; offset: number; limit: number; view: ResultView };
    result: ResultPage;
  };
  stats: {
    params: { resultId: string; column: number; view: ResultView };
    result: ColumnStats;
  };
  copy: {
    params: {
      resultId: string;
      view: ResultView;
      rows: RowRange;
      columns: number[];
      format: CopyFormat;
    };
    result: { text: string; rows: number; truncated: boolean };
  };
  export: {
    params: { resultId: string; view: ResultView; format: ExportFormat };
    result: { saved: boolean; target?: string };
  };
}

/** Name of a request method. */
export type GridMethod = keyof GridRequests;

/** A request message: `id` is unique per webview session and gets exactly one response. */
export type GridRequest = {
  [K in GridMethod]: { type: 'request'; id: number; method: K; params: GridRequests[K]['params'] };
}[GridMethod];

/** Messages from the webview to the host. */
export type WebviewMessage =
  | { type: 'ready' }
  | GridRequest
  /** The webview no longer needs the answer (e.g. a page scrolled past); the host may skip the work. */
  | { type: 'cancel'; id: number }
  /** The user picked an error's position in the Messages tab: the host moves the editor's cursor there. */
  | { type: 'reveal'; line: number; column: number };

/** Error carried by a failed response: a stable code and a message fit for the user. */
export interface ProtocolError {
  code: string;
  message: string;
}

/** The single response to a request. `cancelled` responses carry no result. */
export type GridResponse =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; cancelled: boolean; error: ProtocolError };

/** Messages from the host to the webview. */
export type HostMessage =
  | { type: 'run'; run: RunInfo }
  /** A kept result grew or finished while shown. */
  | { type: 'summary'; summary: ResultSummary }
  | GridResponse;

/** Tells a running handler that its answer is no longer wanted. */
export interface CancelToken {
  readonly cancelled: boolean;
}

/** Host-side handler table: one function per request method, so a missing case fails to compile. */
export type GridHandlers = {
  [K in GridMethod]: (
    params: GridRequests[K]['params'],
    token: CancelToken,
  ) => Promise<GridRequests[K]['result']>;
};

/** Narrows an unknown posted value to a webview message (shape check only; params are checked by handlers). */
export function isWebviewMessage(value: unknown): value is WebviewMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; id?: unknown; method?: unknown; params?: unknown };
  switch (m.type) {
    case 'ready':
      return true;
    case 'cancel':
      return typeof m.id === 'number';
    case 'reveal': {
      const r = value as { line?: unknown; column?: unknown };
      return Number.isInteger(r.line) && Number.isInteger(r.column);
    }
    case 'request':
      return (
        typeof m.id === 'number' &&
        typeof m.method === 'string' &&
        typeof m.params === 'object' &&
        m.params !== null
      );
    default:
      return false;
  }
}

/** A replacement of [from, to) by `insert`, in offsets of the text it applies to (`\n` line breaks). */
export interface TextChange {
  from: number;
  to: number;
  insert: string;
}

/** What the worksheet toolbar shows of its session. */
export interface WorksheetSession {
  database: string;
  schema: string;
  transaction: { open: boolean; aborted: boolean };
  /** Databases and the current database's schemas, for the pickers. */
  databases: string[];
  schemas: string[];
}

/** An error marker in the worksheet text. */
export interface WorksheetMarker {
  from: number;
  to: number;
  message: string;
}

/**
 * Where a language request looks: an offset into the document at `version` (the webview asks once
 * its edits are in the document). A request for another version fails with code `STALE`.
 */
export interface DocumentPosition {
  version: number;
  offset: number;
}

/** Requests the worksheet webview sends (besides the grid's), each answered once by `wsResponse`. */
export interface WorksheetRequests {
  /** Schemas of a database, for the schema picker. */
  schemas: { params: { database: string }; result: { schemas: string[] } };
  /** The language service's completion at a position (keywords, functions, catalog names). */
  completion: { params: DocumentPosition; result: CompletionResult | null };
  /** Hover Markdown for the name at a position. */
  hover: { params: DocumentPosition; result: HoverResult | null };
  /** Signature help for the function call around a position. */
  signatureHelp: { params: DocumentPosition; result: SignatureHelpResult | null };
  /** Syntax errors and unknown tables or columns of the document at `version` (parse and bind only). */
  diagnostics: { params: { version: number }; result: { diagnostics: SqlDiagnostic[] } };
}

/** Name of a worksheet request method. */
export type WorksheetMethod = keyof WorksheetRequests;

/** Every worksheet request method (a missing one fails to compile). */
export const WORKSHEET_METHODS: Record<WorksheetMethod, true> = {
  schemas: true,
  completion: true,
  hover: true,
  signatureHelp: true,
  diagnostics: true,
};

/** The host's handlers of worksheet requests, one per method. */
export type WorksheetHandlers = {
  [K in WorksheetMethod]: (params: WorksheetRequests[K]['params']) => Promise<WorksheetRequests[K]['result']>;
};

/** Messages from the worksheet webview to the host, besides the grid's {@link WebviewMessage}s. */
export type WorksheetWebviewMessage =
  /** Local edits based on document `base` (the last version the webview knows). */
  | { type: 'edit'; base: number; changes: TextChange[] }
  /** Run the selection [from, to), or the statement at `from` when empty (`statement`), or everything. */
  | { type: 'execute'; mode: 'statement' | 'all'; from: number; to: number }
  | { type: 'cancelRun' }
  | { type: 'format' }
  | { type: 'use'; database: string; schema?: string }
  /**
   * Answer to `selectionRequest` (its id): the main selection [from, to) once every earlier edit was
   * sent; id 0: the selection moved (sent unasked, a little after the move).
   */
  | { type: 'selection'; id: number; from: number; to: number }
  | {
      [K in WorksheetMethod]: {
        type: 'wsRequest';
        id: number;
        method: K;
        params: WorksheetRequests[K]['params'];
      };
    }[WorksheetMethod];

/** Messages from the host to the worksheet webview, besides the grid's {@link HostMessage}s. */
export type WorksheetHostMessage =
  /** The document's text and version when the webview (re)starts. */
  | { type: 'init'; text: string; version: number }
  /** Someone else changed the document (undo, another editor, format): changes apply to the last version sent. */
  | { type: 'changed'; version: number; changes: TextChange[] }
  /** The webview's edit became document `version`. */
  | { type: 'ack'; version: number }
  /** The edit was based on an older version; a `changed` for the newer one was sent before this. */
  | { type: 'reject'; version: number }
  /**
   * The document is `text` at `version` after changes from elsewhere raced the webview's edit in flight.
   * `retry`: the edit was not applied and should be sent again (transformed); otherwise it is settled
   * (in `text`, or refused for good).
   */
  | { type: 'reset'; version: number; text: string; retry: boolean }
  | { type: 'runState'; running: boolean; startedAt?: number; elapsedMs?: number }
  | { type: 'session'; session: WorksheetSession }
  | { type: 'markers'; markers: WorksheetMarker[] }
  /** Move the cursor to a 1-based line and column (an error position picked in Messages). */
  | { type: 'select'; line: number; column: number }
  /** A palette command (Run Statement, Explain) needs the selection: answered by `selection`. */
  | { type: 'selectionRequest'; id: number }
  | { type: 'wsResponse'; id: number; ok: true; result: unknown }
  | { type: 'wsResponse'; id: number; ok: false; error: ProtocolError };

/** Narrows an unknown posted value to a worksheet message (shape check of the fields the host relies on). */
export function isWorksheetMessage(value: unknown): value is WorksheetWebviewMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  const offset = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0;
  switch (m['type']) {
    case 'edit':
      return (
        Number.isInteger(m['base']) &&
        Array.isArray(m['changes']) &&
        (m['changes'] as unknown[]).every((c) => {
          const t = c as Record<string, unknown> | null;
          return (
            typeof t === 'object' &&
            t !== null &&
            offset(t['from']) &&
            offset(t['to']) &&
            (t['to'] as number) >= (t['from'] as number) &&
            typeof t['insert'] === 'string'
          );
        })
      );
    case 'execute':
      return (m['mode'] === 'statement' || m['mode'] === 'all') && offset(m['from']) && offset(m['to']);
    case 'cancelRun':
    case 'format':
      return true;
    case 'use':
      return (
        typeof m['database'] === 'string' && (m['schema'] === undefined || typeof m['schema'] === 'string')
      );
    case 'selection':
      return Number.isInteger(m['id']) && offset(m['from']) && offset(m['to']);
    case 'wsRequest':
      return (
        Number.isInteger(m['id']) &&
        typeof m['method'] === 'string' &&
        Object.hasOwn(WORKSHEET_METHODS, m['method']) &&
        typeof m['params'] === 'object' &&
        m['params'] !== null
      );
    default:
      return false;
  }
}
