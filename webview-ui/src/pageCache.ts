import type { Cell, ResultView } from '../../src/shared/results.js';
import { CancellationTokenSource, CancelledError, type Request } from '../../src/shared/channel.js';
import type { GridRequests } from '../../src/shared/protocol.js';

const PAGE_ROWS = 100;
/** Pages kept around the viewport beyond what is visible, on each side. */
const PREFETCH_PAGES = 2;
const MAX_CACHED_PAGES = 60;

/**
 * Rows of one result seen through one view, fetched a page at a time around the viewport. Pages that
 * fall out of the wanted window while in flight are cancelled, so fast scrolling never waits on them.
 */
export class PageCache {
  private readonly pages = new Map<number, Cell[][]>();
  private readonly pending = new Map<number, CancellationTokenSource>();
  private center = 0;
  totalRows: number;

  constructor(
    private readonly request: Request<GridRequests>,
    private readonly resultId: string,
    readonly view: ResultView,
    totalRows: number,
    private readonly onPage: (first: number, last: number) => void,
    private readonly onError: (message: string) => void,
  ) {
    this.totalRows = totalRows;
  }

  /** The row at `y`, or undefined while its page is loading. */
  row(y: number): Cell[] | undefined {
    return this.pages.get(Math.floor(y / PAGE_ROWS))?.[y % PAGE_ROWS];
  }

  /** True when every row in [start, end) is cached. */
  has(start: number, end: number): boolean {
    for (let p = Math.floor(start / PAGE_ROWS); p * PAGE_ROWS < end; p++)
      if (!this.pages.has(p)) return false;
    return true;
  }

  /** Loads the first page and learns the view's row count. */
  async load(): Promise<void> {
    await this.fetch(0);
  }

  /** Rows [y0, y1) are on screen: fetch what is missing, prefetch around, drop what is far away. */
  want(y0: number, y1: number): void {
    const first = Math.max(0, Math.floor(y0 / PAGE_ROWS) - PREFETCH_PAGES);
    const last = Math.min(this.lastPage(), Math.floor(Math.max(y0, y1 - 1) / PAGE_ROWS) + PREFETCH_PAGES);
    this.center = (first + last) / 2;
    for (const [page, source] of this.pending) {
      if (page < first || page > last) {
        this.pending.delete(page);
        source.cancel();
      }
    }
    // Visible pages first, then the prefetch margin.
    const visible0 = Math.floor(y0 / PAGE_ROWS);
    const order: number[] = [];
    for (let p = visible0; p <= last; p++) order.push(p);
    for (let p = visible0 - 1; p >= first; p--) order.push(p);
    for (const p of order)
      if (!this.pages.has(p) && !this.pending.has(p)) void this.fetch(p).catch(() => undefined);
  }

  /** Cancels everything in flight (the view or the tab changed). */
  dispose(): void {
    for (const source of this.pending.values()) source.cancel();
    this.pending.clear();
  }

  private lastPage(): number {
    return Math.max(0, Math.ceil(this.totalRows / PAGE_ROWS) - 1);
  }

  private async fetch(page: number): Promise<void> {
    const id = new CancellationTokenSource();
    const result = this.request(
      'page',
      { resultId: this.resultId, offset: page * PAGE_ROWS, limit: PAGE_ROWS, view: this.view },
      id.token,
    );
    this.pending.set(page, id);
    try {
      const answer = await result;
      if (this.pending.get(page) !== id) return;
      this.pending.delete(page);
      this.pages.set(page, answer.rows);
      this.totalRows = answer.totalRows;
      this.evict();
      this.onPage(page * PAGE_ROWS, page * PAGE_ROWS + answer.rows.length);
    } catch (err) {
      if (this.pending.get(page) === id) this.pending.delete(page);
      if (!(err instanceof CancelledError)) this.onError((err as Error).message);
      throw err;
    } finally {
      id.dispose();
    }
  }

  private evict(): void {
    if (this.pages.size <= MAX_CACHED_PAGES) return;
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - this.center) - Math.abs(a - this.center));
    for (const p of far.slice(0, this.pages.size - MAX_CACHED_PAGES)) this.pages.delete(p);
  }
}
