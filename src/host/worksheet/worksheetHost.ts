// The host side of the worksheet editor, kept free of `vscode` so the webview tests drive it from plain
// Node over a real engine. The document (a VS Code TextDocument in the extension) stays the model: the
// webview's edits are applied to it, and its other changes are sent to the webview.
import type { Catalog } from '../../engine/catalog.js';
import type { EngineError } from '../../engine/errors.js';
import type { LanguageScope, LanguageService } from '../../engine/language/languageService.js';
import { statementAt, type Session, type StatementOutcome } from '../../engine/query/index.js';
import {
  isWorksheetMessage,
  type DocumentPosition,
  type HostMessage,
  type RunMessage,
  type TextChange,
  type WorksheetHostMessage,
  type WorksheetMarker,
  type WorksheetHandlers,
  type WorksheetMethod,
  type WorksheetSession,
  type WorksheetWebviewMessage,
} from '../../shared/protocol.js';
import { lex } from '../../shared/sqlLexer.js';
import { applyChanges, diffText } from '../../shared/textSync.js';
import { GridHost, type GridHostOptions, type GridRun } from '../grid/gridHost.js';
import { runMessage, tabTitle } from '../grid/runMessages.js';

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
  post(message: HostMessage | WorksheetHostMessage): void;
  /** The document's session, opened on first use. */
  session(): Promise<Session>;
  catalog(): Promise<Catalog>;
  /** Formats SQL; absent means Format is unavailable. */
  format?(text: string): Promise<string>;
  /** Called after a run or a USE may have changed the session (database, schema, transaction). */
  sessionChanged?(): Promise<void> | void;
  exportResult?: GridHostOptions['exportResult'];
  /** The engine's language service for completion, hover, signature help and diagnostics. */
  language?(): Promise<WorksheetLanguage | undefined>;
  /** Shows an error outside the webview (e.g. a failed format). */
  showError?(message: string): void;
  log?(line: string): void;
}

const SUMMARY_REFRESH_MS = 500;

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
  private text: string;
  private queue: Promise<void> = Promise.resolve();
  /** One user of the session at a time: a run, the state read after it, a USE. */
  private sessionLock: Promise<unknown> = Promise.resolve();
  private own: OwnEdit | undefined;
  private running = false;
  private runCounter = 0;
  private current: { database: string; schema: string } | undefined;
  private watchers: ReturnType<typeof setInterval>[] = [];
  private disposed = false;

  constructor(private readonly options: WorksheetHostOptions) {
    this.text = options.document.text();
    this.grid = new GridHost({
      post: (m) => this.post(m),
      ...(options.exportResult ? { exportResult: options.exportResult } : {}),
      reveal: (line, column) => this.post({ type: 'select', line, column }),
      ...(options.log ? { log: options.log } : {}),
    });
  }

  /** True while a run of this worksheet is going on. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Entry point for everything the webview posts. Never throws. */
  handle(message: unknown): void {
    if (this.disposed) return;
    if (!isWorksheetMessage(message)) {
      if ((message as { type?: unknown } | null)?.type === 'ready') this.ready();
      this.grid.handle(message);
      return;
    }
    this.receive(message);
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

  /** Runs the statement at (or the selection between) offsets, or every statement. */
  run(mode: 'statement' | 'all', from: number, to: number): Promise<void> {
    return this.enqueue(() => this.startRun(mode, from, to));
  }

  /** Interrupts the running statement. */
  cancel(): void {
    void this.options
      .session()
      .then((s) => s.cancel())
      .catch(() => undefined);
  }

  dispose(): void {
    this.disposed = true;
    this.stopWatching();
    this.grid.dispose();
  }

  private post(message: HostMessage | WorksheetHostMessage): void {
    if (!this.disposed) this.options.post(message);
  }

  private withSession<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const next = this.sessionLock.then(async () => work(await this.options.session()));
    this.sessionLock = next.catch(() => undefined);
    return next;
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
    this.post({ type: 'runState', running: this.running });
    void this.postSession();
  }

  private receive(message: WorksheetWebviewMessage): void {
    switch (message.type) {
      case 'edit':
        void this.enqueue(() => this.edit(message.base, message.changes));
        return;
      case 'execute':
        void this.run(message.mode, message.from, message.to);
        return;
      case 'cancelRun':
        this.cancel();
        return;
      case 'format':
        void this.enqueue(() => this.format());
        return;
      case 'use':
        void this.enqueue(() => this.use(message.database, message.schema));
        return;
      case 'wsRequest':
        void this.request(message.id, message.method, message.params);
        return;
    }
  }

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
      await this.withSession((session) => session.use(database, schema));
    } catch (e) {
      this.options.showError?.(e instanceof Error ? e.message : String(e));
    }
    await this.postSession();
  }

  private async startRun(mode: 'statement' | 'all', from: number, to: number): Promise<void> {
    if (this.running) {
      this.options.showError?.('This worksheet is already running: wait for it or cancel.');
      return;
    }
    const script = this.text;
    let range: { start: number; end: number } | undefined;
    if (mode === 'statement') {
      const a = Math.min(from, to, script.length);
      const b = Math.min(Math.max(from, to), script.length);
      if (a < b) range = { start: a, end: b };
      else {
        const statement = statementAt(script, a);
        if (statement) range = { start: statement.start, end: statement.terminatorEnd };
      }
    }
    const runId = `ws-run-${++this.runCounter}`;
    if (!script.slice(range?.start ?? 0, range?.end ?? script.length).trim()) {
      this.post({ type: 'markers', markers: [] });
      this.grid.showRun({
        id: runId,
        results: [],
        messages: [{ kind: 'info', statement: '', text: 'There is no SQL statement to run here.' }],
      });
      return;
    }
    this.running = true;
    // Not awaited: edits typed while a query runs must not wait behind it.
    void this.execute(runId, script, range);
  }

  private async execute(
    runId: string,
    script: string,
    range?: { start: number; end: number },
  ): Promise<void> {
    const startedAt = Date.now();
    this.post({ type: 'runState', running: true, startedAt });
    this.post({ type: 'markers', markers: [] });
    this.stopWatching();
    const outcomes: StatementOutcome[] = [];
    const run: GridRun = { id: runId, results: [], messages: [] };
    let shown = false;
    let failure: RunMessage | undefined;
    try {
      await this.withSession(async (session) => {
        for await (const outcome of session.runIter(script, range ? { range } : {})) {
          outcomes.push(outcome);
          if (outcome.status === 'rows') {
            run.results.push({ title: tabTitle(outcome.sql, run.results.length), source: outcome.result });
            this.watch(outcome.result);
          }
          if (outcome.status === 'rows' && !shown) {
            shown = true;
            this.grid.showRun({ ...run, results: [...run.results], messages: outcomes.map(runMessage) });
          }
        }
      });
    } catch (e) {
      failure = { kind: 'error', statement: '', text: e instanceof Error ? e.message : String(e) };
    } finally {
      this.running = false;
    }
    run.messages = outcomes.map(runMessage);
    if (failure) run.messages.push(failure);
    this.grid.showRun(run);
    const markers: WorksheetMarker[] = [];
    for (const o of outcomes) {
      if (o.status !== 'error' || o.error.code === 'INTERRUPTED') continue;
      markers.push(marker(script, o.error, o.range.start));
    }
    this.post({ type: 'markers', markers });
    this.post({ type: 'runState', running: false, elapsedMs: Date.now() - startedAt });
    await this.postSession();
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

  /** Tells the extension (status bar) and the toolbar the session's database, schema and transaction. */
  private async postSession(): Promise<void> {
    try {
      const state = await this.withSession(async (session) => {
        await this.options.sessionChanged?.();
        if (session.isClosed) return undefined;
        const current = await session.current();
        return { current, transaction: session.transaction };
      });
      if (!state) return;
      this.current = state.current;
      const catalog = await this.options.catalog();
      const databases = (await catalog.databases()).map((d) => d.name);
      const schemas = await catalog
        .schemas(state.current.database)
        .then((s) => s.map((x) => x.name))
        .catch(() => [state.current.schema]);
      const session: WorksheetSession = {
        ...state.current,
        transaction: state.transaction,
        databases,
        schemas,
      };
      this.post({ type: 'session', session });
    } catch (e) {
      this.options.log?.(`worksheet: session state not read: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async request(id: number, method: WorksheetMethod, params: unknown): Promise<void> {
    try {
      const handler = this.handlers[method] as (p: unknown) => Promise<unknown>;
      const result = await handler(params);
      this.post({ type: 'wsResponse', id, ok: true, result });
    } catch (e) {
      this.post({
        type: 'wsResponse',
        id,
        ok: false,
        error: {
          code: String((e as { code?: unknown }).code ?? 'INTERNAL'),
          message: e instanceof Error ? e.message : String(e),
        },
      });
    }
  }

  /** One handler per worksheet request; the language ones ask the engine's language service. */
  private readonly handlers: WorksheetHandlers = {
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
