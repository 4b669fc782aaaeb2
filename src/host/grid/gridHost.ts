// Kept free of `vscode` so the webview tests can drive it from plain Node over a real result.
import { errorLogText } from '../../engine/errors.js';
import { formatRows } from '../../shared/cellFormat.js';
import {
  isWebviewMessage,
  type CancelToken,
  type ExportFormat,
  type GridHandlers,
  type GridRequest,
  type GridRequests,
  type HostMessage,
  type RunInfo,
  type RunMessage,
} from '../../shared/protocol.js';
import type { Cell, ResultSource, ResultView } from '../../shared/results.js';

export interface GridRunEntry {
  title: string;
  source: ResultSource;
}

export interface GridRun {
  /** Stable id of the run, so the webview restores its tab and view state when shown again. */
  id?: string;
  results: GridRunEntry[];
  messages: RunMessage[];
}

export interface GridHostOptions {
  post(message: HostMessage): void;
  /** Writes the whole result (through `view`) to a file the user picks; absent means export is unsupported. */
  exportResult?(
    source: ResultSource,
    format: ExportFormat,
    view: ResultView,
  ): Promise<{ saved: boolean; target?: string }>;
  /** Moves the cursor of the run's editor to a 1-based line and column (an error's position). */
  reveal?(line: number, column: number): void;
  /** Most rows one copy request formats (the clipboard is not a file). */
  maxCopyRows?: number;
  /** Page requests run at once; the rest wait in a queue where cancels drop them. */
  pageConcurrency?: number;
  log?(line: string): void;
}

class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_PAGE_ROWS = 10_000;
const COPY_CHUNK = 5_000;

interface Pending {
  request: GridRequest;
  token: { cancelled: boolean };
}

export class GridHost {
  private ready = false;
  private run: GridRun | undefined;
  private runCounter = 0;
  private readonly sources = new Map<string, ResultSource>();
  private readonly tokens = new Map<number, { cancelled: boolean }>();
  private readonly pageQueue: Pending[] = [];
  private pagesRunning = 0;
  private disposed = false;
  private readonly handlers: GridHandlers;

  constructor(private readonly options: GridHostOptions) {
    this.handlers = {
      page: (p, token) => this.page(p, token),
      stats: (p) => this.source(p.resultId).stats(this.column(p.resultId, p.column), p.view ?? {}),
      copy: (p, token) => this.copy(p, token),
      export: (p) => this.export(p),
    };
  }

  /** Shows a run's results and messages; posted at once if the webview is ready, else on `ready`. */
  showRun(run: GridRun): void {
    this.run = run;
    this.sources.clear();
    for (const entry of run.results) this.sources.set(entry.source.summary().resultId, entry.source);
    if (this.ready) this.postRun();
  }

  /** Tells the webview that a shown result grew or completed. */
  refreshSummary(resultId: string): void {
    const source = this.sources.get(resultId);
    if (source && this.ready) this.post({ type: 'summary', summary: source.summary() });
  }

  /** Entry point for everything the webview posts. Never throws. */
  handle(message: unknown): void {
    if (this.disposed) return;
    if (!isWebviewMessage(message)) {
      this.options.log?.('grid: ignored a malformed message');
      return;
    }
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.run) this.postRun();
        return;
      case 'cancel':
        this.cancel(message.id);
        return;
      case 'request':
        this.request(message);
        return;
      case 'reveal':
        this.options.reveal?.(message.line, message.column);
        return;
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const token of this.tokens.values()) token.cancelled = true;
    this.pageQueue.length = 0;
  }

  private postRun(): void {
    const run = this.run!;
    const info: RunInfo = {
      runId: run.id ?? `run-${++this.runCounter}`,
      results: run.results.map((e) => {
        const summary = e.source.summary();
        return { resultId: summary.resultId, title: e.title, summary };
      }),
      messages: run.messages,
    };
    this.post({ type: 'run', run: info });
  }

  private post(message: HostMessage): void {
    if (!this.disposed) this.options.post(message);
  }

  private request(request: GridRequest): void {
    if (!Object.hasOwn(this.handlers, request.method)) {
      this.post({
        type: 'response',
        id: request.id,
        ok: false,
        cancelled: false,
        error: { code: 'UNKNOWN_REQUEST', message: `Unknown request "${String(request.method)}".` },
      });
      return;
    }
    const token = { cancelled: false };
    this.tokens.set(request.id, token);
    if (request.method === 'page') {
      this.pageQueue.push({ request, token });
      this.pumpPages();
    } else {
      void this.execute({ request, token });
    }
  }

  private cancel(id: number): void {
    const token = this.tokens.get(id);
    if (!token) return;
    token.cancelled = true;
    const queued = this.pageQueue.findIndex((p) => p.request.id === id);
    if (queued >= 0) {
      this.pageQueue.splice(queued, 1);
      this.finish(id, token);
    }
  }

  private pumpPages(): void {
    const limit = this.options.pageConcurrency ?? 2;
    while (this.pagesRunning < limit && this.pageQueue.length > 0) {
      // Newest first: the viewport the user is looking at now matters more than pages queued earlier.
      const next = this.pageQueue.pop()!;
      this.pagesRunning++;
      void this.execute(next).finally(() => {
        this.pagesRunning--;
        this.pumpPages();
      });
    }
  }

  private async execute({ request, token }: Pending): Promise<void> {
    if (token.cancelled) {
      this.finish(request.id, token);
      return;
    }
    try {
      const handler = this.handlers[request.method] as (p: unknown, t: CancelToken) => Promise<unknown>;
      const result = await handler(request.params, token);
      this.finish(request.id, token, result);
    } catch (err) {
      const code = err instanceof RequestError ? err.code : ((err as { code?: unknown }).code ?? 'INTERNAL');
      const message = err instanceof Error ? err.message : String(err);
      this.options.log?.(`grid: ${request.method} failed: ${errorLogText(err)}`);
      if (token.cancelled) this.finish(request.id, token);
      else {
        this.tokens.delete(request.id);
        this.post({
          type: 'response',
          id: request.id,
          ok: false,
          cancelled: false,
          error: { code: String(code), message },
        });
      }
    }
  }

  private finish(id: number, token: { cancelled: boolean }, result?: unknown): void {
    if (!this.tokens.has(id)) return;
    this.tokens.delete(id);
    if (token.cancelled) {
      this.post({
        type: 'response',
        id,
        ok: false,
        cancelled: true,
        error: { code: 'CANCELLED', message: 'The request was cancelled.' },
      });
    } else {
      this.post({ type: 'response', id, ok: true, result });
    }
  }

  private source(resultId: string): ResultSource {
    const source = this.sources.get(resultId);
    if (!source)
      throw new RequestError('RESULT_NOT_FOUND', 'This result is no longer available. Run the query again.');
    return source;
  }

  private column(resultId: string, column: number): number {
    const count = this.source(resultId).summary().columns.length;
    if (!Number.isInteger(column) || column < 0 || column >= count) {
      throw new RequestError('BAD_REQUEST', `Column ${column} does not exist.`);
    }
    return column;
  }

  private page(
    p: GridRequests['page']['params'],
    _token: CancelToken,
  ): Promise<GridRequests['page']['result']> {
    if (!Number.isInteger(p.offset) || p.offset < 0 || !Number.isInteger(p.limit) || p.limit < 0) {
      throw new RequestError('BAD_REQUEST', 'A page needs a non-negative integer offset and limit.');
    }
    if (p.limit > MAX_PAGE_ROWS)
      throw new RequestError('BAD_REQUEST', `A page holds at most ${MAX_PAGE_ROWS} rows.`);
    return this.source(p.resultId).page(p.offset, p.limit, p.view ?? {});
  }

  private async copy(
    p: GridRequests['copy']['params'],
    token: CancelToken,
  ): Promise<GridRequests['copy']['result']> {
    const source = this.source(p.resultId);
    const columns = source.summary().columns;
    for (const c of p.columns) this.column(p.resultId, c);
    const max = this.options.maxCopyRows ?? 100_000;
    const start = Math.max(0, Math.floor(p.rows.start));
    const wanted = Math.max(0, Math.floor(p.rows.end) - start);
    const count = Math.min(wanted, max);
    const rows: Cell[][] = [];
    for (let offset = start; offset < start + count && !token.cancelled; offset += COPY_CHUNK) {
      const page = await source.page(offset, Math.min(COPY_CHUNK, start + count - offset), p.view ?? {});
      for (const row of page.rows) rows.push(p.columns.map((c) => row[c] ?? null));
      if (page.rows.length === 0) break;
    }
    const picked = p.columns.map((c) => columns[c]!);
    return { text: formatRows(picked, rows, p.format), rows: rows.length, truncated: wanted > count };
  }

  private async export(p: GridRequests['export']['params']): Promise<GridRequests['export']['result']> {
    const source = this.source(p.resultId);
    if (!['csv', 'parquet', 'json'].includes(p.format)) {
      throw new RequestError('BAD_REQUEST', `Cannot export to "${String(p.format)}".`);
    }
    if (!this.options.exportResult) throw new RequestError('UNSUPPORTED', 'Export is not available here.');
    return this.options.exportResult(source, p.format, p.view ?? {});
  }
}
