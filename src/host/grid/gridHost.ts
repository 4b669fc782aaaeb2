// Kept free of `vscode` so the webview tests can drive it from plain Node over a real result.
import { formatRows } from '../../shared/cellFormat.js';
import {
  cancelledResponse,
  type CancellationToken,
  type NotificationHandlers,
  type Notify,
  type RequestHandlers,
} from '../../shared/channel.js';
import type {
  ExportFormat,
  GridHostNotifications,
  GridProtocol,
  GridRequests,
  GridWebviewNotifications,
  RunInfo,
  RunMessage,
} from '../../shared/protocol.js';
import type { Cell, ResultSource, ResultView } from '../../shared/results.js';
import { MAX_CHART_IMAGE, type ChartImageFormat } from '../../shared/chart.js';
import { HostChannel } from '../webviewChannel.js';

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
  /**
   * The Results view: posts one message to the webview. The GridHost then owns the webview's channel
   * and {@link GridHost.handle} feeds it.
   */
  post?(message: unknown): void;
  /**
   * Embedded in another webview (the worksheet): sends on that page's channel, which serves
   * {@link GridHost.requests} and {@link GridHost.notifications} and calls {@link GridHost.ready}.
   */
  notify?: Notify<GridHostNotifications>;
  /** Writes the whole result (through `view`) to a file the user picks; absent means export is unsupported. */
  exportResult?(
    source: ResultSource,
    format: ExportFormat,
    view: ResultView,
  ): Promise<{ saved: boolean; target?: string }>;
  /** Pin… and Compare… of a shown result (absent: the grid's buttons do nothing). */
  resultActions?: { pin(source: ResultSource): void; compare(source: ResultSource): void };
  /** Writes a chart image (PNG bytes or SVG text) to a file the user picks; absent means unsupported. */
  saveChart?(
    format: ChartImageFormat,
    data: Uint8Array,
    title: string,
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
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COPY_CHUNK = 5_000;

interface QueuedPage {
  token: CancellationToken;
  run(): void;
  drop(): void;
}

export class GridHost {
  /** The grid's requests, answered once each (pages through a queue where cancels drop them). */
  readonly requests: RequestHandlers<GridRequests>;
  readonly notifications: NotificationHandlers<GridWebviewNotifications>;
  private readonly channel: HostChannel<GridProtocol> | undefined;
  private readonly notify: Notify<GridHostNotifications>;
  private isReady = false;
  private run: GridRun | undefined;
  private runCounter = 0;
  private readonly sources = new Map<string, ResultSource>();
  private readonly pageQueue: QueuedPage[] = [];
  private pagesRunning = 0;
  private disposed = false;

  constructor(private readonly options: GridHostOptions) {
    this.requests = {
      page: (p, token) => this.queuePage(() => this.page(p), token),
      stats: async (p) => this.source(p.resultId).stats(this.column(p.resultId, p.column), view(p.view)),
      copy: (p, token) => this.copy(p, token),
      export: (p) => this.export(p),
      chart: (p) => this.chart(p),
      saveChart: (p) => this.saveChart(p),
    };
    this.notifications = {
      reveal: (p) => {
        if (Number.isInteger(p.line) && Number.isInteger(p.column)) this.options.reveal?.(p.line, p.column);
      },
      pin: (p) => {
        const source = typeof p.resultId === 'string' ? this.sources.get(p.resultId) : undefined;
        if (source) this.options.resultActions?.pin(source);
      },
      compare: (p) => {
        const source = typeof p.resultId === 'string' ? this.sources.get(p.resultId) : undefined;
        if (source) this.options.resultActions?.compare(source);
      },
    };
    if (options.post) {
      const channel = new HostChannel<GridProtocol>({
        post: options.post,
        log: (line) => this.options.log?.(`grid: ${line}`),
      });
      channel.serve({
        requests: this.requests,
        notifications: this.notifications,
        ready: () => this.ready(),
      });
      this.channel = channel;
      this.notify = channel.notify;
    } else if (options.notify) {
      this.notify = options.notify;
    } else {
      throw new Error('GridHost needs post or notify.');
    }
  }

  /** Shows a run's results and messages; posted at once if the webview is ready, else on `ready`. */
  showRun(run: GridRun): void {
    this.run = run;
    this.sources.clear();
    for (const entry of run.results) this.sources.set(entry.source.summary().resultId, entry.source);
    if (this.isReady) this.postRun();
  }

  /** Tells the webview that a shown result grew or completed. */
  refreshSummary(resultId: string): void {
    const source = this.sources.get(resultId);
    if (source && this.isReady && !this.disposed) this.notify('summary', { summary: source.summary() });
  }

  /** The webview (re)started: it gets the run on show. */
  ready(): void {
    this.isReady = true;
    if (this.run) this.postRun();
  }

  /** Entry point for everything the Results webview posts (with `post` only). Never throws. */
  handle(message: unknown): void {
    this.channel?.receive(message);
  }

  dispose(): void {
    this.disposed = true;
    this.channel?.dispose();
    for (const queued of this.pageQueue.splice(0)) queued.drop();
  }

  private postRun(): void {
    if (this.disposed) return;
    const run = this.run!;
    const info: RunInfo = {
      runId: run.id ?? `run-${++this.runCounter}`,
      results: run.results.map((e) => {
        const summary = e.source.summary();
        return { resultId: summary.resultId, title: e.title, summary };
      }),
      messages: run.messages,
    };
    this.notify('run', { run: info });
  }

  /** Runs `work` when a page slot is free, newest request first; a cancel while queued drops it. */
  private queuePage<T>(work: () => Promise<T>, token: CancellationToken): Promise<T> {
    if (token.isCancellationRequested) return Promise.reject(cancelledResponse());
    return new Promise<T>((resolve, reject) => {
      const queued: QueuedPage = {
        token,
        run: () => {
          listener.dispose();
          this.pagesRunning++;
          work()
            .then(resolve, reject)
            .finally(() => {
              this.pagesRunning--;
              this.pumpPages();
            });
        },
        drop: () => {
          listener.dispose();
          reject(cancelledResponse());
        },
      };
      const listener = token.onCancellationRequested(() => {
        const at = this.pageQueue.indexOf(queued);
        if (at >= 0) {
          this.pageQueue.splice(at, 1);
          queued.drop();
        }
      });
      this.pageQueue.push(queued);
      this.pumpPages();
    });
  }

  private pumpPages(): void {
    const limit = this.options.pageConcurrency ?? 2;
    while (!this.disposed && this.pagesRunning < limit && this.pageQueue.length > 0) {
      // Newest first: the viewport the user is looking at now matters more than pages queued earlier.
      this.pageQueue.pop()!.run();
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

  private async page(p: GridRequests['page']['params']): Promise<GridRequests['page']['result']> {
    if (!Number.isInteger(p.offset) || p.offset < 0 || !Number.isInteger(p.limit) || p.limit < 0) {
      throw new RequestError('BAD_REQUEST', 'A page needs a non-negative integer offset and limit.');
    }
    if (p.limit > MAX_PAGE_ROWS)
      throw new RequestError('BAD_REQUEST', `A page holds at most ${MAX_PAGE_ROWS} rows.`);
    return this.source(p.resultId).page(p.offset, p.limit, view(p.view));
  }

  private async copy(
    p: GridRequests['copy']['params'],
    token: CancellationToken,
  ): Promise<GridRequests['copy']['result']> {
    const source = this.source(p.resultId);
    const columns = source.summary().columns;
    for (const c of p.columns) this.column(p.resultId, c);
    const max = this.options.maxCopyRows ?? 100_000;
    const start = Math.max(0, Math.floor(p.rows.start));
    const wanted = Math.max(0, Math.floor(p.rows.end) - start);
    const count = Math.min(wanted, max);
    const rows: Cell[][] = [];
    for (let offset = start; offset < start + count && !token.isCancellationRequested; offset += COPY_CHUNK) {
      const page = await source.page(offset, Math.min(COPY_CHUNK, start + count - offset), view(p.view));
      for (const row of page.rows) rows.push(p.columns.map((c) => row[c] ?? null));
      if (page.rows.length === 0) break;
    }
    const picked = p.columns.map((c) => columns[c]!);
    return { text: formatRows(picked, rows, p.format), rows: rows.length, truncated: wanted > count };
  }

  private async chart(p: GridRequests['chart']['params']): Promise<GridRequests['chart']['result']> {
    const source = this.source(p.resultId);
    if (!source.chart) throw new RequestError('UNSUPPORTED', 'Charts are not available for this result.');
    if (typeof p.spec !== 'object' || p.spec === null)
      throw new RequestError('BAD_REQUEST', 'A chart needs a spec.');
    return source.chart(p.spec, view(p.view));
  }

  private async saveChart(
    p: GridRequests['saveChart']['params'],
  ): Promise<GridRequests['saveChart']['result']> {
    if (p.format !== 'png' && p.format !== 'svg')
      throw new RequestError('BAD_REQUEST', `Cannot save a chart as "${String(p.format)}".`);
    if (typeof p.data !== 'string' || p.data.length === 0 || p.data.length > MAX_CHART_IMAGE)
      throw new RequestError('BAD_REQUEST', 'The chart image is empty or too large.');
    const bytes = p.format === 'png' ? Buffer.from(p.data, 'base64') : Buffer.from(p.data, 'utf8');
    if (p.format === 'png' && !bytes.subarray(0, 8).equals(PNG_SIGNATURE))
      throw new RequestError('BAD_REQUEST', 'The chart image is not a PNG.');
    if (p.format === 'svg' && !/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(p.data))
      throw new RequestError('BAD_REQUEST', 'The chart image is not an SVG.');
    if (!this.options.saveChart)
      throw new RequestError('UNSUPPORTED', 'Saving charts is not available here.');
    return this.options.saveChart(p.format, bytes, typeof p.title === 'string' ? p.title : 'chart');
  }

  private async export(p: GridRequests['export']['params']): Promise<GridRequests['export']['result']> {
    const source = this.source(p.resultId);
    if (!['csv', 'parquet', 'json'].includes(p.format)) {
      throw new RequestError('BAD_REQUEST', `Cannot export to "${String(p.format)}".`);
    }
    if (!this.options.exportResult) throw new RequestError('UNSUPPORTED', 'Export is not available here.');
    return this.options.exportResult(source, p.format, view(p.view));
  }
}

/** The view a request asks for; anything but an object is no view (the kept result checks its fields). */
function view(value: unknown): ResultView {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ResultView) : {};
}
