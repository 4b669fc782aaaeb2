// The host side of the worksheet editor, kept free of `vscode` so the webview tests drive it from plain
// Node over a real engine. The document (a VS Code TextDocument in the extension) stays the model: the
// webview's edits are applied to it, and its other changes are sent to the webview. Runs, the session,
// the transaction and export belong to the RunController: this is a presenter of its runs.
import type { EngineCatalog as Catalog } from '../../engine/api.js';
import type { EngineError } from '../../engine/errors.js';
import type { EngineLanguage as LanguageService } from '../../engine/api.js';
import type { LanguageScope } from '../../engine/language/languageService.js';
import {
  CancellationTokenSource,
  type NotificationHandlers,
  type NotificationMessage,
  type Notify,
  type RequestHandlers,
} from '../../shared/channel.js';
import type {
  DocumentPosition,
  ExportFormat,
  GridHostNotifications,
  TextChange,
  WorksheetMarker,
  WorksheetProtocol,
  WorksheetRequests,
  WorksheetSession,
  WorksheetWebviewNotifications,
} from '../../shared/protocol.js';
import type { ResultSource, ResultView } from '../../shared/results.js';
import type { ChartSpec } from '../../shared/chart.js';
import { lex } from '../../shared/sqlLexer.js';
import { applyChanges, diffText } from '../../shared/textSync.js';
import { GridHost, type GridHostOptions, type GridRun } from '../grid/gridHost.js';
import { HostChannel } from '../webviewChannel.js';
import { RunController, type Run, type Subscription } from '../run/runController.js';

/** The worksheet's text document as the host sees it: LF line breaks, a version that grows on change. */
export interface WorksheetDocument {
  text(): string;
  version(): number;
  /**
   * Applies `changes` (offsets into text()) as one edit; resolves false when the edit was refused, as
   * when the document changed between the call and the edit (VS Code's "model changed in the meantime").
   */
  apply(changes: TextChange[]): Promise<boolean>;
}

/** The language service a worksheet is served by, with the scope names resolve in. */
export interface WorksheetLanguage {
  service: LanguageService;
  /** Database and schema for unqualified names; default: the worksheet session's. */
  scope?: LanguageScope;
  /** False when the user turned diagnostics off. */
  diagnostics?: boolean;
}

export interface WorksheetHostOptions {
  document: WorksheetDocument;
  /** Posts one message to the webview (webview.postMessage); {@link WorksheetHost.handle} takes its replies. */
  post(message: unknown): void;
  /** The one run controller: it owns the document's session, runs, transaction and export. */
  runs: RunController;
  /** The document's session key (its URI). */
  key: string;
  catalog(): Promise<Catalog>;
  /** Formats SQL; absent means Format is unavailable. */
  format?(text: string): Promise<string>;
  /** Writes a result of `run` to a file the user picks (progress and notification); absent: unsupported. */
  exportResult?(
    run: Run,
    resultId: string,
    format: ExportFormat,
    view: ResultView,
  ): Promise<{ saved: boolean; target?: string }>;
  /** Saves a chart image to a file the user picks; absent: unsupported. */
  saveChart?: GridHostOptions['saveChart'];
  /** Chart settings kept with the worksheet (by result position); absent: kept only in the webview. */
  charts?: {
    load(): Promise<Record<string, ChartSpec>>;
    save(position: number, spec: ChartSpec): Promise<void>;
  };
  /** The engine's language service for completion, hover, signature help and diagnostics. */
  language?(): Promise<WorksheetLanguage | undefined>;
  /** Pin… and Compare… of a result in the grid (absent: the buttons do nothing). */
  resultActions?: { pin(resultId: string): void; compare(resultId: string): void };
  /** Shows an error outside the webview (e.g. a failed format). */
  showError?(message: string): void;
  log?(line: string): void;
}

const SUMMARY_REFRESH_MS = 500;
/** How long a palette command waits for the webview to report its selection. */
const SELECTION_WAIT_MS = 10_000;

interface OwnEdit {
  expected: string;
  sawOwn: boolean;
  sawForeign: boolean;
  version: number;
  /** Called when a change event for the document arrives. */
  seen?: () => void;
}

/** How long an applied edit's change event may lag behind applyEdit's answer. */
const OWN_EVENT_WAIT_MS = 2000;

export class WorksheetHost {
  readonly grid: GridHost;
  private readonly channel: HostChannel<WorksheetProtocol>;
  private text: string;
  private queue: Promise<void> = Promise.resolve();
  private own: OwnEdit | undefined;
  private current: { database: string; schema: string } | undefined;
  private watchers: ReturnType<typeof setInterval>[] = [];
  private disposed = false;
  private readonly subscriptions: Subscription[];
  /** Runs already shown with their first rows. */
  private shownFirst: string | undefined;
  /** The selection the webview last reported unasked. */
  private lastSelection = { from: 0, to: 0 };
  /** Selection requests waiting for the webview's answer (cancelled on dispose). */
  private readonly selections = new Set<CancellationTokenSource>();
  private sessionPosting: Promise<void> | undefined;
  private sessionAgain = false;

  constructor(private readonly options: WorksheetHostOptions) {
    this.text = options.document.text();
    this.channel = new HostChannel<WorksheetProtocol>({
      post: options.post,
      log: (line) => this.options.log?.(`worksheet: ${line}`),
    });
    this.grid = new GridHost({
      notify: this.channel.notify as Notify<GridHostNotifications>,
      ...(options.exportResult
        ? { exportResult: (source, format, view) => this.export(source, format, view) }
        : {}),
      ...(options.saveChart ? { saveChart: options.saveChart } : {}),
      reveal: (line, column) => this.post({ type: 'select', line, column }),
      ...(options.resultActions
        ? {
            resultActions: {
              pin: (source) => options.resultActions!.pin(source.summary().resultId),
              compare: (source) => options.resultActions!.compare(source.summary().resultId),
            },
          }
        : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    const runs = options.runs;
    const mine = (run: Run): boolean => run.key === options.key;
    this.subscriptions = [
      runs.claim(options.key),
      runs.onDidStartRun((run) => mine(run) && this.started(run)),
      runs.onDidUpdateRun((run) => mine(run) && this.updated(run)),
      runs.onDidFinishRun((run) => mine(run) && this.finished(run)),
      runs.onDidChangeState((key) => key === options.key && void this.postSession()),
    ];
    this.channel.serve({
      requests: { ...this.grid.requests, ...this.requests },
      notifications: { ...this.grid.notifications, ...this.notifications },
      ready: () => {
        this.ready();
        if (!this.options.charts) {
          this.grid.ready();
          return;
        }
        // The kept chart settings go first, so the run's results open with them.
        void this.options.charts
          .load()
          .catch((e: unknown) => {
            this.options.log?.(
              `worksheet: chart settings could not be read (${e instanceof Error ? e.name : 'error'})`,
            );
            return {};
          })
          .then((charts) => {
            if (this.disposed) return;
            this.channel.notify('charts', { charts });
            this.grid.ready();
          });
      },
    });
  }

  /** True while a run of this worksheet is going on. */
  get isRunning(): boolean {
    return this.options.runs.isRunning(this.options.key);
  }

  /** The document's text as the host has it (LF line breaks). */
  get documentText(): string {
    return this.text;
  }

  /** Entry point for everything the webview posts. Never throws. */
  handle(message: unknown): void {
    if (this.disposed) return;
    this.channel.receive(message);
  }

  /** Call after every change of the document, whoever made it. */
  documentChanged(): void {
    if (this.disposed) return;
    const text = this.options.document.text();
    const version = this.options.document.version();
    const own = this.own;
    if (own && !own.sawOwn && !own.sawForeign && text === own.expected) {
      own.sawOwn = true;
      own.version = version;
      this.text = text;
      own.seen?.();
      return;
    }
    if (own) {
      // Settled with a reset once the own edit's apply() returns.
      own.sawForeign = true;
      this.text = text;
      own.seen?.();
      return;
    }
    const changes = diffText(this.text, text);
    this.text = text;
    this.post({ type: 'changed', version, changes });
  }

  /**
   * The webview's selection (offsets into the document's LF text), once every keystroke before it is in
   * the document. Without an answer in time (no webview), the selection it last reported.
   */
  selection(): Promise<{ from: number; to: number }> {
    const wait = new CancellationTokenSource();
    this.selections.add(wait);
    const timer = setTimeout(() => {
      this.options.log?.('worksheet: the webview did not report its selection in time');
      wait.cancel();
    }, SELECTION_WAIT_MS);
    return this.channel
      .request('selection', {}, wait.token)
      .then(
        (s) => (isOffset(s.from) && isOffset(s.to) ? { from: s.from, to: s.to } : this.lastSelection),
        () => this.lastSelection,
      )
      .finally(() => {
        clearTimeout(timer);
        this.selections.delete(wait);
        wait.dispose();
      });
  }

  /**
   * Runs the statement at (or the selection between) offsets, or every statement; resolves when the
   * run has ended (undefined when there was nothing to run or it could not start).
   */
  async run(mode: 'statement' | 'all', from: number, to: number): Promise<Run | undefined> {
    await this.queue;
    const script = this.text;
    const range = RunController.rangeFor(script, mode, from, to);
    if (range === null) {
      this.post({ type: 'markers', markers: [] });
      this.grid.showRun({
        id: `ws-empty-${Date.now()}`,
        results: [],
        messages: [{ kind: 'info', statement: '', text: 'There is no SQL statement to run here.' }],
      });
      return undefined;
    }
    try {
      return await this.options.runs.run({
        key: this.options.key,
        document: this.options.key,
        script,
        ...(range ? { range } : {}),
      });
    } catch (e) {
      this.options.showError?.(e instanceof Error ? e.message : String(e));
      return undefined;
    }
  }

  /** Interrupts the running statement. */
  cancel(): void {
    this.options.runs.cancel(this.options.key);
  }

  dispose(): void {
    this.disposed = true;
    this.stopWatching();
    this.grid.dispose();
    for (const s of this.subscriptions) s.dispose();
    for (const wait of this.selections) wait.cancel();
    this.channel.dispose();
  }

  private post(message: NotificationMessage<WorksheetProtocol['toWebview']>): void {
    if (this.disposed) return;
    const { type, ...params } = message;
    this.channel.notify(type, params as never);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work).catch((e: unknown) => {
      this.options.log?.(`worksheet: ${e instanceof Error ? e.message : String(e)}`);
    });
    this.queue = next;
    return next;
  }

  private ready(): void {
    this.text = this.options.document.text();
    this.post({ type: 'init', text: this.text, version: this.options.document.version() });
    const last = this.options.runs.lastRun(this.options.key);
    const running = this.isRunning;
    this.post({
      type: 'runState',
      running,
      ...(running && last ? { startedAt: last.startedAt } : {}),
    });
    // Opens the session (and reads its database and schema) for the toolbar.
    void this.options.runs
      .open(this.options.key)
      .catch((e: unknown) =>
        this.options.log?.(`worksheet: no session yet: ${e instanceof Error ? e.message : String(e)}`),
      )
      .then(() => this.postSession());
  }

  /** The worksheet's notifications; their params come from the webview, so each is checked here. */
  private readonly notifications: NotificationHandlers<WorksheetWebviewNotifications> = {
    edit: (p) => {
      if (!Number.isInteger(p.base) || !validChanges(p.changes)) {
        this.options.log?.('worksheet: ignored a malformed edit');
        return;
      }
      void this.enqueue(() => this.edit(p.base, p.changes));
    },
    execute: (p) => {
      if ((p.mode !== 'statement' && p.mode !== 'all') || !isOffset(p.from) || !isOffset(p.to)) return;
      void this.run(p.mode, p.from, p.to);
    },
    cancelRun: () => this.cancel(),
    format: () => void this.enqueue(() => this.format()),
    use: (p) => {
      if (typeof p.database !== 'string' || (p.schema !== undefined && typeof p.schema !== 'string')) return;
      void this.enqueue(() => this.use(p.database, p.schema));
    },
    selection: (p) => {
      if (isOffset(p.from) && isOffset(p.to)) this.lastSelection = { from: p.from, to: p.to };
    },
    chart: (p) => {
      if (!Number.isInteger(p.position) || typeof p.spec !== 'object' || p.spec === null) return;
      this.options.charts?.save(p.position, p.spec).catch((e: unknown) => {
        this.options.log?.(`worksheet: chart settings not kept (${e instanceof Error ? e.name : 'error'})`);
      });
    },
  };

  private async edit(base: number, changes: TextChange[]): Promise<void> {
    const document = this.options.document;
    if (document.version() !== base) {
      this.options.log?.(
        `worksheet: edit on version ${base} rejected: the document is at ${document.version()}`,
      );
      this.post({ type: 'reject', version: document.version() });
      return;
    }
    const length = this.text.length;
    if (changes.some((c) => c.to > length)) {
      this.post({ type: 'reset', version: document.version(), text: this.text, retry: false });
      return;
    }
    const own: OwnEdit = {
      expected: applyChanges(this.text, changes),
      sawOwn: false,
      sawForeign: false,
      version: base,
    };
    this.own = own;
    let applied = false;
    try {
      applied = await document.apply(changes);
      // The document's change event may come after applyEdit's answer: the next edit must not start
      // from a document the host has not seen yet.
      if (applied && !own.sawOwn && !own.sawForeign) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, OWN_EVENT_WAIT_MS);
          own.seen = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } catch (e) {
      this.options.log?.(`worksheet: edit refused: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.own = undefined;
    }
    if (applied && own.sawOwn && !own.sawForeign) {
      this.post({ type: 'ack', version: own.version });
      return;
    }
    this.text = document.text();
    // Not applied because something else changed the document first: the webview transforms its edit
    // over that change and sends it again. Refused with no other change: it is dropped for good.
    const retry = !own.sawOwn && own.sawForeign;
    this.options.log?.(
      `worksheet: edit on version ${base} ${applied ? 'raced' : 'refused'} (own ${own.sawOwn}, other ${own.sawForeign}): reset to ${document.version()}`,
    );
    this.post({ type: 'reset', version: document.version(), text: this.text, retry });
  }

  private async format(): Promise<void> {
    if (!this.options.format) return;
    let formatted: string;
    try {
      formatted = await this.options.format(this.text);
    } catch (e) {
      this.options.showError?.(e instanceof Error ? e.message : String(e));
      return;
    }
    const changes = diffText(this.text, formatted);
    if (changes.length === 0) return;
    // Applied like an edit from elsewhere: the webview learns of it through `changed`.
    await this.options.document.apply(changes);
  }

  private async use(database: string, schema?: string): Promise<void> {
    try {
      await this.options.runs.use(this.options.key, database, schema);
    } catch (e) {
      this.options.showError?.(e instanceof Error ? e.message : String(e));
      await this.postSession();
    }
  }

  private async export(
    source: ResultSource,
    format: ExportFormat,
    view: ResultView,
  ): Promise<{ saved: boolean; target?: string }> {
    const resultId = source.summary().resultId;
    const run = this.options.runs.runOf(this.options.key, resultId);
    if (!run || !this.options.exportResult)
      throw Object.assign(new Error('This result is no longer available. Run the query again.'), {
        code: 'RESULT_NOT_FOUND',
      });
    return this.options.exportResult(run, resultId, format, view);
  }

  private started(run: Run): void {
    this.stopWatching();
    this.shownFirst = undefined;
    this.post({ type: 'runState', running: true, startedAt: run.startedAt });
    this.post({ type: 'markers', markers: [] });
  }

  /** The first rows show while DuckDB keeps producing the rest and later statements run. */
  private updated(run: Run): void {
    const last = run.outcomes.at(-1);
    if (last?.status === 'rows') this.watch(last.result);
    if (run.results.length === 0 || this.shownFirst === run.id) return;
    this.shownFirst = run.id;
    this.grid.showRun(gridRun(run));
  }

  private finished(run: Run): void {
    this.grid.showRun(gridRun(run));
    const markers: WorksheetMarker[] = [];
    for (const o of run.outcomes) {
      if (o.status !== 'error' || o.error.code === 'INTERRUPTED') continue;
      markers.push(marker(run.script, o.error, o.range.start));
    }
    this.post({ type: 'markers', markers });
    this.post({ type: 'runState', running: false, elapsedMs: Math.round(run.durationMs) });
    void this.postSession();
  }

  private watch(result: { id: string; complete: boolean; whenComplete(): Promise<unknown> }): void {
    if (result.complete) return;
    const timer = setInterval(() => this.grid.refreshSummary(result.id), SUMMARY_REFRESH_MS);
    this.watchers.push(timer);
    void result
      .whenComplete()
      .catch(() => undefined)
      .then(() => {
        clearInterval(timer);
        this.grid.refreshSummary(result.id);
      });
  }

  private stopWatching(): void {
    for (const t of this.watchers) clearInterval(t);
    this.watchers = [];
  }

  /** Tells the toolbar the session's database, schema and transaction (coalesced: one read at a time). */
  private postSession(): Promise<void> {
    if (this.sessionPosting) {
      this.sessionAgain = true;
      return this.sessionPosting;
    }
    this.sessionPosting = (async () => {
      do {
        this.sessionAgain = false;
        await this.readSession();
      } while (this.sessionAgain && !this.disposed);
    })().finally(() => {
      this.sessionPosting = undefined;
    });
    return this.sessionPosting;
  }

  private async readSession(): Promise<void> {
    try {
      const state = this.options.runs.state(this.options.key);
      if (state.database === undefined || state.schema === undefined) return;
      const current = { database: state.database, schema: state.schema };
      this.current = current;
      const catalog = await this.options.catalog();
      const databases = (await catalog.databases()).map((d) => d.name);
      const schemas = await catalog
        .schemas(current.database)
        .then((s) => s.map((x) => x.name))
        .catch(() => [current.schema]);
      const session: WorksheetSession = {
        ...current,
        transaction: state.transaction,
        databases,
        schemas,
      };
      this.post({ type: 'session', session });
    } catch (e) {
      this.options.log?.(`worksheet: session state not read: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** One handler per worksheet request; the language ones ask the engine's language service. */
  private readonly requests: RequestHandlers<WorksheetRequests> = {
    schemas: async ({ database }) => {
      if (typeof database !== 'string') throw new Error('A database name is needed.');
      const catalog = await this.options.catalog();
      return { schemas: (await catalog.schemas(database)).map((s) => s.name) };
    },
    completion: (p) =>
      this.withLanguage(p, null, (service, text, scope) => service.complete(text, p.offset, scope)),
    hover: (p) =>
      this.withLanguage(
        p,
        null,
        async (service, text, scope) => (await service.hover(text, p.offset, scope)) ?? null,
      ),
    signatureHelp: (p) =>
      this.withLanguage(
        p,
        null,
        async (service, text) => (await service.signatureHelp(text, p.offset)) ?? null,
      ),
    diagnostics: async ({ version }) => {
      const empty = { diagnostics: [] };
      return this.withLanguage({ version, offset: 0 }, empty, async (service, text, scope, language) => {
        if (language.diagnostics === false) return empty;
        const document = this.options.document;
        const diagnostics = await service.diagnose(text, scope, () => document.version() !== version);
        return {
          diagnostics: diagnostics.map(({ start, end, severity, message, code }) => ({
            start,
            end,
            severity,
            message,
            code,
          })),
        };
      });
    },
  };

  /**
   * Runs a language request on the document's text at `version` (failing with STALE for another
   * version), or answers `none` when no language service serves this worksheet.
   */
  private async withLanguage<T>(
    position: DocumentPosition,
    none: T,
    ask: (
      service: LanguageService,
      text: string,
      scope: LanguageScope,
      language: WorksheetLanguage,
    ) => Promise<T>,
  ): Promise<T> {
    const { version, offset } = position as Partial<DocumentPosition>;
    const document = this.options.document;
    const text = document.text();
    if (!Number.isInteger(version) || !Number.isInteger(offset) || offset! < 0 || offset! > text.length)
      throw new Error('A language request needs a document version and an offset inside the text.');
    if (version !== document.version()) throw stale();
    const language = await this.options.language?.();
    if (!language) return none;
    const scope = language.scope ?? this.current ?? {};
    const result = await ask(language.service, text, scope, language);
    if (document.version() !== version) throw stale();
    return result;
  }
}

/** What the grid shows of a run: a tab per result plus Messages. */
function gridRun(run: Run): GridRun {
  return {
    id: run.id,
    results: run.results.map((e) => ({ title: e.title, source: e.result })),
    messages: run.messages,
  };
}

function stale(): Error {
  return Object.assign(new Error('The worksheet changed since the request was made.'), { code: 'STALE' });
}

/** The error's marker: the token at its position, else the first line of its statement. */
function marker(script: string, error: EngineError, statementStart: number): WorksheetMarker {
  const at = error.position?.offset;
  if (at !== undefined && at >= 0 && at <= script.length) {
    const first = lex(script.slice(at, at + 200))[0];
    const word = first?.start === 0 ? first.end : 0;
    const to = Math.min(script.length, at + Math.max(1, word));
    return { from: Math.min(at, to), to, message: error.message };
  }
  const lineEnd = script.indexOf('\n', statementStart);
  return {
    from: statementStart,
    to: lineEnd < 0 ? script.length : Math.max(statementStart + 1, lineEnd),
    message: error.message,
  };
}

function isOffset(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0;
}

/** True for a list of text changes with offsets in order (the document checks they are in range). */
function validChanges(value: unknown): value is TextChange[] {
  return (
    Array.isArray(value) &&
    value.every((c) => {
      const t = c as Record<string, unknown> | null;
      return (
        typeof t === 'object' &&
        t !== null &&
        isOffset(t['from']) &&
        isOffset(t['to']) &&
        (t['to'] as number) >= (t['from'] as number) &&
        typeof t['insert'] === 'string'
      );
    })
  );
}
