import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { EngineError } from '../engine/errors.js';
import { statementAt, type StatementOutcome } from '../engine/query/index.js';
import type { ResultsRun, ResultsViewProvider } from '../views/results/resultsViewProvider.js';
import { COMMANDS, registerCommand } from './commands.js';
import { runMessage, tabTitle } from './grid/runMessages.js';
import type { ComponentLogger, Logger } from './logger.js';
import { documentKey, type WarehouseService } from './warehouseService.js';

/** Where a run's statements come from: a document (errors are marked in it) or a tree action. */
export interface RunTarget {
  /** Session key: a document's URI, or a name for sessions not tied to a document. */
  key: string;
  document?: vscode.TextDocument;
}

/** A run that finished (the History view records it). Times in milliseconds. */
export interface FinishedRun {
  key: string;
  document?: vscode.Uri;
  /** The text that ran (the selection or statement, or the whole script). */
  sql: string;
  startedAt: number;
  durationMs: number;
  outcomes: StatementOutcome[];
}

/** Session key of runs started from the Databases view (Preview Rows, Describe). */
export const CATALOG_SESSION = 'microDataWarehouse:catalog';

/** Runs SQL from editors and views into the Results view; owns the run, transaction and session commands. */
export class QueryRunner implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('microDataWarehouse');
  private readonly finished = new vscode.EventEmitter<FinishedRun>();
  /** Fired after each run with its outcomes (kept results may still be filling). */
  readonly onDidFinishRun = this.finished.event;

  private constructor(
    private readonly service: WarehouseService,
    private readonly results: ResultsViewProvider,
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    service: WarehouseService,
    results: ResultsViewProvider,
  ): QueryRunner {
    const log = logger.component('run');
    const runner = new QueryRunner(service, results, log);
    context.subscriptions.push(
      runner,
      vscode.workspace.onDidCloseTextDocument((d) => runner.diagnostics.delete(d.uri)),
    );
    const command = (id: string, handler: (...args: never[]) => unknown): void =>
      registerCommand(context, log, id, handler);
    command(COMMANDS.runStatement, () => runner.runFromEditor('statement'));
    command(COMMANDS.runAll, () => runner.runFromEditor('all'));
    command(COMMANDS.cancel, () => runner.cancel());
    command(COMMANDS.begin, () => runner.transaction('BEGIN TRANSACTION', 'Transaction started.'));
    command(COMMANDS.commit, () => runner.transaction('COMMIT', 'Transaction committed.'));
    command(COMMANDS.rollback, () => runner.transaction('ROLLBACK', 'Transaction rolled back.'));
    command(COMMANDS.use, () => runner.useDatabase());
    command(COMMANDS.exportResults, (to?: vscode.Uri, index?: number) => runner.exportResults(to, index));
    return runner;
  }

  /** Runs the selection or the statement at the cursor (`statement`), or the whole document (`all`). */
  async runFromEditor(mode: 'statement' | 'all'): Promise<ResultsRun | undefined> {
    const editor = sqlEditor();
    const document = editor.document;
    const script = document.getText();
    let range: { start: number; end: number } | undefined;
    if (mode === 'statement') {
      const selection = editor.selection;
      if (!selection.isEmpty) {
        range = { start: document.offsetAt(selection.start), end: document.offsetAt(selection.end) };
      } else {
        const statement = statementAt(script, document.offsetAt(selection.active));
        if (statement) range = { start: statement.start, end: statement.terminatorEnd };
      }
    }
    if ((range && !script.slice(range.start, range.end).trim()) || !script.trim()) {
      void vscode.window.showInformationMessage('There is no SQL statement to run here.');
      return undefined;
    }
    return this.run({ key: documentKey(document), document }, script, range);
  }

  /** Runs `script` (or its `range`) in the target's session and shows every outcome in the Results view. */
  async run(target: RunTarget, script: string, range?: { start: number; end: number }): Promise<ResultsRun> {
    const session = await this.service.session(target.key);
    if (target.document) this.diagnostics.delete(target.document.uri);
    const run: ResultsRun = {
      id: `run-${randomUUID()}`,
      ...(target.document ? { document: target.document.uri } : {}),
      results: [],
      messages: [],
    };
    const outcomes: StatementOutcome[] = [];
    const startedAt = Date.now();
    const started = performance.now();
    let shown = false;
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'MicroDataWarehouse: running SQL' },
        async () => {
          for await (const outcome of session.runIter(script, range ? { range } : {})) {
            outcomes.push(outcome);
            if (outcome.status === 'rows') {
              run.results.push({
                title: tabTitle(outcome.sql, run.results.length),
                result: outcome.result,
                session,
              });
            }
            run.messages = outcomes.map(runMessage);
            // The first rows show while DuckDB keeps producing the rest and later statements run.
            if (outcome.status === 'rows' && !shown) {
              shown = true;
              // Its own id: the webview restores tab state per run id, and the final run may open on Messages.
              await this.results.show({
                ...run,
                id: `${run.id}-first`,
                results: [...run.results],
                messages: [...run.messages],
              });
            }
          }
        },
      );
    } finally {
      await this.service.refreshState(target.key);
    }
    run.messages = outcomes.map(runMessage);
    this.finished.fire({
      key: target.key,
      ...(target.document ? { document: target.document.uri } : {}),
      sql: range ? script.slice(range.start, range.end) : script,
      startedAt,
      durationMs: performance.now() - started,
      outcomes,
    });
    await this.results.show(run);
    const error = outcomes.find(
      (o): o is Extract<StatementOutcome, { status: 'error' }> => o.status === 'error',
    )?.error;
    // Counts and codes only: SQL text never reaches the log.
    this.log.info(
      `run: ${outcomes.length} statement(s), ${run.results.length} result(s), ${(performance.now() - started).toFixed(0)} ms${error ? `, failed with ${error.code}` : ''}`,
    );
    if (error) this.showError(target, error);
    return run;
  }

  /** Stops what runs in the active editor's session, else in every session. */
  cancel(): void {
    const editor = vscode.window.activeTextEditor;
    const own = editor ? this.service.openSession(documentKey(editor.document)) : undefined;
    const busy = own?.busy
      ? [own]
      : this.service
          .openSessions()
          .map(([, s]) => s)
          .filter((s) => s.busy);
    if (busy.length === 0) {
      vscode.window.setStatusBarMessage('MicroDataWarehouse: nothing is running.', 3000);
      return;
    }
    for (const s of busy) s.cancel();
    this.log.info(`cancel requested for ${busy.length} session(s)`);
  }

  /** BEGIN, COMMIT or ROLLBACK in the active editor's session. */
  async transaction(sql: string, done: string): Promise<void> {
    const document = sqlEditor().document;
    const key = documentKey(document);
    const session = await this.service.session(key);
    try {
      const result = await session.run(sql);
      if (result.error) throw result.error;
      vscode.window.setStatusBarMessage(`MicroDataWarehouse: ${done}`, 4000);
    } finally {
      await this.service.refreshState(key);
    }
  }

  /** Quick picks of database, then schema, for the active editor's session. */
  async useDatabase(): Promise<void> {
    const document = sqlEditor().document;
    const key = documentKey(document);
    const warehouse = await this.service.warehouse();
    const session = await this.service.session(key);
    const current = this.service.state(key);
    const databases = await warehouse.catalog.databases();
    if (databases.length === 0) {
      const choice = await vscode.window.showInformationMessage(
        'There are no databases yet.',
        'New Database…',
      );
      if (choice) await vscode.commands.executeCommand(COMMANDS.newDatabase);
      return;
    }
    const database = await vscode.window.showQuickPick(
      databases.map((d) => ({
        label: d.name,
        description: d.name === current?.database ? 'current' : undefined,
        iconPath: new vscode.ThemeIcon('database'),
      })),
      { title: 'Use Database', placeHolder: 'Database for unqualified names in this editor' },
    );
    if (!database) return;
    const schemas = await warehouse.catalog.schemas(database.label);
    let schema = 'main';
    if (schemas.length > 1) {
      const picked = await vscode.window.showQuickPick(
        schemas.map((s) => ({ label: s.name, iconPath: new vscode.ThemeIcon('symbol-namespace') })),
        { title: `Use Schema of ${database.label}` },
      );
      if (!picked) return;
      schema = picked.label;
    } else if (schemas[0]) {
      schema = schemas[0].name;
    }
    await session.use(database.label, schema);
    await this.service.refreshState(key);
  }

  /**
   * Exports a result of the run on show (the `index`th, else one picked) to `to`, else to a file
   * picked in a save dialog. The format follows the file's extension (.csv, .parquet, .json).
   */
  async exportResults(to?: vscode.Uri, index?: number): Promise<{ saved: boolean; target?: string }> {
    const entries = this.results.run?.results ?? [];
    if (entries.length === 0) {
      void vscode.window.showInformationMessage('There are no results to export: run a query first.');
      return { saved: false };
    }
    const entry =
      index !== undefined
        ? entries[index]
        : entries.length === 1
          ? entries[0]
          : (
              await vscode.window.showQuickPick(
                entries.map((e) => ({ label: e.title, description: `${e.result.rowCount} rows`, entry: e })),
                { title: 'Export which result?' },
              )
            )?.entry;
    if (!entry) return { saved: false };
    return this.results.exportResult(entry.result, undefined, {}, to);
  }

  dispose(): void {
    this.diagnostics.dispose();
    this.finished.dispose();
  }

  private showError(target: RunTarget, error: EngineError): void {
    if (error.code === 'INTERRUPTED') {
      vscode.window.setStatusBarMessage('MicroDataWarehouse: query cancelled.', 4000);
      return;
    }
    const document = target.document;
    const position = error.position;
    if (document && position) {
      const start = document.positionAt(position.offset);
      const word = document.getWordRangeAtPosition(start);
      const range = word ?? new vscode.Range(start, document.positionAt(position.offset + 1));
      const diagnostic = new vscode.Diagnostic(range, error.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'MicroDataWarehouse';
      diagnostic.code = error.code;
      this.diagnostics.set(document.uri, [diagnostic]);
      const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
      if (editor) {
        editor.selection = new vscode.Selection(start, start);
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      }
    }
    void vscode.window.showErrorMessage(error.message);
  }

  /** Test hook: the diagnostics of a document. */
  diagnosticsOf(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.diagnostics.get(uri) ?? [];
  }
}

/** The active editor when it holds SQL; otherwise an error the command boundary shows. */
function sqlEditor(): vscode.TextEditor {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !isSql(editor.document)) {
    throw new Error('Open a .sql file (or a worksheet) and put the cursor in a statement first.');
  }
  return editor;
}

/** A document runs as SQL when VS Code calls it SQL or its name ends in .sql. */
export function isSql(document: vscode.TextDocument): boolean {
  return document.languageId === 'sql' || document.uri.path.toLowerCase().endsWith('.sql');
}
