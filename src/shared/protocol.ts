import type { ChartData, ChartImageFormat, ChartSpec } from './chart.js';
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
  /** The points of a chart over the whole kept result (seen through `view`), computed by DuckDB. */
  chart: {
    params: { resultId: string; spec: ChartSpec; view: ResultView };
    result: ChartData;
  };
  /** Saves a drawn chart (PNG as base64, SVG as text) to a file the user picks. */
  saveChart: {
    params: { format: ChartImageFormat; data: string; title: string };
    result: { saved: boolean; target?: string };
  };
}

/** Notifications the host sends to a grid (the Results view's, or the one in a worksheet). */
export interface GridHostNotifications {
  /** Shows a run: a tab per result plus Messages. */
  run: { run: RunInfo };
  /** A kept result grew or finished while shown. */
  summary: { summary: ResultSummary };
}

/** Notifications a grid sends to the host (besides `ready` and `log`, which every webview sends). */
export interface GridWebviewNotifications {
  /** The user picked an error's position in the Messages tab: the host moves the editor's cursor there. */
  reveal: { line: number; column: number };
  /** Pin… on a result (the host asks for a name; a pinned result stays past later runs). */
  pin: { resultId: string };
  /** Compare… on a result (the host asks for the other result and the key columns). */
  compare: { resultId: string };
}

/** The Results view's channel. */
export interface GridProtocol {
  requests: GridRequests;
  toHost: GridWebviewNotifications;
  toWebview: GridHostNotifications;
  hostRequests: Record<never, never>;
}

/** Error carried by a failed response: a stable code and a message fit for the user. */
export interface ProtocolError {
  code: string;
  message: string;
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

/** Requests the worksheet webview sends (besides the grid's), each answered once. */
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

/** Notifications the worksheet webview sends, besides the grid's. */
export interface WorksheetWebviewNotifications {
  /** Local edits based on document `base` (the last version the webview knows). */
  edit: { base: number; changes: TextChange[] };
  /** Run the selection [from, to), or the statement at `from` when empty (`statement`), or everything. */
  execute: { mode: 'statement' | 'all'; from: number; to: number };
  cancelRun: Record<string, never>;
  format: Record<string, never>;
  use: { database: string; schema?: string };
  /** The main selection [from, to) moved (sent unasked, a little after the move). */
  selection: { from: number; to: number };
  /** The chart settings of the result at `position` changed: the host keeps them with the worksheet. */
  chart: { position: number; spec: ChartSpec };
}

/** Notifications the host sends to the worksheet webview, besides the grid's. */
export interface WorksheetHostNotifications {
  /** The document's text and version when the webview (re)starts. */
  init: { text: string; version: number };
  /** Someone else changed the document (undo, another editor, format): changes apply to the last version sent. */
  changed: { version: number; changes: TextChange[] };
  /** The webview's edit became document `version`. */
  ack: { version: number };
  /** The edit was based on an older version; a `changed` for the newer one was sent before this. */
  reject: { version: number };
  /**
   * The document is `text` at `version` after changes from elsewhere raced the webview's edit in flight.
   * `retry`: the edit was not applied and should be sent again (transformed); otherwise it is settled
   * (in `text`, or refused for good).
   */
  reset: { version: number; text: string; retry: boolean };
  runState: { running: boolean; startedAt?: number; elapsedMs?: number };
  session: { session: WorksheetSession };
  markers: { markers: WorksheetMarker[] };
  /** Move the cursor to a 1-based line and column (an error position picked in Messages). */
  select: { line: number; column: number };
  /** The chart settings kept with the worksheet, by result position; sent before the run is shown. */
  charts: { charts: Record<string, ChartSpec> };
}

/** Requests the host sends to the worksheet webview. */
export interface WorksheetHostRequests {
  /**
   * A palette command (Run Statement, Explain) needs the selection: the main selection [from, to) once
   * every earlier edit was sent.
   */
  selection: { params: Record<string, never>; result: { from: number; to: number } };
}

/** The worksheet editor's channel: the grid's messages and the worksheet's, on one connection. */
export interface WorksheetProtocol {
  requests: GridRequests & WorksheetRequests;
  toHost: GridWebviewNotifications & WorksheetWebviewNotifications;
  toWebview: GridHostNotifications & WorksheetHostNotifications;
  hostRequests: WorksheetHostRequests;
}
