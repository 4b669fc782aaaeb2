import * as vscode from 'vscode';
import type { EngineError } from '../engine/errors.js';
import type { ResultsRun, ResultsViewProvider } from '../views/results/resultsViewProvider.js';
import type { WorksheetEditorProvider } from '../views/worksheetEditor/worksheetEditorProvider.js';
import { COMMANDS, registerCommand } from './commands.js';
import type { ComponentLogger, Logger } from './logger.js';
import { activeSqlTarget, requireSqlTarget, type SqlTarget } from './run/activeSql.js';
import { exportWithProgress } from './run/exportFlow.js';
import { RunController, type Run, type TransactionCommand } from './run/runController.js';
import { documentKey, type WarehouseService } from './warehouseService.js';

export { isSql } from './run/activeSql.js';

/** Where a run's statements come from: a document (errors are marked in it) or a tree action. */
export interface RunTarget {
  /** Session key: a document's URI, or a name for sessions not tied to a document. */
  key: string;
  document?: vscode.TextDocument;
}

/** A run that finished (the History view records it). */
export type FinishedRun = Run;

/** Session key of runs started from the Databases view (Preview Rows, Describe). */
export const CATALOG_SESSION = 'microDataWarehouse:catalog';

const TRANSACTION_DONE: Record<TransactionCommand, string> = {
  begin: 'Transaction started.',
  commit: 'Transaction committed.',
  rollback: 'Transaction rolled back.',
};

/**
 * The palette's run, cancel, transaction, use and export commands for the active SQL document (a text
 * editor or a worksheet editor), over the one RunController; and the text editor's presenter part:
 * error diagnostics in the document (its results go to the Results view).
 */
export class QueryRunner implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('microDataWarehouse');
  /** Fired after each run with its outcomes (every result kept, or cancelled, or failed). */
  readonly onDidFinishRun: RunController['onDidFinishRun'];

  private constructor(
    private readonly service: WarehouseService,
    readonly runs: RunController,
    private readonly results: ResultsViewProvider,
    private readonly worksheets: WorksheetEditorProvider,
    private readonly log: ComponentLogger,
  ) {
    this.onDidFinishRun = runs.onDidFinishRun;
  }

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    service: WarehouseService,
    runs: RunController,
    results: ResultsViewProvider,
    worksheets: WorksheetEditorProvider,
  ): QueryRunner {
    const log = logger.component('run');
    const runner = new QueryRunner(service, runs, results, worksheets, log);
    context.subscriptions.push(
      runner,
      vscode.workspace.onDidCloseTextDocument((d) => runner.diagnostics.delete(d.uri)),
      runs.onDidStartRun((run) => {
        if (run.document && !runs.isClaimed(run.key))
          runner.diagnostics.delete(vscode.Uri.parse(run.document));
      }),
      runs.onDidFinishRun((run) => runner.finished(run)),
    );
    const command = (id: string, handler: (...args: never[]) => unknown): void =>
      registerCommand(context, log, id, handler);
    command(COMMANDS.runStatement, () => runner.runFromEditor('statement'));
    command(COMMANDS.runAll, () => runner.runFromEditor('all'));
    command(COMMANDS.cancel, () => runner.cancel());
    command(COMMANDS.begin, () => runner.transaction('begin'));
    command(COMMANDS.commit, () => runner.transaction('commit'));
    command(COMMANDS.rollback, () => runner.transaction('rollback'));
    command(COMMANDS.use, () => runner.useDatabase());
    command(COMMANDS.exportResults, (to?: vscode.Uri, index?: number) => runner.exportResults(to, index));
    return runner;
  }

  /** Fired when a worksheet editor became active or stopped being active. */
  get worksheetsChanged(): WorksheetEditorProvider['onDidChangeActive'] {
    return this.worksheets.onDidChangeActive;
  }

  /** The active SQL document (text or worksheet editor), if any. */
  activeTarget(): SqlTarget | undefined {
    return activeSqlTarget(this.worksheets);
  }

  /**
   * Runs the selection or the statement at the cursor (`statement`), or the whole document (`all`), of
   * the active text or worksheet editor.
   */
  async runFromEditor(mode: 'statement' | 'all'): Promise<ResultsRun | undefined> {
    const target = requireSqlTarget(this.worksheets);
    if (target.worksheet) {
      const { from, to } = mode === 'statement' ? await target.selection() : { from: 0, to: 0 };
      return target.worksheet.host.run(mode, from, to);
    }
    const script = target.text();
    const { from, to } = await target.selection();
    const range = RunController.rangeFor(script, mode, from, to);
    if (range === null) {
      void vscode.window.showInformationMessage('There is no SQL statement to run here.');
      return undefined;
    }
    return this.run({ key: target.key, document: target.document }, script, range);
  }

  /** Runs `script` (or its `range`) in the target's session; the Results view (or the worksheet) shows it. */
  async run(target: RunTarget, script: string, range?: { start: number; end: number }): Promise<ResultsRun> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'MicroDataWarehouse: running SQL' },
      () =>
        this.runs.run({
          key: target.key,
          ...(target.document ? { document: target.document.uri.toString() } : {}),
          script,
          ...(range ? { range } : {}),
        }),
    );
  }

  /** Stops what runs in the active document's session, else in every session. */
  cancel(): void {
    const target = this.activeTarget();
    const own = target && this.runs.isRunning(target.key) ? this.runs.cancel(target.key) : 0;
    const count = own || this.runs.cancel();
    if (count === 0) vscode.window.setStatusBarMessage('MicroDataWarehouse: nothing is running.', 3000);
  }

  /** BEGIN, COMMIT or ROLLBACK in the active document's session. */
  async transaction(command: TransactionCommand): Promise<void> {
    const target = requireSqlTarget(this.worksheets);
    await this.runs.transaction(target.key, command);
    vscode.window.setStatusBarMessage(`MicroDataWarehouse: ${TRANSACTION_DONE[command]}`, 4000);
  }

  /** Quick picks of database, then schema, for the active document's session. */
  async useDatabase(): Promise<void> {
    const key = requireSqlTarget(this.worksheets).key;
    const warehouse = await this.service.engine();
    const current = this.runs.state(key);
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
        description: d.name === current.database ? 'current' : undefined,
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
    await this.runs.use(key, database.label, schema);
  }

  /**
   * Exports a result of the active worksheet's latest run, else of the run on show in the Results view
   * (the `index`th, else one picked) to `to`, else to a file picked in a save dialog. The format follows
   * the file's extension (.csv, .parquet, .json).
   */
  async exportResults(to?: vscode.Uri, index?: number): Promise<{ saved: boolean; target?: string }> {
    const target = this.activeTarget();
    const run = target?.worksheet ? this.runs.lastRun(target.key) : this.results.run;
    const entries = run?.status === 'running' ? [] : (run?.results ?? []);
    if (!run || entries.length === 0) {
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
    return exportWithProgress(this.runs, this.log, run, entry.result.id, to ? { to } : {});
  }

  dispose(): void {
    this.diagnostics.dispose();
  }

  /** Test hook: the diagnostics of a document. */
  diagnosticsOf(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.diagnostics.get(uri) ?? [];
  }

  /** A text document's run ended: its error becomes a diagnostic and the cursor goes there. */
  private finished(run: Run): void {
    const error = run.error;
    if (!error) return;
    if (error.code === 'INTERRUPTED' || run.status === 'cancelled') {
      vscode.window.setStatusBarMessage('MicroDataWarehouse: query cancelled.', 4000);
      return;
    }
    if (this.runs.isClaimed(run.key)) return;
    const document = run.document
      ? vscode.workspace.textDocuments.find((d) => documentKey(d) === run.document)
      : undefined;
    if (document) this.markError(document, error);
    void vscode.window.showErrorMessage(error.message);
  }

  private markError(document: vscode.TextDocument, error: EngineError): void {
    const position = error.position;
    if (!position) return;
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
}
