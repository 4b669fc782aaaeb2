import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import { closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, foldGutter } from '@codemirror/language';
import { lintGutter, type Diagnostic } from '@codemirror/lint';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { Compartment, EditorSelection, EditorState } from '@codemirror/state';
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from '@codemirror/view';
import type { NotificationHandlers, RequestHandlers } from '../../../src/shared/channel.js';
import type {
  DocumentPosition,
  WorksheetMarker,
  WorksheetProtocol,
  WorksheetRequests,
  WorksheetSession,
} from '../../../src/shared/protocol.js';
import { App } from '../app.js';
import type { ChartSpec } from '../../../src/shared/chart.js';
import { vscodeApi, WebviewChannel } from '../channel.js';
import { DocSync, fromHost } from './docSync.js';
import { WorksheetLanguageFeatures } from './languageFeatures.js';
import { duckdbSql, sqlTheme } from './sqlLanguage.js';
import { el } from '../dom.js';

interface WorksheetState {
  /** Share of the height the editor takes (0.1–0.9). */
  split?: number;
  /** The results grid's own state. */
  grid?: unknown;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const theme = EditorView.theme({
  ...sqlTheme,
  '&': {
    height: '100%',
    color: 'var(--vscode-editor-foreground)',
    backgroundColor: 'var(--vscode-editor-background)',
    fontSize: 'var(--vscode-editor-font-size, 13px)',
  },
  '.cm-scroller': { fontFamily: 'var(--vscode-editor-font-family, monospace)', lineHeight: '1.5' },
  '.cm-content': { caretColor: 'var(--vscode-editorCursor-foreground)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--vscode-editorCursor-foreground)' },
  '&.cm-focused': { outline: 'none' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--vscode-editor-selectionBackground) !important',
  },
  '.cm-activeLine': { backgroundColor: 'var(--vscode-editor-lineHighlightBackground, transparent)' },
  '.cm-gutters': {
    backgroundColor: 'var(--vscode-editorGutter-background, var(--vscode-editor-background))',
    color: 'var(--vscode-editorLineNumber-foreground)',
    border: 'none',
  },
  '.cm-activeLineGutter': {
    backgroundColor: 'transparent',
    color: 'var(--vscode-editorLineNumber-activeForeground)',
  },
  '.cm-matchingBracket, &.cm-focused .cm-matchingBracket': {
    backgroundColor: 'var(--vscode-editorBracketMatch-background)',
    outline: '1px solid var(--vscode-editorBracketMatch-border)',
  },
  '.cm-searchMatch': { backgroundColor: 'var(--vscode-editor-findMatchHighlightBackground)' },
  '.cm-searchMatch-selected': { backgroundColor: 'var(--vscode-editor-findMatchBackground)' },
  '.cm-selectionMatch': { backgroundColor: 'var(--vscode-editor-selectionHighlightBackground)' },
  '.cm-panels': {
    backgroundColor: 'var(--vscode-editorWidget-background)',
    color: 'var(--vscode-editorWidget-foreground)',
  },
  '.cm-panels input, .cm-panels button': { font: 'inherit', color: 'inherit' },
  '.cm-tooltip': {
    backgroundColor: 'var(--vscode-editorSuggestWidget-background, var(--vscode-editorWidget-background))',
    color: 'var(--vscode-editorSuggestWidget-foreground, var(--vscode-editorWidget-foreground))',
    border: '1px solid var(--vscode-editorSuggestWidget-border, var(--vscode-editorWidget-border, #454545))',
    boxShadow: '0 2px 8px var(--vscode-widget-shadow, rgba(0, 0, 0, 0.36))',
  },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': {
    backgroundColor:
      'var(--vscode-editorSuggestWidget-selectedBackground, var(--vscode-list-activeSelectionBackground, #04395e))',
    color:
      'var(--vscode-editorSuggestWidget-selectedForeground, var(--vscode-list-activeSelectionForeground))',
  },
  '.cm-lintRange-error': {
    backgroundImage: 'none',
    textDecoration: 'underline wavy var(--vscode-editorError-foreground, #f14c4c)',
    textUnderlineOffset: '3px',
  },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--vscode-editorError-foreground, #f14c4c)' },
  '.cm-lintRange-warning': {
    backgroundImage: 'none',
    textDecoration: 'underline wavy var(--vscode-editorWarning-foreground, #cca700)',
    textUnderlineOffset: '3px',
  },
  '.cm-diagnostic-warning': { borderLeftColor: 'var(--vscode-editorWarning-foreground, #cca700)' },
  '.ws-hover, .ws-signature': {
    padding: '4px 8px',
    maxWidth: '640px',
    maxHeight: '320px',
    overflow: 'auto',
    fontFamily: 'var(--vscode-font-family, sans-serif)',
    fontSize: 'var(--vscode-font-size, 13px)',
  },
  '.ws-hover p': { margin: '4px 0' },
  '.ws-hover pre, .ws-hover code, .ws-signature-label': {
    fontFamily: 'var(--vscode-editor-font-family, monospace)',
  },
  '.ws-hover pre': { margin: '4px 0', whiteSpace: 'pre-wrap' },
  '.ws-hover table': { borderCollapse: 'collapse', margin: '4px 0' },
  '.ws-hover th, .ws-hover td': { textAlign: 'left', padding: '1px 8px 1px 0' },
  '.ws-signature-active': { color: 'var(--vscode-editorHoverWidget-highlightForeground, #4daafc)' },
  '.ws-signature-count, .ws-signature-doc': { color: 'var(--vscode-descriptionForeground, #9d9d9d)' },
  '.ws-completion-info': { maxWidth: '400px', whiteSpace: 'pre-wrap' },
});

/** The worksheet webview: toolbar, SQL editor, a resizable split and the results grid below. */
export class Worksheet {
  private readonly vscode = vscodeApi();
  private readonly channel = new WebviewChannel<WorksheetProtocol>(this.vscode);
  private readonly sync: DocSync;
  readonly view: EditorView;
  private readonly editable = new Compartment();
  private readonly toolbar = el('div', 'ws-toolbar');
  private readonly editorBox = el('div', 'ws-editor');
  private readonly splitter = el('div', 'ws-splitter');
  private readonly results = el('div', 'ws-results');
  private readonly runButton = document.createElement('vscode-button');
  private readonly runAllButton = document.createElement('vscode-button');
  private readonly cancelButton = document.createElement('vscode-button');
  private readonly formatButton = document.createElement('vscode-button');
  private readonly databasePicker = document.createElement('vscode-single-select');
  private readonly schemaPicker = document.createElement('vscode-single-select');
  private readonly badge = document.createElement('vscode-badge');
  private readonly elapsed = el('span', 'ws-elapsed');
  private state: WorksheetState;
  private running = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private selectionTimer: ReturnType<typeof setTimeout> | undefined;
  private session: WorksheetSession | undefined;
  private readonly language = new WorksheetLanguageFeatures({
    at: async (method, state, offset) => {
      const version = await this.settledVersion(state);
      if (version === undefined) return undefined;
      // One of completion, hover or signatureHelp: each takes a position and answers its own result.
      const ask = this.channel.request as unknown as (
        m: typeof method,
        p: DocumentPosition,
      ) => Promise<WorksheetRequests[typeof method]['result']>;
      return ask(method, { version, offset }).catch(() => undefined);
    },
    diagnostics: async (state) => {
      const version = await this.settledVersion(state);
      if (version === undefined) return undefined;
      return this.channel.request('diagnostics', { version }).then(
        (r) => r.diagnostics,
        () => undefined,
      );
    },
  });

  constructor(root: HTMLElement) {
    this.state = (this.vscode.getState() as WorksheetState | undefined) ?? {};
    this.sync = new DocSync(
      () => this.view,
      (method, params) => this.channel.notify(method, params),
    );
    this.buildToolbar();
    this.splitter.setAttribute('role', 'separator');
    this.splitter.setAttribute('aria-orientation', 'horizontal');
    this.splitter.setAttribute('aria-label', 'Resize the editor and the results');
    this.splitter.tabIndex = 0;
    this.results.setAttribute('aria-label', 'Results');
    root.append(this.toolbar, this.editorBox, this.splitter, this.results);
    this.view = this.createEditor();
    this.applySplit(this.state.split ?? 0.45);
    this.wireSplitter();
    document.addEventListener('keydown', (e) => {
      // Run keys work from anywhere in the worksheet, not only inside the editor.
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && !this.view.hasFocus) {
        e.preventDefault();
        void this.execute(e.shiftKey ? 'all' : 'statement');
      }
    });
    const grid = new App(
      this.results,
      {
        getState: () => this.state.grid,
        setState: (s) => {
          this.state.grid = s;
          this.persist();
        },
      },
      this.channel,
      {
        load: (position) => this.charts[String(position)],
        save: (position, spec) => {
          this.charts[String(position)] = spec;
          this.channel.notify('chart', { position, spec });
        },
      },
    );
    // One channel for the page: the grid's notifications and the worksheet's; `ready` goes out now.
    this.channel.serve({
      requests: this.requests,
      notifications: {
        ...grid.notifications,
        ...this.notifications,
        run: (p) => {
          // A run may have changed the catalog (DDL): check the document again.
          this.language.scheduleLint();
          grid.notifications.run(p);
        },
      },
    });
  }

  /** The document version the editor is based on (-1 until the host sent the document). */
  get syncVersion(): number {
    return this.sync.version;
  }

  /** True when every keystroke is in the host's document. */
  get synced(): boolean {
    return this.sync.idle;
  }

  private persist(): void {
    this.vscode.setState(this.state);
  }

  private createEditor(): EditorView {
    const nonce = document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce;
    return new EditorView({
      parent: this.editorBox,
      state: EditorState.create({
        doc: '',
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightSpecialChars(),
          foldGutter(),
          drawSelection(),
          dropCursor(),
          EditorState.allowMultipleSelections.of(true),
          bracketMatching(),
          closeBrackets(),
          rectangularSelection(),
          crosshairCursor(),
          highlightActiveLine(),
          highlightSelectionMatches(),
          search({ top: true }),
          lintGutter(),
          duckdbSql(),
          ...this.language.extensions(),
          keymap.of([
            { key: 'Mod-Enter', run: () => (void this.execute('statement'), true), preventDefault: true },
            { key: 'Shift-Mod-Enter', run: () => (void this.execute('all'), true), preventDefault: true },
            { key: 'Shift-Alt-f', run: () => (this.format(), true) },
            ...closeBracketsKeymap,
            ...searchKeymap,
            ...completionKeymap,
            ...defaultKeymap,
            indentWithTab,
          ]),
          this.editable.of([EditorState.readOnly.of(true)]),
          theme,
          EditorView.contentAttributes.of({ 'aria-label': 'SQL' }),
          ...(nonce ? [EditorView.cspNonce.of(nonce)] : []),
          EditorView.updateListener.of((update) => {
            for (const tr of update.transactions) {
              if (tr.docChanged && !tr.annotation(fromHost)) this.sync.local(tr.changes);
            }
            if (update.selectionSet) this.selectionMoved();
          }),
        ],
      }),
    });
  }

  private button(b: HTMLElement, label: string, title: string, run: () => void): void {
    b.textContent = label;
    b.title = title;
    b.addEventListener('click', run);
  }

  private buildToolbar(): void {
    this.toolbar.setAttribute('role', 'toolbar');
    this.toolbar.setAttribute('aria-label', 'Worksheet');
    const mod = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl';
    this.button(
      this.runButton,
      'Run',
      `Run the statement at the cursor or the selection (${mod}+Enter)`,
      () => void this.execute('statement'),
    );
    this.runButton.className = 'ws-run';
    this.button(
      this.runAllButton,
      'Run All',
      `Run every statement (${mod}+Shift+Enter)`,
      () => void this.execute('all'),
    );
    this.runAllButton.className = 'ws-run-all';
    this.runAllButton.setAttribute('secondary', '');
    this.button(this.cancelButton, 'Cancel', 'Cancel the running query', () =>
      this.channel.notify('cancelRun', {}),
    );
    this.cancelButton.className = 'ws-cancel';
    this.cancelButton.setAttribute('secondary', '');
    this.cancelButton.setAttribute('disabled', '');
    this.button(this.formatButton, 'Format', 'Format the SQL (Shift+Alt+F)', () => this.format());
    this.formatButton.className = 'ws-format';
    this.formatButton.setAttribute('secondary', '');
    this.databasePicker.className = 'ws-database';
    this.databasePicker.setAttribute('aria-label', 'Database');
    this.databasePicker.title = 'Database for unqualified names';
    this.schemaPicker.className = 'ws-schema';
    this.schemaPicker.setAttribute('aria-label', 'Schema');
    this.schemaPicker.title = 'Schema for unqualified names';
    this.databasePicker.addEventListener('change', () => {
      const database = this.databasePicker.value;
      if (database && database !== this.session?.database) this.channel.notify('use', { database });
    });
    this.schemaPicker.addEventListener('change', () => {
      const schema = this.schemaPicker.value;
      if (this.session && schema && schema !== this.session.schema)
        this.channel.notify('use', { database: this.session.database, schema });
    });
    this.badge.className = 'ws-transaction';
    this.badge.hidden = true;
    this.elapsed.setAttribute('role', 'status');
    const group = el('span', 'ws-group');
    group.append(this.runButton, this.runAllButton, this.cancelButton, this.formatButton);
    const pickers = el('span', 'ws-group');
    pickers.append(this.databasePicker, this.schemaPicker);
    this.toolbar.append(group, pickers, this.badge, this.elapsed);
  }

  private applySplit(share: number): void {
    const s = Math.min(0.9, Math.max(0.1, share));
    this.state.split = s;
    this.editorBox.style.flexBasis = `${(s * 100).toFixed(2)}%`;
    this.splitter.setAttribute('aria-valuenow', String(Math.round(s * 100)));
    this.splitter.setAttribute('aria-valuemin', '10');
    this.splitter.setAttribute('aria-valuemax', '90');
  }

  private wireSplitter(): void {
    const area = (): DOMRect => {
      const top = this.editorBox.getBoundingClientRect();
      const bottom = this.results.getBoundingClientRect();
      return new DOMRect(0, top.top, 0, bottom.bottom - top.top);
    };
    this.splitter.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      this.splitter.setPointerCapture(e.pointerId);
      const box = area();
      const move = (ev: PointerEvent): void => this.applySplit((ev.clientY - box.top) / box.height);
      const up = (): void => {
        this.splitter.removeEventListener('pointermove', move);
        this.splitter.removeEventListener('pointerup', up);
        this.persist();
        window.dispatchEvent(new Event('resize'));
      };
      this.splitter.addEventListener('pointermove', move);
      this.splitter.addEventListener('pointerup', up);
    });
    this.splitter.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowUp' ? -0.05 : e.key === 'ArrowDown' ? 0.05 : 0;
      if (!step) return;
      e.preventDefault();
      this.applySplit((this.state.split ?? 0.45) + step);
      this.persist();
      window.dispatchEvent(new Event('resize'));
    });
  }

  /** Requests the host sends this page. */
  private readonly requests: RequestHandlers<WorksheetProtocol['hostRequests']> = {
    // A palette command: the selection once every keystroke before it is in the document.
    selection: async () => {
      await this.sync.settled();
      const { from, to } = this.view.state.selection.main;
      return { from, to };
    },
  };

  /** Chart settings kept with the worksheet, by result position (the host sends them before a run). */
  private charts: Record<string, ChartSpec> = {};

  private readonly notifications: Omit<
    NotificationHandlers<WorksheetProtocol['toWebview']>,
    'run' | 'summary'
  > = {
    init: ({ text, version }) => {
      this.view.dispatch({ effects: this.editable.reconfigure([]) });
      this.sync.init(text, version);
    },
    changed: ({ version, changes }) => this.sync.changed(version, changes),
    ack: ({ version }) => this.sync.ack(version),
    reject: ({ version }) => this.sync.reject(version),
    reset: ({ version, text, retry }) => this.sync.reset(version, text, retry),
    runState: ({ running, startedAt, elapsedMs }) => this.setRunning(running, startedAt, elapsedMs),
    session: ({ session }) => this.showSession(session),
    markers: ({ markers }) => this.showMarkers(markers),
    select: ({ line: at, column }) => {
      const doc = this.view.state.doc;
      const line = doc.line(Math.min(Math.max(1, at), doc.lines));
      const pos = Math.min(line.to, line.from + Math.max(0, column - 1));
      this.view.dispatch({ selection: EditorSelection.cursor(pos), scrollIntoView: true });
      this.view.focus();
    },
    charts: ({ charts }) => {
      this.charts = { ...charts };
    },
  };

  /** The document version `state` is once every keystroke is in it; undefined if the editor moved on. */
  private async settledVersion(state: EditorState): Promise<number | undefined> {
    if (this.sync.version < 0) return undefined;
    await this.sync.settled();
    return this.view.state.doc === state.doc ? this.sync.version : undefined;
  }

  /** Sends the run once every keystroke is in the document, so the host runs what is on screen. */
  private async execute(mode: 'statement' | 'all'): Promise<void> {
    if (this.running || this.sync.version < 0) return;
    await this.sync.settled();
    const { from, to } = this.view.state.selection.main;
    this.channel.notify('execute', { mode, from, to });
  }

  /** Tells the host where the cursor is (id 0), so a palette command has it even if an answer is late. */
  private selectionMoved(): void {
    if (this.selectionTimer) clearTimeout(this.selectionTimer);
    this.selectionTimer = setTimeout(() => {
      this.selectionTimer = undefined;
      const { from, to } = this.view.state.selection.main;
      this.channel.notify('selection', { from, to });
    }, 150);
  }

  private format(): void {
    void this.sync.settled().then(() => this.channel.notify('format', {}));
  }

  private setRunning(running: boolean, startedAt?: number, elapsedMs?: number): void {
    this.running = running;
    this.toolbar.classList.toggle('running', running);
    for (const b of [this.runButton, this.runAllButton]) b.toggleAttribute('disabled', running);
    this.cancelButton.toggleAttribute('disabled', !running);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (running) {
      const start = performance.now() - (startedAt ? Math.max(0, Date.now() - startedAt) : 0);
      const tick = (): void => {
        this.elapsed.textContent = `Running… ${seconds(performance.now() - start)}`;
      };
      tick();
      this.timer = setInterval(tick, 100);
    } else if (elapsedMs !== undefined) {
      this.elapsed.textContent = `Ran in ${seconds(elapsedMs)}`;
    }
  }

  private showSession(session: WorksheetSession): void {
    this.session = session;
    const fill = (select: HTMLElement & { value: string }, values: string[], current: string): void => {
      const existing = [...select.querySelectorAll('vscode-option')].map((o) => o.getAttribute('value'));
      if (existing.join('\u0000') !== values.join('\u0000')) {
        select.textContent = '';
        for (const v of values) {
          const option = document.createElement('vscode-option');
          option.setAttribute('value', v);
          option.textContent = v || '(none)';
          select.append(option);
        }
      }
      select.value = current;
    };
    // The session may sit in the warehouse's own results database when there is no database yet.
    const known = session.databases.includes(session.database);
    fill(
      this.databasePicker,
      known ? session.databases : ['', ...session.databases],
      known ? session.database : '',
    );
    fill(this.schemaPicker, known ? session.schemas : [''], known ? session.schema : '');
    const tx = session.transaction;
    this.badge.hidden = !tx.open;
    this.badge.textContent = tx.aborted ? 'Transaction aborted' : 'Transaction open';
    this.badge.classList.toggle('aborted', tx.aborted);
    this.badge.title = tx.aborted
      ? 'A statement failed inside the transaction: only ROLLBACK works now.'
      : 'A transaction is open in this worksheet: COMMIT or ROLLBACK it.';
    this.language.scheduleLint();
  }

  private showMarkers(markers: WorksheetMarker[]): void {
    const length = this.view.state.doc.length;
    const diagnostics: Diagnostic[] = markers.map((m) => ({
      from: Math.min(m.from, length),
      to: Math.min(Math.max(m.to, m.from), length),
      severity: 'error',
      message: m.message,
      source: 'DuckDB',
    }));
    this.language.showRunMarkers(diagnostics);
    const first = diagnostics[0];
    if (first) this.view.dispatch({ selection: EditorSelection.cursor(first.from), scrollIntoView: true });
  }
}
