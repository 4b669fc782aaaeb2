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
