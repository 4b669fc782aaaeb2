import * as vscode from 'vscode';
import { AccountCommands } from './host/accounts/accountCommands.js';
import { AccountManager } from './host/accounts/accountManager.js';
import { AccountStatusBar } from './host/accounts/accountStatusBar.js';
import { AccountSwitch } from './host/accounts/accountSwitch.js';
import { CliAccess } from './host/cliAccess.js';
import { EncryptionCommands } from './host/encryptionCommands.js';
import { DemoCommands } from './host/firstRun/demoCommands.js';
import { Logger } from './host/logger.js';
import { registerLanguageFeatures, type LanguageFeatures } from './host/language/languageFeatures.js';
import { LanguageServices } from './host/language/languageServices.js';
import { QueryRunner } from './host/queryRunner.js';
import { RunController } from './host/run/runController.js';
import { SessionStatusBar } from './host/statusBar.js';
import { WarehouseService } from './host/warehouseService.js';
import { CatalogCommands } from './views/catalog/catalogCommands.js';
import { CatalogTreeProvider } from './views/catalog/catalogTreeProvider.js';
import { HistoryCommands } from './views/history/historyCommands.js';
import { HistoryTreeProvider } from './views/history/historyTreeProvider.js';
import { ComparePanels } from './views/results/comparePanels.js';
import { ResultsViewProvider } from './views/results/resultsViewProvider.js';
import { WorksheetEditorProvider } from './views/worksheetEditor/worksheetEditorProvider.js';
import { WorksheetCommands } from './views/worksheets/worksheetCommands.js';
import { WorksheetFileSystem } from './views/worksheets/worksheetFileSystem.js';
import { WorksheetTreeProvider } from './views/worksheets/worksheetTreeProvider.js';

/** What activate() hands to tests and to other extensions. */
export interface MicroDataWarehouseApi {
  /** Milliseconds spent in activate(), measured by the extension itself. */
  readonly activationMs: number;
  /** The extension's parts, for integration tests. */
  readonly parts: {
    warehouse: WarehouseService;
    databases: CatalogTreeProvider;
    databasesView: vscode.TreeView<unknown>;
    catalogCommands: CatalogCommands;
    runner: QueryRunner;
    runs: RunController;
    results: ResultsViewProvider;
    statusBar: SessionStatusBar;
    language: LanguageFeatures;
    accounts: AccountManager;
    accountCommands: AccountCommands;
    accountStatusBar: AccountStatusBar;
    worksheetFs: WorksheetFileSystem;
    worksheets: WorksheetTreeProvider;
    worksheetCommands: WorksheetCommands;
    history: HistoryTreeProvider;
    historyCommands: HistoryCommands;
    demo: DemoCommands;
    worksheetEditor: WorksheetEditorProvider;
    compare: ComparePanels;
  };
}

let service: WarehouseService | undefined;

export function activate(context: vscode.ExtensionContext): MicroDataWarehouseApi {
  const started = performance.now();
  const logger = Logger.register(context);
  const log = logger.component('extension');

  // Nothing here opens the warehouse: DuckDB loads when a view or command first needs it.
  const warehouse = WarehouseService.register(context, logger);
  EncryptionCommands.register(context, logger, warehouse);
  CliAccess.register(context, logger, warehouse);
  service = warehouse;
  // Restores the session from SecretStorage in the background and gives the warehouse its space.
  const accounts = AccountManager.register(context, logger, warehouse);
  const accountCommands = AccountCommands.register(context, logger, accounts);
  const accountStatusBar = AccountStatusBar.register(context, accounts);
  const worksheetFs = WorksheetFileSystem.register(context, logger, accounts);
  const worksheets = WorksheetTreeProvider.register(context, logger, accounts, worksheetFs);
  const worksheetCommands = WorksheetCommands.register(context, logger, accounts, worksheetFs, worksheets);
  // The one run controller: every surface that runs SQL goes through it.
  const runLog = logger.component('run');
  const runs = new RunController({
    session: (key) => warehouse.session(key),
    openSession: (key) => warehouse.openSession(key),
    refresh: (key) => warehouse.refreshState(key),
    location: (key) => warehouse.state(key),
    log: (line) => runLog.info(line),
  });
  context.subscriptions.push(
    { dispose: () => runs.dispose() },
    warehouse.onDidChangeSession((key) => {
      if (!warehouse.openSession(key)) runs.forget(key);
    }),
  );
  const results = ResultsViewProvider.register(context, logger, runs);
  // One language service per warehouse, shared by the text editors' providers and the worksheet editor.
  const languageServices = new LanguageServices(warehouse, logger.component('language'));
  context.subscriptions.push(languageServices);
  const worksheetEditor = WorksheetEditorProvider.register(
    context,
    logger,
    warehouse,
    runs,
    languageServices,
    worksheetFs,
  );
  const runner = QueryRunner.register(context, logger, warehouse, runs, results, worksheetEditor);
  const compare = ComparePanels.register(context, logger, runs, () => {
    const target = runner.activeTarget();
    const run = target?.worksheet ? runs.lastRun(target.key) : results.run;
    return run ? { key: run.key, resultIds: run.results.map((e) => e.result.id) } : undefined;
  });
  results.resultActions = compare.actions;
  worksheetEditor.resultActions = compare.actions;
  const { provider: databases, view: databasesView } = CatalogTreeProvider.register(
    context,
    logger,
    warehouse,
  );
  const catalogCommands = CatalogCommands.register(context, logger, warehouse, runner, databases);
  const language = registerLanguageFeatures(context, logger, runner, worksheetEditor, languageServices);
  const statusBar = SessionStatusBar.register(context, warehouse, runner);
  const history = HistoryTreeProvider.register(context, logger, accounts);
  const historyCommands = HistoryCommands.register(context, logger, accounts, worksheetFs, history, runner);
  const demo = DemoCommands.register(context, logger, accounts, warehouse, () => {
    databases.refresh();
    worksheets.refresh();
  });
  // Leaving an account closes its worksheet editors and clears the Results panel before the next loads.
  AccountSwitch.register(context, logger, accounts, [results, worksheetEditor, historyCommands]);

  const activationMs = performance.now() - started;
  log.info(
    `activated in ${activationMs.toFixed(1)} ms (VS Code ${vscode.version}, Node ${process.version}, ${vscode.env.appHost})`,
  );
  return {
    activationMs,
    parts: {
      warehouse,
      databases,
      databasesView: databasesView as vscode.TreeView<unknown>,
      catalogCommands,
      runner,
      runs,
      results,
      statusBar,
      language,
      accounts,
      accountCommands,
      accountStatusBar,
      worksheetFs,
      worksheets,
      worksheetCommands,
      history,
      historyCommands,
      demo,
      worksheetEditor,
      compare,
    },
  };
}

/** Closes the sessions and the warehouse so DuckDB checkpoints and lets go of its files. */
export async function deactivate(): Promise<void> {
  await service?.close();
  service = undefined;
}
