// The host side of the worksheet editor, kept free of `vscode` so the webview tests drive it from plain
// Node over a real engine. The document (a VS Code TextDocument in the extension) stays the model: the
// webview's edits are applied to it, and its other changes are sent to the webview.
import type { Catalog } from '../../engine/catalog.js';
import type { EngineError } from '../../engine/errors.js';
import { statementAt, type Session, type StatementOutcome } from '../../engine/query/index.js';
import type {
  NotificationHandlers,
  NotificationMessage,
  Notify,
  RequestHandlers,
} from '../../shared/channel.js';
import type {
  CatalogItem,
  GridHostNotifications,
  RunMessage,
  TextChange,
  WorksheetMarker,
  WorksheetProtocol,
  WorksheetRequests,
  WorksheetSession,
  WorksheetWebviewNotifications,
} from '../../shared/protocol.js';
import { applyChanges, diffText } from '../../shared/textSync.js';
import { GridHost, type GridHostOptions, type GridRun } from '../grid/gridHost.js';
import { HostChannel } from '../webviewChannel.js';
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

export interface WorksheetHostOptions {
  document: WorksheetDocument;
  /** Posts one message to the webview (webview.postMessage); {@link WorksheetHost.handle} takes its replies. */
  post(message: unknown): void;
  /** The document's session, opened on first use. */
  session(): Promise<Session>;
  catalog(): Promise<Catalog>;
  /** Formats SQL; absent means Format is unavailable. */
  format?(text: string): Promise<string>;
  /** Called after a run or a USE may have changed the session (database, schema, transaction). */
  sessionChanged?(): Promise<void> | void;
  exportResult?: GridHostOptions['exportResult'];
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
  private readonly channel: HostChannel<WorksheetProtocol>;
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
    this.channel = new HostChannel<WorksheetProtocol>({
      post: options.post,
      log: (line) => this.options.log?.(`worksheet: ${line}`),
    });
    this.grid = new GridHost({
      notify: this.channel.notify as Notify<GridHostNotifications>,
      ...(options.exportResult ? { exportResult: options.exportResult } : {}),
      reveal: (line, column) => this.post({ type: 'select', line, column }),
      ...(options.log ? { log: options.log } : {}),
    });
    this.channel.serve({
      requests: { ...this.grid.requests, ...this.requests },
      notifications: { ...this.grid.notifications, ...this.notifications },
      ready: () => {
        this.ready();
        this.grid.ready();
      },
    });
  }

  /** True while a run of this worksheet is going on. */
  get isRunning(): boolean {
    return this.running;
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
    this.channel.dispose();
  }

  private post(message: NotificationMessage<WorksheetProtocol['toWebview']>): void {
    if (this.disposed) return;
    const { type, ...params } = message;
    this.channel.notify(type, params as never);
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
  };

  private readonly requests: RequestHandlers<WorksheetRequests> = {
    complete: async ({ path }) => {
      if (!Array.isArray(path) || !path.every((p) => typeof p === 'string') || path.length > 3)
        throw new Error('A completion path is up to three names.');
      return { items: await this.complete(path) };
    },
    schemas: async ({ database }) => {
      if (typeof database !== 'string') throw new Error('A database name is needed.');
      const catalog = await this.options.catalog();
      return { schemas: (await catalog.schemas(database)).map((s) => s.name) };
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

  private async complete(path: string[]): Promise<CatalogItem[]> {
    const catalog = await this.options.catalog();
    const current = this.current ?? { database: '', schema: 'main' };
    const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
    const databases = await catalog.databases();
    const findDb = (name: string): string | undefined => databases.find((d) => same(d.name, name))?.name;
    const schemasOf = async (db: string): Promise<string[]> =>
      (await catalog.schemas(db).catch(() => [])).map((s) => s.name);
    const objectsOf = async (db: string, schema: string): Promise<CatalogItem[]> =>
      (await catalog.objects(db, schema).catch(() => [])).map((o) => ({
        label: o.name,
        kind: o.kind,
        detail: `${db}.${schema}`,
      }));
    const columnsOf = async (db: string, schema: string, name: string): Promise<CatalogItem[]> =>
      (await catalog.columns(db, schema, name).catch(() => [])).map((c) => ({
        label: c.name,
        kind: 'column' as const,
        detail: c.type,
      }));
    const findIn = (names: string[], name: string): string | undefined => names.find((n) => same(n, name));
    const items: CatalogItem[] = [];
    if (path.length === 0) {
      items.push(...databases.map((d) => ({ label: d.name, kind: 'database' as const })));
      if (current.database) {
        const schemas = await schemasOf(current.database);
        items.push(...schemas.map((s) => ({ label: s, kind: 'schema' as const, detail: current.database })));
        items.push(...(await objectsOf(current.database, current.schema)));
      }
      return items;
    }
    if (path.length === 1) {
      const [a] = path as [string];
      const db = findDb(a);
      if (db)
        items.push(...(await schemasOf(db)).map((s) => ({ label: s, kind: 'schema' as const, detail: db })));
      if (current.database) {
        const schema = findIn(await schemasOf(current.database), a);
        if (schema) items.push(...(await objectsOf(current.database, schema)));
        const objects = await objectsOf(current.database, current.schema);
        const table = objects.find((o) => same(o.label, a));
        if (table) items.push(...(await columnsOf(current.database, current.schema, table.label)));
      }
      return items;
    }
    if (path.length === 2) {
      const [a, b] = path as [string, string];
      const db = findDb(a);
      if (db) {
        const schema = findIn(await schemasOf(db), b);
        if (schema) items.push(...(await objectsOf(db, schema)));
      }
      if (current.database) {
        const schema = findIn(await schemasOf(current.database), a);
        if (schema) {
          const table = (await objectsOf(current.database, schema)).find((o) => same(o.label, b));
          if (table) items.push(...(await columnsOf(current.database, schema, table.label)));
        }
      }
      return items;
    }
    const [a, b, c] = path as [string, string, string];
    const db = findDb(a);
    if (!db) return items;
    const schema = findIn(await schemasOf(db), b);
    if (!schema) return items;
    const table = (await objectsOf(db, schema)).find((o) => same(o.label, c));
    return table ? columnsOf(db, schema, table.label) : items;
  }
}

/** The error's marker: the word at its position, else the first line of its statement. */
function marker(script: string, error: EngineError, statementStart: number): WorksheetMarker {
  const at = error.position?.offset;
  if (at !== undefined && at >= 0 && at <= script.length) {
    const word = /^[\w$]+/.exec(script.slice(at, at + 200))?.[0].length ?? 0;
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
