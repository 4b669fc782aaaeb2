// The one run path behind every surface that runs SQL (text editor + Results panel, worksheet editor,
// palette commands, the Databases view, History). Kept free of `vscode` so the webview tests and the
// benchmark drive it from plain Node over a real engine.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { EngineError } from '../../engine/errors.js';
import type {
  EngineOutcome as StatementOutcome,
  EngineResult as KeptResult,
  EngineSession as Session,
  EngineTransaction as TransactionState,
} from '../../engine/api.js';
import { statementAt } from '../../engine/query/index.js';
import type { RunMessage } from '../../shared/protocol.js';
import type { ResultView } from '../../shared/results.js';
import { runMessage, tabTitle } from '../grid/runMessages.js';

/** A listener registration, compatible with VS Code's Disposable. */
export interface Subscription {
  dispose(): void;
}

/** An event, compatible with VS Code's `Event<T>` (so it can be pushed into subscriptions). */
export type Listen<T> = (listener: (value: T) => void) => Subscription;

/** A tiny synchronous event emitter (the controller must not import vscode). */
export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  readonly event: Listen<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch {
        // one faulty presenter must not keep the others from hearing about the run
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/** One statement's rows in a run. */
export interface RunEntry {
  title: string;
  result: KeptResult;
}

/** Where a run stands: running, or how it ended (the first error decides; a cancel wins over it). */
export type RunStatus = 'running' | 'ok' | 'error' | 'cancelled';

/** A run of SQL in a document's session, as every presenter sees it. Times in milliseconds. */
export interface Run {
  id: string;
  /** Session key: a document's URI, or a name for sessions not tied to a document. */
  key: string;
  /** URI (string) of the document the statements came from; error positions refer to its text. */
  document?: string;
  /** The whole text the statements came from, and the part that ran (absent: all of it). */
  script: string;
  range?: { start: number; end: number };
  /** The text that ran (the selection or statement, or the whole script). */
  sql: string;
  startedAt: number;
  durationMs: number;
  status: RunStatus;
  outcomes: StatementOutcome[];
  results: RunEntry[];
  messages: RunMessage[];
  /** The session that kept the results (exports and pages go through it). */
  session?: Session;
  /** The first error, if any (INTERRUPTED when cancelled). */
  error?: EngineError;
}

/** What a document's session looks like now (status bar, context keys, worksheet toolbar). */
export interface DocumentState {
  running: boolean;
  /** Undefined until the session opened. */
  database?: string;
  schema?: string;
  transaction: TransactionState;
}

/** What the controller needs from the host: sessions per key and their last known database/schema. */
export interface RunControllerOptions {
  /** The session of `key`, opened on first call. */
  session(key: string): Promise<Session>;
  /** The session of `key` if it is open; never opens one. */
  openSession?(key: string): Session | undefined;
  /** Re-reads database and schema of the (idle) session of `key`; called after each use of it. */
  refresh?(key: string): Promise<void> | void;
  /** Last known database and schema of the session of `key`. */
  location?(key: string): { database: string; schema: string } | undefined;
  log?(line: string): void;
}

/** What to run: a script (or its range) in the session of `key`. */
export interface RunRequest {
  key: string;
  document?: string;
  script: string;
  range?: { start: number; end: number };
}

/** Transaction commands of the palette. */
export type TransactionCommand = 'begin' | 'commit' | 'rollback';

const TRANSACTION_SQL: Record<TransactionCommand, string> = {
  begin: 'BEGIN TRANSACTION',
  commit: 'COMMIT',
  rollback: 'ROLLBACK',
};

/** How often a requested cancel is repeated until the run has ended (an interrupt can land between queries). */
const CANCEL_REPEAT_MS = 20;

interface ActiveRun {
  run: Run;
  cancelled: boolean;
  session?: Session;
  repeat?: ReturnType<typeof setInterval>;
}

interface DocumentEntry {
  lock: Promise<unknown>;
  active?: ActiveRun;
  /** A non-run use of the session that Cancel may interrupt (Explain Analyze). */
  busy?: { session?: Session; cancelled: boolean };
  last?: Run;
  claims: number;
}

/** Thrown when the document already runs something. */
export function busyError(): EngineError {
  return new EngineError(
    'SESSION_BUSY',
    'This document is already running statements: wait for them or cancel (MicroDataWarehouse: Cancel).',
  );
}

/**
 * Runs SQL per document: one session, one run loop, the first page and Messages, export, the
 * transaction state, the "run finished" event (History, catalog refresh follows the engine's own DDL
 * detection). Presenters (the Results panel, the worksheet editor) listen to its events.
 */
export class RunController {
  private readonly documents = new Map<string, DocumentEntry>();
  private readonly started = new Emitter<Run>();
  private readonly updated = new Emitter<Run>();
  private readonly finished = new Emitter<Run>();
  private readonly changed = new Emitter<string>();
  /** A run started (nothing shown yet). */
  readonly onDidStartRun = this.started.event;
  /** A run's first rows are there, or another statement ended (results may still be filling). */
  readonly onDidUpdateRun = this.updated.event;
  /** A run ended: every statement done, every result kept (or cancelled, or failed). */
  readonly onDidFinishRun = this.finished.event;
  /** The running state, transaction or database/schema of a document (its key) may have changed. */
  readonly onDidChangeState = this.changed.event;

  constructor(private readonly options: RunControllerOptions) {}

  /**
   * The part of `script` a "run statement" runs: the selection [from, to) when not empty, else the
   * statement at `from`; `all`: undefined (everything). Null when there is nothing to run.
   */
  static rangeFor(
    script: string,
    mode: 'statement' | 'all',
    from: number,
    to: number,
  ): { start: number; end: number } | undefined | null {
    let range: { start: number; end: number } | undefined;
    if (mode === 'statement') {
      const a = Math.max(0, Math.min(from, to, script.length));
      const b = Math.max(0, Math.min(Math.max(from, to), script.length));
      if (a < b) range = { start: a, end: b };
      else {
        const statement = statementAt(script, a);
        if (statement) range = { start: statement.start, end: statement.terminatorEnd };
      }
    }
    return script.slice(range?.start ?? 0, range?.end ?? script.length).trim() ? range : null;
  }

  /** True while a run (or Explain Analyze) of `key` goes on. */
  isRunning(key: string): boolean {
    const entry = this.documents.get(key);
    return entry?.active !== undefined || entry?.busy !== undefined;
  }

  /** Keys with a run going on. */
  runningKeys(): string[] {
    return [...this.documents].filter(([k]) => this.isRunning(k)).map(([k]) => k);
  }

  /** The latest run of `key` (running or finished). */
  lastRun(key: string): Run | undefined {
    return this.documents.get(key)?.last;
  }

  /** Running state, database, schema and transaction of the session of `key`. */
  state(key: string): DocumentState {
    const session = this.options.openSession?.(key);
    const location = this.options.location?.(key);
    return {
      running: this.isRunning(key),
      ...(location ? { database: location.database, schema: location.schema } : {}),
      transaction: session?.transaction ?? { open: false, aborted: false },
    };
  }

  /**
   * Marks `key` as shown by its own presenter (a worksheet editor), so the Results panel leaves its
   * runs alone. Dispose when the presenter goes.
   */
  claim(key: string): Subscription {
    const entry = this.entry(key);
    entry.claims++;
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        entry.claims--;
      },
    };
  }

  /** True when a presenter of its own shows the runs of `key`. */
  isClaimed(key: string): boolean {
    return (this.documents.get(key)?.claims ?? 0) > 0;
  }

  /** Runs `request` in its document's session; resolves with the finished run (errors are in it). */
  async run(request: RunRequest): Promise<Run> {
    const entry = this.entry(request.key);
    if (this.isRunning(request.key)) throw busyError();
    const { script, range } = request;
    const run: Run = {
      id: `run-${randomUUID()}`,
      key: request.key,
      ...(request.document !== undefined ? { document: request.document } : {}),
      script,
      ...(range ? { range } : {}),
      sql: range ? script.slice(range.start, range.end) : script,
      startedAt: Date.now(),
      durationMs: 0,
      status: 'running',
      outcomes: [],
      results: [],
      messages: [],
    };
    const active: ActiveRun = { run, cancelled: false };
    entry.active = active;
    entry.last = run;
    const started = performance.now();
    this.started.fire(run);
    this.changed.fire(request.key);
    try {
      await this.locked(entry, async () => {
        const session = await this.options.session(request.key);
        active.session = session;
        run.session = session;
        if (active.cancelled) {
          run.error = new EngineError('INTERRUPTED', 'Cancelled.');
          return;
        }
        const outcomes = session.runIter(script, range ? { range } : {});
        // The session is executing once the first step started: a cancel from now on reaches DuckDB.
        let step = outcomes.next();
        if (active.cancelled) this.interrupt(active);
        for (let next = await step; !next.done; next = await step) {
          const outcome = next.value;
          run.outcomes.push(outcome);
          if (outcome.status === 'rows') {
            run.results.push({ title: tabTitle(outcome.sql, run.results.length), result: outcome.result });
          }
          if (outcome.status === 'error' && !run.error) run.error = outcome.error;
          run.messages = run.outcomes.map(runMessage);
          this.updated.fire(run);
          step = outcomes.next();
        }
        if (active.repeat) clearInterval(active.repeat);
        // A cancel that landed before DuckDB started the statement: it was not run at all.
        if (active.cancelled && !run.error && run.outcomes.some((o) => o.status === 'notRun'))
          run.error = new EngineError('INTERRUPTED', 'Cancelled.');
        await this.refresh(request.key);
      });
    } catch (e) {
      // Opening the session failed (not signed in, warehouse locked): the run ends with that error.
      run.error =
        e instanceof EngineError
          ? e
          : new EngineError('SQL_ERROR', e instanceof Error ? e.message : String(e), undefined, { cause: e });
    } finally {
      if (active.repeat) clearInterval(active.repeat);
      entry.active = undefined;
    }
    run.messages = [
      ...run.outcomes.map(runMessage),
      ...(run.error && !run.outcomes.some((o) => o.status === 'error')
        ? [{ kind: 'error' as const, statement: '', text: run.error.message }]
        : []),
    ];
    run.durationMs = performance.now() - started;
    run.status = statusOf(run, active.cancelled);
    // Counts and codes only: SQL text never reaches the log.
    this.options.log?.(
      `run: ${run.outcomes.length} statement(s), ${run.results.length} result(s), ${run.durationMs.toFixed(0)} ms, ${run.status}${run.error && run.status === 'error' ? ` (${run.error.code})` : ''}`,
    );
    this.changed.fire(request.key);
    this.finished.fire(run);
    return run;
  }

  /**
   * Stops what runs in `key` (else in every document) at once: DuckDB is interrupted now and again
   * every few milliseconds until the run has ended. Returns how many runs were asked to stop.
   */
  cancel(key?: string): number {
    const keys = key !== undefined ? [key] : this.runningKeys();
    let count = 0;
    for (const k of keys) {
      const entry = this.documents.get(k);
      if (entry?.active && !entry.active.cancelled) {
        entry.active.cancelled = true;
        this.interrupt(entry.active);
        count++;
      } else if (entry?.busy && !entry.busy.cancelled) {
        entry.busy.cancelled = true;
        entry.busy.session?.cancel();
        count++;
      }
    }
    if (count) this.options.log?.(`cancel requested for ${count} run(s)`);
    return count;
  }

  /** BEGIN, COMMIT or ROLLBACK in the session of `key`. A COMMIT of an aborted transaction fails and says so. */
  async transaction(key: string, command: TransactionCommand): Promise<DocumentState> {
    await this.exclusive(key, async (session) => {
      const result = await session.run(TRANSACTION_SQL[command]);
      if (result.error) throw result.error;
    });
    return this.state(key);
  }

  /** Makes `database` (and `schema`) the default for unqualified names in the session of `key`. */
  async use(key: string, database: string, schema?: string): Promise<void> {
    await this.exclusive(key, (session) => session.use(database, schema));
  }

  /** Opens the session of `key` (if needed) and re-reads its state. */
  async open(key: string): Promise<DocumentState> {
    await this.exclusive(key, () => Promise.resolve());
    return this.state(key);
  }

  /**
   * Uses the session of `key` for something that is not a run (EXPLAIN, USE, a transaction command),
   * after whatever uses it now; refused while a run goes on. `cancellable`: Cancel interrupts it.
   */
  async exclusive<T>(
    key: string,
    work: (session: Session) => Promise<T>,
    options: { cancellable?: boolean } = {},
  ): Promise<T> {
    const entry = this.entry(key);
    if (entry.active) throw busyError();
    return this.locked(entry, async () => {
      const session = await this.options.session(key);
      const busy = options.cancellable ? { session, cancelled: false } : undefined;
      if (busy) {
        entry.busy = busy;
        this.changed.fire(key);
      }
      try {
        return await work(session);
      } finally {
        if (busy) entry.busy = undefined;
        await this.refresh(key);
        this.changed.fire(key);
      }
    });
  }

  /**
   * Writes a result of a run (through `view`: sort and filters) to `file` with DuckDB's COPY; the
   * format follows the file's extension. Rows never pass through JS.
   */
  async exportResult(
    run: Run,
    resultId: string,
    file: string,
    view: ResultView = {},
  ): Promise<{ rows: number; file: string }> {
    const entry = run.results.find((e) => e.result.id === resultId);
    if (!entry || !run.session)
      throw new EngineError('RESULT_NOT_FOUND', 'This result is no longer available. Run the query again.');
    if (!path.extname(file))
      throw new EngineError('INVALID_ARGUMENT', `Add .csv, .parquet or .json to the file name ${file}.`);
    return run.session.export(entry.result, file, view);
  }

  /** The run of `key` that holds result `resultId`, if it is still the latest. */
  runOf(key: string, resultId: string): Run | undefined {
    const last = this.lastRun(key);
    return last?.results.some((e) => e.result.id === resultId) ? last : undefined;
  }

  /** Forgets a document (its editor closed; the session is closed by its owner). */
  forget(key: string): void {
    const entry = this.documents.get(key);
    if (!entry || entry.active || entry.claims > 0) return;
    this.documents.delete(key);
    this.changed.fire(key);
  }

  dispose(): void {
    this.cancel();
    this.started.dispose();
    this.updated.dispose();
    this.finished.dispose();
    this.changed.dispose();
  }

  private entry(key: string): DocumentEntry {
    let entry = this.documents.get(key);
    if (!entry) {
      entry = { lock: Promise.resolve(), claims: 0 };
      this.documents.set(key, entry);
    }
    return entry;
  }

  private locked<T>(entry: DocumentEntry, work: () => Promise<T>): Promise<T> {
    const next = entry.lock.then(work);
    entry.lock = next.catch(() => undefined);
    return next;
  }

  private interrupt(active: ActiveRun): void {
    active.session?.cancel();
    // DuckDB forgets an interrupt that lands between two of a run's queries (prepare, state reads):
    // repeat it until the run has ended.
    active.repeat ??= setInterval(() => active.session?.cancel(), CANCEL_REPEAT_MS);
  }

  private async refresh(key: string): Promise<void> {
    try {
      await this.options.refresh?.(key);
    } catch (e) {
      this.options.log?.(`session state not read: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function statusOf(run: Run, cancelled: boolean): RunStatus {
  if (
    (cancelled && run.error) ||
    run.error?.code === 'INTERRUPTED' ||
    run.outcomes.some((o) => o.status === 'rows' && o.result.cancelled)
  )
    return 'cancelled';
  return run.error ? 'error' : 'ok';
}
