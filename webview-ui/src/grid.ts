import 'regular-table';
import type { RegularTableElement } from 'regular-table';
import type { DataResponse } from 'regular-table/dist/esm/types.js';
import { cellText, NUMERIC_KINDS } from '../../src/shared/cellFormat.js';
import type { GridRequests, RunResult } from '../../src/shared/protocol.js';
import type { Cell, ResultColumn, ResultView } from '../../src/shared/results.js';
import { PageCache } from './pageCache.js';
import type { Request } from '../../src/shared/channel.js';

/** Characters of a cell drawn in the grid; the whole value is one Enter or double-click away. */
export const DISPLAY_CHARS = 200;

const LOADING = 0;
const NULL = 1;
const VALUE = 2;

/** A rectangle of cells, inclusive; rows may span the whole result. */
export interface Selection {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/** What the grid remembers per result tab. */
export interface TabState {
  result: RunResult;
  view: ResultView;
  cache?: PageCache;
  cursor: { r: number; c: number };
  anchor: { r: number; c: number };
  scrollTop: number;
  scrollLeft: number;
  columnSizes: Record<number, number>;
}

export interface GridEvents {
  changed(): void;
  sort(column: number): void;
  filter(column: number, anchor: HTMLElement): void;
  showValue(row: number, column: number): void;
  error(message: string): void;
}

/** A nested value in DuckDB's own notation: [1, 2], {'a': 1}, {k=v} for MAP. */
function nestedText(cell: Cell, type: string): string {
  if (cell === null) return 'NULL';
  if (Array.isArray(cell)) {
    if (type.startsWith('MAP')) {
      return `{${cell
        .map((e) => {
          const entry = (e ?? {}) as { key?: Cell; value?: Cell };
          return `${nestedText(entry.key ?? null, '')}=${nestedText(entry.value ?? null, '')}`;
        })
        .join(', ')}}`;
    }
    return `[${cell.map((v) => nestedText(v, '')).join(', ')}]`;
  }
  if (typeof cell === 'object') {
    return `{${Object.entries(cell)
      .map(([k, v]) => `'${k}': ${nestedText(v, '')}`)
      .join(', ')}}`;
  }
  return String(cell);
}

/** Display text of a value in one line: nested values in DuckDB notation, long text cut. */
export function displayText(cell: Cell, column: ResultColumn): string {
  let text = typeof cell === 'object' && cell !== null ? nestedText(cell, column.type) : cellText(cell);
  text = text.replace(/[\r\n\t]+/g, ' ');
  return text.length > DISPLAY_CHARS ? `${text.slice(0, DISPLAY_CHARS)}…` : text;
}

interface Internals {
  _column_sizes?: { indices?: (number | undefined)[] };
}

export class Grid {
  readonly table: RegularTableElement;
  private tab: TabState | undefined;
  private headers = new Map<number, HTMLElement>();
  private visible = { y0: 0, y1: 0, x0: 0, x1: 0 };
  private dragging = false;
  private listening = false;
  private changePending = false;

  constructor(
    container: HTMLElement,
    private readonly request: Request<GridRequests>,
    private readonly events: GridEvents,
  ) {
    this.table = document.createElement('regular-table');
    this.table.tabIndex = 0;
    this.table.setAttribute('role', 'grid');
    this.table.setAttribute('aria-label', 'Result rows');
    container.appendChild(this.table);
    this.table.addStyleListener(() => {
      this.style();
      this.events.changed();
    });
    this.table.addEventListener('mousedown', (e) => this.onMouseDown(e));
    this.table.addEventListener('dblclick', (e) => this.onDoubleClick(e));
    document.addEventListener('mousemove', (e) => this.onMouseMove(e));
    document.addEventListener('mouseup', () => (this.dragging = false));
    this.table.addEventListener('keydown', (e) => this.onKey(e));
    // Scroll events come several per frame while dragging: the status follows once per frame.
    this.table.addEventListener('scroll', () => this.changedOnNextFrame(), { passive: true });
  }

  private changedOnNextFrame(): void {
    if (this.changePending) return;
    this.changePending = true;
    requestAnimationFrame(() => {
      this.changePending = false;
      this.events.changed();
    });
  }

  get state(): TabState | undefined {
    return this.tab;
  }

  get columns(): ResultColumn[] {
    return this.tab?.result.summary.columns ?? [];
  }

  get totalRows(): number {
    return this.tab?.cache?.totalRows ?? this.tab?.result.summary.rowCount ?? 0;
  }

  /** Rows [first, last) currently drawn. */
  get visibleRows(): { first: number; last: number } {
    return { first: this.visible.y0, last: Math.min(this.visible.y1, this.totalRows) };
  }

  get selection(): Selection | undefined {
    const t = this.tab;
    if (!t || this.totalRows === 0 || this.columns.length === 0) return undefined;
    return {
      r0: Math.min(t.anchor.r, t.cursor.r),
      r1: Math.max(t.anchor.r, t.cursor.r),
      c0: Math.min(t.anchor.c, t.cursor.c),
      c1: Math.max(t.anchor.c, t.cursor.c),
    };
  }

  /** The cached value at (row, column), or undefined while loading. */
  cell(row: number, column: number): Cell | undefined {
    const r = this.tab?.cache?.row(row);
    return r === undefined ? undefined : (r[column] ?? null);
  }

  /** Leaves the current tab (remembering where it was) and shows `tab`. */
  async show(tab: TabState): Promise<void> {
    this.saveTab();
    this.tab?.cache?.dispose();
    if (this.tab) this.tab.cache = undefined;
    this.tab = tab;
    this.headers.clear();
    await this.reload();
    this.table.restoreColumnSizes(tab.columnSizes);
    this.table.scrollTop = tab.scrollTop;
    this.table.scrollLeft = tab.scrollLeft;
    await this.table.draw();
  }

  /** Applies a new sort/filter view to the current tab and starts at the top. */
  async setView(view: ResultView): Promise<void> {
    const tab = this.tab;
    if (!tab) return;
    tab.view = view;
    tab.cursor = { r: 0, c: tab.cursor.c };
    tab.anchor = { ...tab.cursor };
    this.headers.clear();
    tab.cache?.dispose();
    tab.cache = undefined;
    await this.reload();
    this.table.scrollTop = 0;
    await this.table.draw();
  }

  /** The result grew (or finished): redraw with the new row count. */
  async refresh(): Promise<void> {
    // A summary can arrive while a tab is still loading: drawing before the data listener is set throws.
    if (!this.listening) return;
    const tab = this.tab;
    if (tab?.cache && !tab.view.filters?.length) tab.cache.totalRows = tab.result.summary.rowCount;
    await this.table.draw();
  }

  /** Selects rows [r0, r1] × columns [c0, c1], the cursor at the far corner. */
  select(sel: Selection): void {
    const tab = this.tab;
    if (!tab) return;
    tab.anchor = { r: sel.r0, c: sel.c0 };
    tab.cursor = { r: sel.r1, c: sel.c1 };
    void this.table.draw();
    this.events.changed();
  }

  /** Moves the cursor to (row, column), extending the selection when `extend`, and scrolls it into view. */
  async moveTo(row: number, column: number, extend = false): Promise<void> {
    const tab = this.tab;
    if (!tab) return;
    const r = Math.max(0, Math.min(this.totalRows - 1, row));
    const c = Math.max(0, Math.min(this.columns.length - 1, column));
    tab.cursor = { r, c };
    if (!extend) tab.anchor = { r, c };
    await this.scrollIntoView(r, c);
    this.events.changed();
  }

  /**
   * Scrolls so row `r` is drawn. regular-table maps scrollTop proportionally onto rows once the
   * virtual panel hits its height cap, so the first guess comes from that ratio and is corrected by
   * the rows actually drawn.
   */
  async scrollIntoView(r: number, c: number): Promise<void> {
    const total = this.totalRows;
    const maxScroll = this.table.scrollHeight - this.table.clientHeight;
    for (let attempt = 0; attempt < 6; attempt++) {
      const { first, last } = this.fullyVisibleRows();
      if (r >= first && r < last) break;
      const shown = Math.max(1, last - first);
      const top = r < first ? r : r - shown + 1;
      const scrollable = Math.max(1, total - shown);
      const guess = Math.round((top / scrollable) * maxScroll);
      const delta = attempt === 0 ? 0 : r < first ? -attempt * attempt : attempt * attempt;
      this.table.scrollTop = Math.max(0, Math.min(maxScroll, guess + delta));
      await this.table.draw();
    }
    this.scrollColumnIntoView(c);
    await this.table.draw();
  }

  private fullyVisibleRows(): { first: number; last: number } {
    const clip = this.table.getBoundingClientRect();
    const head = this.table.querySelector('thead')?.getBoundingClientRect().bottom ?? clip.top;
    let first = Infinity;
    let last = -Infinity;
    for (const th of this.table.querySelectorAll<HTMLElement>('tbody th')) {
      const meta = this.table.getMeta(th);
      const box = th.getBoundingClientRect();
      if (meta?.type !== 'row_header' || box.top < head - 1 || box.bottom > clip.bottom - 12) continue;
      first = Math.min(first, meta.y);
      last = Math.max(last, meta.y + 1);
    }
    return first === Infinity ? { first: 0, last: 0 } : { first, last };
  }

  private scrollColumnIntoView(c: number): void {
    const rowHead = this.table.querySelector('tbody th')?.getBoundingClientRect().right ?? 0;
    const box = this.table.getBoundingClientRect();
    for (const td of this.table.querySelectorAll<HTMLElement>('tbody tr:first-child td')) {
      const meta = this.table.getMeta(td);
      if (meta?.type !== 'body' || meta.x !== c) continue;
      const rect = td.getBoundingClientRect();
      if (rect.left < rowHead) this.table.scrollLeft -= rowHead - rect.left;
      else if (rect.right > box.right - 14)
        this.table.scrollLeft += Math.min(rect.left - rowHead, rect.right - box.right + 14);
      return;
    }
    const widths = (this.table as unknown as Internals)._column_sizes?.indices ?? [];
    let left = 0;
    for (let i = 0; i < c; i++) left += widths[i + 1] ?? 80;
    this.table.scrollLeft = left;
  }

  private saveTab(): void {
    const tab = this.tab;
    if (!tab) return;
    tab.scrollTop = this.table.scrollTop;
    tab.scrollLeft = this.table.scrollLeft;
    tab.columnSizes = this.table.saveColumnSizes();
  }

  private async reload(): Promise<void> {
    const tab = this.tab!;
    const cache = new PageCache(
      this.request,
      tab.result.resultId,
      tab.view,
      tab.result.summary.rowCount,
      (first, last) => {
        if (
          this.tab?.cache === cache &&
          this.listening &&
          first < this.visible.y1 + 1 &&
          last > this.visible.y0
        ) {
          void this.table.draw();
        }
        this.events.changed();
      },
      (message) => this.events.error(message),
    );
    tab.cache = cache;
    await cache.load();
    this.table.setDataListener((x0, y0, x1, y1) => Promise.resolve(this.slice(x0, y0, x1, y1)));
    this.listening = true;
  }

  private slice(x0: number, y0: number, x1: number, y1: number): DataResponse {
    const cache = this.tab!.cache!;
    const columns = this.columns;
    const total = cache.totalRows;
    const rowEnd = Math.min(y1, total);
    const colEnd = Math.min(x1, columns.length);
    cache.want(y0, rowEnd);
    this.visible = { y0, y1: rowEnd, x0, x1: colEnd };
    const data: string[][] = [];
    const metadata: number[][] = [];
    for (let x = x0; x < colEnd; x++) {
      const values: string[] = [];
      const states: number[] = [];
      for (let y = y0; y < rowEnd; y++) {
        const row = cache.row(y);
        const value = row === undefined ? undefined : (row[x] ?? null);
        if (value === undefined) {
          values.push('');
          states.push(LOADING);
        } else if (value === null) {
          values.push('NULL');
          states.push(NULL);
        } else {
          values.push(displayText(value, columns[x]!));
          states.push(VALUE);
        }
      }
      data.push(values);
      metadata.push(states);
    }
    const rowHeaders: string[][] = [];
    for (let y = y0; y < rowEnd; y++) rowHeaders.push([String(y + 1)]);
    const columnHeaders: HTMLElement[][] = [];
    for (let x = x0; x < colEnd; x++) columnHeaders.push([this.header(x)]);
    return {
      num_rows: total,
      num_columns: columns.length,
      data,
      metadata,
      row_headers: rowHeaders,
      column_headers: columnHeaders as unknown as string[][],
    };
  }

  private header(x: number): HTMLElement {
    let el = this.headers.get(x);
    if (el) return el;
    const column = this.columns[x]!;
    const sort = this.tab?.view.sort?.find((s) => s.column === x);
    const filtered = this.tab?.view.filters?.some((f) => f.column === x);
    el = document.createElement('div');
    el.className = 'col-head';
    el.dataset['column'] = String(x);
    el.title = `${column.name} ${column.type}. Click to sort, Ctrl+click to select the column.`;
    const name = el.appendChild(document.createElement('span'));
    name.className = 'col-name';
    name.textContent = column.name;
    const type = el.appendChild(document.createElement('span'));
    type.className = 'col-type';
    type.textContent = column.type;
    if (sort) {
      const mark = el.appendChild(document.createElement('span'));
      mark.className = 'col-sort';
      mark.textContent = sort.direction === 'asc' ? '▲' : '▼';
      mark.setAttribute('aria-label', sort.direction === 'asc' ? 'sorted ascending' : 'sorted descending');
    }
    const filter = el.appendChild(document.createElement('button'));
    filter.className = filtered ? 'col-filter active' : 'col-filter';
    filter.tabIndex = -1;
    filter.textContent = '▾';
    filter.title = `Filter ${column.name} (Alt+Down)`;
    filter.setAttribute('aria-label', `Filter ${column.name}`);
    this.headers.set(x, el);
    return el;
  }

  private style(): void {
    const sel = this.selection;
    const cursor = this.tab?.cursor;
    const columns = this.columns;
    const inRows = (y: number | undefined): boolean =>
      sel !== undefined && y !== undefined && y >= sel.r0 && y <= sel.r1;
    const inCols = (x: number | undefined): boolean =>
      sel !== undefined && x !== undefined && x >= sel.c0 && x <= sel.c1;
    for (const td of this.table.querySelectorAll<HTMLElement>('tbody td')) {
      const meta = this.table.getMeta(td);
      if (!meta || meta.type !== 'body') continue;
      const kind = columns[meta.x]?.kind;
      td.classList.toggle('num', kind !== undefined && NUMERIC_KINDS.has(kind));
      td.classList.toggle('null', meta.user === NULL);
      td.classList.toggle('loading', meta.user === LOADING);
      td.classList.toggle('selected', inRows(meta.y) && inCols(meta.x));
      td.classList.toggle('cursor', cursor !== undefined && cursor.r === meta.y && cursor.c === meta.x);
      td.dataset['row'] = String(meta.y);
      td.dataset['column'] = String(meta.x);
    }
    const allRows = sel !== undefined && sel.r0 === 0 && sel.r1 >= this.totalRows - 1;
    const allCols = sel !== undefined && sel.c0 === 0 && sel.c1 >= columns.length - 1;
    for (const th of this.table.querySelectorAll<HTMLElement>('tbody th')) {
      const meta = this.table.getMeta(th);
      th.classList.toggle('selected', allCols && meta?.type === 'row_header' && inRows(meta.y));
    }
    for (const th of this.table.querySelectorAll<HTMLElement>('thead th')) {
      const meta = this.table.getMeta(th);
      th.classList.toggle('selected', allRows && meta?.type === 'column_header' && inCols(meta.x));
    }
  }

  private target(
    event: Event,
  ): { kind: 'cell' | 'rowHead' | 'colHead' | 'corner'; x: number; y: number } | undefined {
    let el = event.target as HTMLElement | null;
    while (el && el.tagName !== 'TD' && el.tagName !== 'TH') {
      if (el === this.table) return undefined;
      el = el.parentElement;
    }
    if (!el) return undefined;
    const meta = this.table.getMeta(el);
    if (!meta) return undefined;
    switch (meta.type) {
      case 'body':
        return { kind: 'cell', x: meta.x, y: meta.y };
      case 'row_header':
        return { kind: 'rowHead', x: 0, y: meta.y };
      case 'column_header':
        return { kind: 'colHead', x: meta.x, y: 0 };
      case 'corner':
        return { kind: 'corner', x: 0, y: 0 };
    }
  }

  private onMouseDown(event: MouseEvent): void {
    if (event.button !== 0 || !this.tab) return;
    const el = event.target as HTMLElement;
    if (el.classList.contains('rt-column-resize')) return;
    const hit = this.target(event);
    if (!hit) return;
    const last = this.columns.length - 1;
    const lastRow = this.totalRows - 1;
    switch (hit.kind) {
      case 'cell':
        this.tab.cursor = { r: hit.y, c: hit.x };
        if (!event.shiftKey) this.tab.anchor = { ...this.tab.cursor };
        this.dragging = true;
        break;
      case 'rowHead':
        if (event.shiftKey) this.tab.cursor = { r: hit.y, c: last };
        else {
          this.tab.anchor = { r: hit.y, c: 0 };
          this.tab.cursor = { r: hit.y, c: last };
        }
        break;
      case 'colHead':
        if (el.closest('.col-filter')) {
          event.preventDefault();
          this.events.filter(hit.x, el.closest('th') ?? el);
          return;
        }
        if (event.ctrlKey || event.metaKey || event.altKey) {
          this.select({ r0: 0, r1: lastRow, c0: event.shiftKey ? this.tab.anchor.c : hit.x, c1: hit.x });
        } else {
          this.events.sort(hit.x);
        }
        return;
      case 'corner':
        this.select({ r0: 0, r1: lastRow, c0: 0, c1: last });
        return;
    }
    this.table.focus({ preventScroll: true });
    void this.table.draw();
    this.events.changed();
  }

  private onMouseMove(event: MouseEvent): void {
    if (!this.dragging || !this.tab || (event.buttons & 1) === 0) return;
    const hit = this.target(event);
    if (hit?.kind !== 'cell') return;
    if (hit.x === this.tab.cursor.c && hit.y === this.tab.cursor.r) return;
    this.tab.cursor = { r: hit.y, c: hit.x };
    void this.table.draw();
    this.events.changed();
  }

  private onDoubleClick(event: MouseEvent): void {
    const hit = this.target(event);
    if (hit?.kind === 'cell') this.events.showValue(hit.y, hit.x);
  }

  private onKey(event: KeyboardEvent): void {
    const tab = this.tab;
    if (!tab) return;
    const { r, c } = tab.cursor;
    const ctrl = event.ctrlKey || event.metaKey;
    const page = Math.max(1, this.fullyVisibleRows().last - this.fullyVisibleRows().first - 1);
    const lastRow = this.totalRows - 1;
    const lastCol = this.columns.length - 1;
    let to: [number, number] | undefined;
    switch (event.key) {
      case 'ArrowDown':
        if (event.altKey) {
          const th = this.table.querySelector<HTMLElement>(`.col-head[data-column="${c}"]`);
          this.events.filter(c, th ?? this.table);
          event.preventDefault();
          return;
        }
        to = [ctrl ? lastRow : r + 1, c];
        break;
      case 'ArrowUp':
        to = [ctrl ? 0 : r - 1, c];
        break;
      case 'ArrowRight':
        to = [r, ctrl ? lastCol : c + 1];
        break;
      case 'ArrowLeft':
        to = [r, ctrl ? 0 : c - 1];
        break;
      case 'PageDown':
        to = [r + page, c];
        break;
      case 'PageUp':
        to = [r - page, c];
        break;
      case 'Home':
        to = ctrl ? [0, 0] : [r, 0];
        break;
      case 'End':
        to = ctrl ? [lastRow, lastCol] : [r, lastCol];
        break;
      case 'Enter':
        this.events.showValue(r, c);
        event.preventDefault();
        return;
      case ' ':
        if (event.shiftKey)
          this.select({ r0: Math.min(r, tab.anchor.r), r1: Math.max(r, tab.anchor.r), c0: 0, c1: lastCol });
        else if (ctrl)
          this.select({ r0: 0, r1: lastRow, c0: Math.min(c, tab.anchor.c), c1: Math.max(c, tab.anchor.c) });
        else return;
        event.preventDefault();
        return;
      case 'a':
      case 'A':
        if (!ctrl) return;
        this.select({ r0: 0, r1: lastRow, c0: 0, c1: lastCol });
        event.preventDefault();
        return;
      default:
        return;
    }
    event.preventDefault();
    void this.moveTo(to[0], to[1], event.shiftKey);
  }
}
