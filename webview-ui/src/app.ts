import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { cellText, formatRows } from '../../src/shared/cellFormat.js';
import {
  CancellationTokenSource,
  CancelledError,
  type NotificationHandlers,
} from '../../src/shared/channel.js';
import type {
  CopyFormat,
  ExportFormat,
  GridHostNotifications,
  GridRequests,
  GridWebviewNotifications,
  RunInfo,
} from '../../src/shared/protocol.js';
import type { ColumnStats, FilterSpec, ResultView } from '../../src/shared/results.js';
import type { GridClient, VsCodeApi } from './channel.js';
import { Grid, type TabState } from './grid.js';
import { ChartPanel } from './chart/chartPanel.js';
import type { ChartSpec } from '../../src/shared/chart.js';
import { el } from './dom.js';

/** Rows a copy formats in the webview from cached pages; larger selections are formatted by the host. */
const LOCAL_COPY_ROWS = 5_000;

interface SavedState {
  runId?: string;
  active?: number;
  views?: Record<string, ResultView>;
  /** Results shown as a chart, with the chart's settings. */
  charts?: Record<string, ChartSpec>;
  /** Results whose Chart view is open. */
  chartOpen?: string[];
}

/** Where a page keeps chart settings beyond its own state (the worksheet: with the worksheet, per result). */
export interface ChartSettingsStore {
  /** The settings for the result at `index` of a run, if any were kept. */
  load(index: number): ChartSpec | undefined;
  save(index: number, spec: ChartSpec): void;
}

/** State a page keeps for the grid across rebuilds (the worksheet nests it in its own). */
export type GridState = Pick<VsCodeApi, 'getState' | 'setState'>;

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export class App {
  private readonly grid: Grid;
  private run: RunInfo | undefined;
  private tabs: TabState[] = [];
  /** Index into tabs, or tabs.length for the Messages tab. */
  private active = 0;
  private readonly tabBar = el('div', 'tabs');
  private readonly toolbar = el('div', 'toolbar');
  private readonly main = el('div', 'main');
  private readonly gridBox = el('div', 'grid-box');
  private readonly statsPanel = el('aside', 'stats');
  private readonly messages = el('div', 'messages');
  private readonly status = el('div', 'status');
  private readonly notice = el('span', 'notice');
  private readonly chips = el('span', 'chips');
  private readonly popover = el('div', 'popover');
  private statsColumn: number | undefined;
  private statsRequest: CancellationTokenSource | undefined;
  private busy = '';
  private readonly chartPanel: ChartPanel;
  private readonly charts = new Map<string, ChartSpec>();
  private readonly chartOpen = new Set<string>();
  private readonly gridButton = el('button', 'view-grid', 'Grid');
  private readonly chartButton = el('button', 'view-chart', 'Chart');

  /** The host's notifications for the grid, for the page's channel to serve. */
  readonly notifications: NotificationHandlers<GridHostNotifications> = {
    run: ({ run }) => void this.showRun(run),
    summary: ({ summary }) => {
      const tab = this.tabs.find((t) => t.result.resultId === summary.resultId);
      if (!tab) return;
      tab.result.summary = summary;
      if (tab === this.tabs[this.active]) void this.grid.refresh().then(() => this.renderStatus());
    },
  };

  /** `state` keeps the grid's view state; `channel` carries its requests (the page serves `notifications`). */
  constructor(
    root: HTMLElement,
    private readonly vscode: GridState,
    private readonly channel: GridClient<GridRequests, GridWebviewNotifications>,
    private readonly chartSettings?: ChartSettingsStore,
  ) {
    this.tabBar.setAttribute('role', 'tablist');
    this.status.setAttribute('role', 'status');
    this.statsPanel.setAttribute('aria-label', 'Column summary');
    this.statsPanel.hidden = true;
    this.messages.hidden = true;
    this.popover.hidden = true;
    this.chartPanel = new ChartPanel(this.channel, {
      specChanged: (resultId, spec) => {
        this.charts.set(resultId, spec);
        this.persist();
        const index = this.tabs.findIndex((t) => t.result.resultId === resultId);
        if (index >= 0) this.chartSettings?.save(index, spec);
      },
      notice: (m) => this.showNotice(m),
    });
    this.chartPanel.element.hidden = true;
    this.main.append(this.gridBox, this.statsPanel, this.chartPanel.element);
    root.append(this.tabBar, this.toolbar, this.main, this.messages, this.status, this.popover);
    this.buildToolbar();
    this.grid = new Grid(this.gridBox, this.channel.request, {
      changed: () => {
        this.renderStatus();
        const c = this.grid.state?.cursor.c;
        if (!this.statsPanel.hidden && c !== undefined && c !== this.statsColumn) void this.loadStats(c);
      },
      sort: (c) => void this.cycleSort(c),
      filter: (c, anchor) => this.openFilter(c, anchor),
      showValue: (r, c) => this.showValue(r, c),
      error: (m) => this.showNotice(m),
    });
    this.grid.table.addEventListener('keydown', (e) => {
      if (e.altKey && (e.key === 's' || e.key === 'S')) {
        e.preventDefault();
        void this.cycleSort(this.grid.state?.cursor.c ?? 0);
      } else if (e.altKey && (e.key === 'i' || e.key === 'I')) {
        e.preventDefault();
        this.toggleStats();
      } else if (e.key === 'Escape') {
        this.closePopover();
      }
    });
    document.addEventListener('copy', (e) => this.onCopy(e));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.popover.hidden) this.closePopover();
    });
    this.renderStatus();
  }

  private saved(): SavedState {
    return (this.vscode.getState() as SavedState | undefined) ?? {};
  }

  private persist(): void {
    const views: Record<string, ResultView> = {};
    const charts: Record<string, ChartSpec> = {};
    for (const t of this.tabs) {
      views[t.result.resultId] = t.view;
      const spec = this.charts.get(t.result.resultId);
      if (spec) charts[t.result.resultId] = spec;
    }
    const chartOpen = this.tabs.map((t) => t.result.resultId).filter((id) => this.chartOpen.has(id));
    this.vscode.setState({
      runId: this.run?.runId,
      active: this.active,
      views,
      charts,
      chartOpen,
    } satisfies SavedState);
  }

  private async showRun(run: RunInfo): Promise<void> {
    if (this.sameRun(run)) {
      // The same run, further along (its first rows were shown before): keep tabs, views and scroll.
      this.run = run;
      run.results.forEach((result, i) => (this.tabs[i]!.result = result));
      this.renderMessages();
      this.renderTabs();
      if (this.active < this.tabs.length) await this.grid.refresh();
      this.renderStatus();
      return;
    }
    const saved = this.saved();
    this.run = run;
    this.charts.clear();
    this.chartOpen.clear();
    run.results.forEach((r, i) => {
      const spec = saved.charts?.[r.resultId] ?? this.chartSettings?.load(i);
      if (spec) this.charts.set(r.resultId, spec);
      if (saved.chartOpen?.includes(r.resultId)) this.chartOpen.add(r.resultId);
    });
    this.tabs = run.results.map((result) => ({
      result,
      view: saved.views?.[result.resultId] ?? {},
      cursor: { r: 0, c: 0 },
      anchor: { r: 0, c: 0 },
      scrollTop: 0,
      scrollLeft: 0,
      columnSizes: {},
    }));
    const restored =
      saved.runId === run.runId && saved.active !== undefined && saved.active <= this.tabs.length
        ? saved.active
        : undefined;
    this.renderMessages();
    // A run without results opens on Messages; with results, its first tab (Messages shows a dot on errors).
    await this.activate(restored ?? (this.tabs.length === 0 ? this.tabs.length : 0));
  }

  private sameRun(run: RunInfo): boolean {
    return (
      this.run?.runId === run.runId &&
      this.tabs.length === run.results.length &&
      run.results.every((r, i) => this.tabs[i]!.result.resultId === r.resultId)
    );
  }

  private renderTabs(): void {
    this.tabBar.textContent = '';
    const labels = [...this.tabs.map((t) => t.result.title), 'Messages'];
    labels.forEach((label, i) => {
      const tab = el('button', 'tab', label);
      tab.setAttribute('role', 'tab');
      tab.setAttribute('aria-selected', String(i === this.active));
      tab.tabIndex = i === this.active ? 0 : -1;
      if (i === this.tabs.length && this.run?.messages.some((m) => m.kind === 'error'))
        tab.classList.add('has-error');
      tab.addEventListener('click', () => void this.activate(i));
      tab.addEventListener('keydown', (e) => {
        const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
        if (!step) return;
        e.preventDefault();
        const next = (i + step + labels.length) % labels.length;
        void this.activate(next).then(() => (this.tabBar.children[next] as HTMLElement).focus());
      });
      this.tabBar.append(tab);
    });
  }

  private async activate(index: number): Promise<void> {
    this.active = index;
    this.closePopover();
    this.renderTabs();
    const onMessages = index >= this.tabs.length;
    this.messages.hidden = !onMessages;
    this.main.hidden = onMessages;
    this.toolbar.hidden = onMessages;
    this.persist();
    if (!onMessages) {
      await this.withBusy('Loading…', () => this.grid.show(this.tabs[index]!));
      this.renderChips();
      if (!this.statsPanel.hidden) void this.loadStats(this.grid.state?.cursor.c ?? 0);
    }
    await this.showMode();
    this.renderStatus();
  }

  private renderMessages(): void {
    this.messages.textContent = '';
    const list = el('ol', 'message-list');
    for (const m of this.run?.messages ?? []) {
      const item = el('li', `message ${m.kind}`);
      const head = el('div', 'message-head');
      const parts: string[] = [];
      if (m.rows !== undefined) parts.push(plural(m.rows, 'row'));
      if (m.elapsedMs !== undefined) parts.push(duration(m.elapsedMs));
      head.append(el('span', 'message-text', m.text), el('span', 'message-meta', parts.join(' · ')));
      if (m.line !== undefined) {
        const { line, column = 1 } = m;
        const at = el('button', 'message-position', `line ${line}, column ${column}`);
        at.title = 'Show in the editor';
        at.addEventListener('click', () => this.channel.notify('reveal', { line, column }));
        head.append(at);
      }
      item.append(head, el('pre', 'message-sql', m.statement));
      list.append(item);
    }
    if (!this.run?.messages.length) list.append(el('li', 'message', 'No messages.'));
    this.messages.append(list);
  }

  private buildToolbar(): void {
    const copyAs = document.createElement('vscode-single-select');
    copyAs.className = 'copy-format';
    copyAs.setAttribute('aria-label', 'Copy format');
    for (const [value, label] of [
      ['csv', 'CSV'],
      ['json', 'JSON'],
      ['markdown', 'Markdown'],
      ['insert', 'INSERT statements'],
      ['tsv', 'TSV'],
    ]) {
      const option = document.createElement('vscode-option');
      option.setAttribute('value', value!);
      option.textContent = label!;
      copyAs.append(option);
    }
    const copyButton = document.createElement('vscode-button');
    copyButton.className = 'copy-as';
    copyButton.textContent = 'Copy as';
    copyButton.setAttribute('secondary', '');
    copyButton.addEventListener('click', () => void this.copy(copyAs.value as CopyFormat));

    const exportAs = document.createElement('vscode-single-select');
    exportAs.className = 'export-format';
    exportAs.setAttribute('aria-label', 'Export format');
    for (const [value, label] of [
      ['csv', 'CSV'],
      ['parquet', 'Parquet'],
      ['json', 'JSON'],
    ]) {
      const option = document.createElement('vscode-option');
      option.setAttribute('value', value!);
      option.textContent = label!;
      exportAs.append(option);
    }
    const exportButton = document.createElement('vscode-button');
    exportButton.className = 'export';
    exportButton.textContent = 'Export…';
    exportButton.setAttribute('secondary', '');
    exportButton.addEventListener('click', () => void this.exportResult(exportAs.value as ExportFormat));

    const statsButton = document.createElement('vscode-button');
    statsButton.className = 'stats-toggle';
    statsButton.textContent = 'Column summary';
    statsButton.title = 'Summary of the current column (Alt+I)';
    statsButton.setAttribute('secondary', '');
    statsButton.addEventListener('click', () => this.toggleStats());

    const copyGroup = el('span', 'group');
    copyGroup.append(copyButton, copyAs);
    const resultGroup = el('span', 'group');
    resultGroup.append(...this.resultActions());
    const exportGroup = el('span', 'group');
    exportGroup.append(exportButton, exportAs);
    const modes = el('span', 'group view-switch');
    modes.setAttribute('role', 'group');
    modes.setAttribute('aria-label', 'Show as');
    this.gridButton.title = 'Show the rows';
    this.chartButton.title = 'Chart the whole result (computed by DuckDB)';
    this.gridButton.addEventListener('click', () => void this.setMode(false));
    this.chartButton.addEventListener('click', () => void this.setMode(true));
    modes.append(this.gridButton, this.chartButton);
    this.toolbar.append(modes, copyGroup, exportGroup, statsButton, resultGroup, this.chips, this.notice);
  }

  /** Pin… and Compare… of the shown result: the host asks for a name, or the other result and keys. */
  private resultActions(): HTMLElement[] {
    return (
      [
        ['pin', 'Pin…', 'Keep this result past later runs, under a name'],
        ['compare', 'Compare…', 'Compare this result with a pinned one or another of the latest run'],
      ] as const
    ).map(([method, label, title]) => {
      const button = document.createElement('vscode-button');
      button.className = `result-${method}`;
      button.textContent = label;
      button.title = title;
      button.setAttribute('secondary', '');
      button.addEventListener('click', () => {
        const resultId = this.tabs[this.active]?.result.resultId;
        if (resultId) this.channel.notify(method, { resultId });
      });
      return button;
    });
  }

  private renderStatus(): void {
    const tab = this.grid.state;
    if (this.active >= this.tabs.length || !tab) {
      const errors = this.run?.messages.filter((m) => m.kind === 'error').length ?? 0;
      this.status.textContent = this.run
        ? `${plural(this.tabs.length, 'result')} · ${plural(this.run.messages.length, 'message')}${errors ? ` · ${plural(errors, 'error')}` : ''}`
        : 'No results yet.';
      return;
    }
    const summary = tab.result.summary;
    const total = this.grid.totalRows;
    const filtered = (tab.view.filters?.length ?? 0) > 0;
    const parts = [
      filtered
        ? `${total.toLocaleString('en-US')} of ${plural(summary.rowCount, 'row')}`
        : `${plural(summary.rowCount, 'row')}${summary.complete ? '' : ' so far'}`,
      duration(summary.elapsedMs),
    ];
    const charting = this.chartOpen.has(tab.result.resultId);
    const { first, last } = this.grid.visibleRows;
    if (last > first && !charting)
      parts.push(`rows ${(first + 1).toLocaleString('en-US')}–${last.toLocaleString('en-US')} visible`);
    const sel = this.grid.selection;
    if (sel && !charting && (sel.r1 > sel.r0 || sel.c1 > sel.c0)) {
      parts.push(`${plural(sel.r1 - sel.r0 + 1, 'row')} × ${plural(sel.c1 - sel.c0 + 1, 'column')} selected`);
    }
    const sort = tab.view.sort?.[0];
    if (sort)
      parts.push(`sorted by ${this.grid.columns[sort.column]?.name} ${sort.direction === 'asc' ? '▲' : '▼'}`);
    if (this.busy) parts.push(this.busy);
    this.status.textContent = parts.join(' · ');
  }

  private showNotice(message: string): void {
    this.notice.textContent = message;
    this.notice.classList.add('visible');
    setTimeout(() => {
      if (this.notice.textContent === message) this.notice.classList.remove('visible');
    }, 6000);
  }

  private async withBusy<T>(label: string, work: () => Promise<T>): Promise<T | undefined> {
    this.busy = label;
    this.renderStatus();
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof CancelledError)) this.showNotice((err as Error).message);
      return undefined;
    } finally {
      this.busy = '';
      this.renderStatus();
    }
  }

  private async setView(view: ResultView): Promise<void> {
    await this.withBusy('Sorting and filtering…', () => this.grid.setView(view));
    this.renderChips();
    this.persist();
    if (!this.statsPanel.hidden && this.statsColumn !== undefined) void this.loadStats(this.statsColumn);
  }

  private async cycleSort(column: number): Promise<void> {
    const tab = this.grid.state;
    if (!tab) return;
    const current = tab.view.sort?.find((s) => s.column === column);
    const sort =
      current === undefined
        ? [{ column, direction: 'asc' as const }]
        : current.direction === 'asc'
          ? [{ column, direction: 'desc' as const }]
          : [];
    await this.setView({ ...tab.view, sort });
  }

  private renderChips(): void {
    this.chips.textContent = '';
    const tab = this.grid.state;
    for (const [i, f] of (tab?.view.filters ?? []).entries()) {
      const name = this.grid.columns[f.column]?.name ?? '?';
      const text =
        f.op === 'equals'
          ? `${name} = ${f.value}`
          : f.op === 'contains'
            ? `${name} contains ${f.value}`
            : f.op === 'range'
              ? `${f.min ?? '…'} ≤ ${name} ≤ ${f.max ?? '…'}`
              : f.op === 'isNull'
                ? `${name} is NULL`
                : `${name} is not NULL`;
      const chip = el('button', 'chip', `${text} ✕`);
      chip.title = 'Remove this filter';
      chip.addEventListener('click', () => {
        const filters = [...(tab!.view.filters ?? [])];
        filters.splice(i, 1);
        void this.setView({ ...tab!.view, filters });
      });
      this.chips.append(chip);
    }
  }

  /** Shows the active result as a grid or as a chart. */
  private async setMode(chart: boolean): Promise<void> {
    const tab = this.tabs[this.active];
    if (!tab) return;
    if (chart) this.chartOpen.add(tab.result.resultId);
    else this.chartOpen.delete(tab.result.resultId);
    this.persist();
    await this.showMode();
  }

  private async showMode(): Promise<void> {
    const tab = this.tabs[this.active];
    const chart = tab !== undefined && this.chartOpen.has(tab.result.resultId);
    this.gridButton.setAttribute('aria-pressed', String(!chart));
    this.chartButton.setAttribute('aria-pressed', String(chart));
    this.toolbar.classList.toggle('charting', chart);
    this.renderStatus();
    this.gridBox.hidden = chart;
    this.chartPanel.element.hidden = !chart;
    if (chart) this.statsPanel.hidden = true;
    if (!chart || !tab) {
      this.chartPanel.hide();
      return;
    }
    await this.chartPanel.show(
      tab.result.resultId,
      tab.result.summary.columns,
      tab.view,
      this.charts.get(tab.result.resultId),
    );
  }

  private closePopover(): void {
    if (this.popover.hidden) return;
    this.popover.hidden = true;
    this.popover.textContent = '';
    this.grid.table.focus({ preventScroll: true });
  }

  private place(anchor: HTMLElement): void {
    const box = anchor.getBoundingClientRect();
    this.popover.hidden = false;
    const width = this.popover.offsetWidth;
    this.popover.style.left = `${Math.max(4, Math.min(box.left, window.innerWidth - width - 8))}px`;
    this.popover.style.top = `${Math.min(box.bottom + 2, window.innerHeight - this.popover.offsetHeight - 8)}px`;
  }

  private openFilter(column: number, anchor: HTMLElement): void {
    const tab = this.grid.state;
    const col = this.grid.columns[column];
    if (!tab || !col) return;
    this.popover.textContent = '';
    this.popover.className = 'popover filter';
    this.popover.setAttribute('role', 'dialog');
    this.popover.setAttribute('aria-label', `Filter ${col.name}`);
    const existing = tab.view.filters?.find((f) => f.column === column);
    const title = el('div', 'popover-title', `Filter ${col.name}`);
    const op = document.createElement('vscode-single-select');
    op.className = 'filter-op';
    op.setAttribute('aria-label', 'Condition');
    for (const [value, label] of [
      ['equals', 'equals'],
      ['contains', 'contains'],
      ['range', 'between'],
      ['isNull', 'is NULL'],
      ['notNull', 'is not NULL'],
    ]) {
      const option = document.createElement('vscode-option');
      option.setAttribute('value', value!);
      option.textContent = label!;
      if (existing?.op === value) option.setAttribute('selected', '');
      op.append(option);
    }
    const value = document.createElement('vscode-textfield');
    value.className = 'filter-value';
    value.setAttribute('placeholder', 'value');
    value.setAttribute('aria-label', 'Value');
    const max = document.createElement('vscode-textfield');
    max.className = 'filter-max';
    max.setAttribute('placeholder', 'to');
    max.setAttribute('aria-label', 'Upper bound');
    if (existing?.op === 'equals' || existing?.op === 'contains') value.value = existing.value;
    if (existing?.op === 'range') {
      value.value = existing.min ?? '';
      max.value = existing.max ?? '';
    }
    const sync = (): void => {
      const o = op.value;
      value.hidden = o === 'isNull' || o === 'notNull';
      max.hidden = o !== 'range';
      value.setAttribute('placeholder', o === 'range' ? 'from' : 'value');
    };
    op.addEventListener('change', sync);
    const apply = document.createElement('vscode-button');
    apply.className = 'filter-apply';
    apply.textContent = 'Apply';
    const clear = document.createElement('vscode-button');
    clear.className = 'filter-clear';
    clear.textContent = 'Clear';
    clear.setAttribute('secondary', '');
    const submit = (): void => {
      const o = op.value as FilterSpec['op'];
      const spec: FilterSpec =
        o === 'range'
          ? { column, op: 'range', min: value.value || undefined, max: max.value || undefined }
          : o === 'isNull' || o === 'notNull'
            ? { column, op: o }
            : { column, op: o, value: value.value };
      const filters = (tab.view.filters ?? []).filter((f) => f.column !== column).concat([spec]);
      this.closePopover();
      void this.setView({ ...tab.view, filters });
    };
    apply.addEventListener('click', submit);
    clear.addEventListener('click', () => {
      this.closePopover();
      void this.setView({
        ...tab.view,
        filters: (tab.view.filters ?? []).filter((f) => f.column !== column),
      });
    });
    this.popover.onkeydown = (e) => {
      if (e.key === 'Enter' && !(e.target as HTMLElement).closest('vscode-single-select, vscode-button'))
        submit();
    };
    const buttons = el('div', 'popover-buttons');
    buttons.append(apply, clear);
    this.popover.append(title, op, value, max, buttons);
    sync();
    this.place(anchor);
    requestAnimationFrame(() => (value.hidden ? op : value).focus());
  }

  private showValue(row: number, column: number): void {
    const col = this.grid.columns[column];
    const cell = this.grid.cell(row, column);
    if (!col || cell === undefined) return;
    this.popover.onkeydown = null;
    this.popover.textContent = '';
    this.popover.className = 'popover value';
    this.popover.setAttribute('role', 'dialog');
    this.popover.setAttribute('aria-label', `Value of ${col.name}`);
    const title = el(
      'div',
      'popover-title',
      `${col.name} · row ${(row + 1).toLocaleString('en-US')} · ${col.type}`,
    );
    const text =
      cell === null ? 'NULL' : typeof cell === 'object' ? JSON.stringify(cell, null, 2) : cellText(cell);
    const body = el('pre', cell === null ? 'value-text null' : 'value-text', text);
    body.tabIndex = 0;
    const copy = document.createElement('vscode-button');
    copy.textContent = 'Copy value';
    copy.addEventListener('click', () => void navigator.clipboard.writeText(cell === null ? '' : text));
    const close = document.createElement('vscode-button');
    close.textContent = 'Close';
    close.setAttribute('secondary', '');
    close.addEventListener('click', () => this.closePopover());
    const buttons = el('div', 'popover-buttons');
    buttons.append(copy, close);
    this.popover.append(title, body, buttons);
    const anchor = this.grid.table.querySelector<HTMLElement>(
      `td[data-row="${row}"][data-column="${column}"]`,
    );
    this.place(anchor ?? this.gridBox);
    requestAnimationFrame(() => body.focus());
  }

  private toggleStats(): void {
    this.statsPanel.hidden = !this.statsPanel.hidden;
    if (!this.statsPanel.hidden) void this.loadStats(this.grid.state?.cursor.c ?? 0);
    else this.grid.table.focus({ preventScroll: true });
    void this.grid.table.draw();
  }

  private async loadStats(column: number): Promise<void> {
    const tab = this.grid.state;
    const col = this.grid.columns[column];
    if (!tab || !col) return;
    this.statsColumn = column;
    this.statsRequest?.cancel();
    this.statsPanel.textContent = '';
    this.statsPanel.append(el('h2', undefined, col.name), el('div', 'stats-loading', 'Computing…'));
    const id = new CancellationTokenSource();
    const result = this.channel.request(
      'stats',
      { resultId: tab.result.resultId, column, view: tab.view },
      id.token,
    );
    this.statsRequest = id;
    try {
      this.renderStats(col.name, await result);
    } catch (err) {
      if (!(err instanceof CancelledError)) {
        this.statsPanel.textContent = '';
        this.statsPanel.append(el('h2', undefined, col.name), el('div', 'error', (err as Error).message));
      }
    } finally {
      if (this.statsRequest === id) this.statsRequest = undefined;
      id.dispose();
    }
  }

  private renderStats(name: string, stats: ColumnStats): void {
    this.statsPanel.textContent = '';
    const close = el('button', 'stats-close', '✕');
    close.title = 'Close the summary';
    close.addEventListener('click', () => this.toggleStats());
    const heading = el('h2', undefined, name);
    heading.append(close);
    const facts = el('dl');
    const add = (label: string, value: string): void => {
      facts.append(el('dt', undefined, label), el('dd', undefined, value));
    };
    add('Type', stats.type);
    add('Rows', stats.count.toLocaleString('en-US'));
    add(
      'Nulls',
      `${stats.nulls.toLocaleString('en-US')}${stats.count ? ` (${((stats.nulls / stats.count) * 100).toFixed(1)}%)` : ''}`,
    );
    add('Distinct ≈', stats.distinctEstimate.toLocaleString('en-US'));
    add('Min', stats.min ?? 'NULL');
    add('Max', stats.max ?? 'NULL');
    if (stats.mean !== null) add('Mean', stats.mean.toLocaleString('en-US', { maximumFractionDigits: 4 }));
    const histogram = el('div', 'histogram');
    histogram.setAttribute('aria-label', 'Histogram');
    const top = Math.max(1, ...stats.histogram.map((b) => b.count));
    for (const bucket of stats.histogram) {
      const row = el('div', 'bucket');
      row.title = `${bucket.label}: ${bucket.count.toLocaleString('en-US')}`;
      const bar = el('span', 'bar');
      bar.style.width = `${Math.max(1, (bucket.count / top) * 100)}%`;
      row.append(
        el('span', 'bucket-label', bucket.label),
        bar,
        el('span', 'bucket-count', bucket.count.toLocaleString('en-US')),
      );
      histogram.append(row);
    }
    this.statsPanel.append(heading, facts, histogram);
  }

  private selectionParams(): { rows: { start: number; end: number }; columns: number[] } | undefined {
    const sel = this.grid.selection;
    if (!sel) return undefined;
    const columns: number[] = [];
    for (let c = sel.c0; c <= sel.c1; c++) columns.push(c);
    return { rows: { start: sel.r0, end: sel.r1 + 1 }, columns };
  }

  private onCopy(event: ClipboardEvent): void {
    const target = event.target as Node | null;
    if (!this.grid.table.contains(target) && target !== document.body && target !== this.grid.table) return;
    const picked = this.selectionParams();
    if (!picked || this.active >= this.tabs.length) return;
    event.preventDefault();
    const tab = this.grid.state!;
    const { rows, columns } = picked;
    const count = rows.end - rows.start;
    if (count <= LOCAL_COPY_ROWS && tab.cache?.has(rows.start, rows.end)) {
      const data = [];
      for (let r = rows.start; r < rows.end; r++) data.push(columns.map((c) => this.grid.cell(r, c) ?? null));
      const text = formatRows(
        columns.map((c) => this.grid.columns[c]!),
        data,
        'tsv',
      );
      event.clipboardData?.setData('text/plain', text);
      this.showNotice(`Copied ${plural(count, 'row')}.`);
      return;
    }
    void this.copy('tsv');
  }

  private async copy(format: CopyFormat): Promise<void> {
    const tab = this.grid.state;
    const picked = this.selectionParams();
    if (!tab || !picked) return;
    const answer = await this.withBusy('Copying…', async () => {
      const copied = await this.channel.request('copy', {
        resultId: tab.result.resultId,
        view: tab.view,
        format,
        ...picked,
      });
      await navigator.clipboard.writeText(copied.text);
      return copied;
    });
    if (answer) {
      this.showNotice(
        answer.truncated
          ? `Copied the first ${plural(answer.rows, 'row')} of the selection.`
          : `Copied ${plural(answer.rows, 'row')} as ${format.toUpperCase()}.`,
      );
    }
  }

  private async exportResult(format: ExportFormat): Promise<void> {
    const tab = this.grid.state;
    if (!tab) return;
    const answer = await this.withBusy('Exporting…', () => {
      return this.channel.request('export', { resultId: tab.result.resultId, view: tab.view, format });
    });
    if (answer?.saved) this.showNotice(`Exported to ${answer.target ?? 'file'}.`);
  }
}
