import * as vscode from 'vscode';
import { Logger } from './host/logger.js';
import { QueryRunner } from './host/queryRunner.js';
import { SqlFormatter } from './host/sqlFormat.js';
import { SessionStatusBar } from './host/statusBar.js';
import { WarehouseService } from './host/warehouseService.js';
import { CatalogCommands } from './views/catalog/catalogCommands.js';
import { CatalogTreeProvider } from './views/catalog/catalogTreeProvider.js';
import { ResultsViewProvider } from './views/results/resultsViewProvider.js';
import { WorksheetEditorProvider } from './views/worksheetEditor/worksheetEditorProvider.js';

/** Views declared in package.json whose providers come with the accounts layer; welcome text until then. */
const PLACEHOLDER_VIEWS = ['microDataWarehouse.worksheets', 'microDataWarehouse.history'];

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
    results: ResultsViewProvider;
    statusBar: SessionStatusBar;
    worksheets: WorksheetEditorProvider;
  };
}

let service: WarehouseService | undefined;

export function activate(context: vscode.ExtensionContext): MicroDataWarehouseApi {
  const started = performance.now();
  const logger = Logger.register(context);
  const log = logger.component('extension');

  // An empty tree makes VS Code show the view's welcome content from package.json.
  const empty: vscode.TreeDataProvider<never> = { getTreeItem: (e) => e, getChildren: () => [] };
  for (const id of PLACEHOLDER_VIEWS) {
    context.subscriptions.push(vscode.window.createTreeView(id, { treeDataProvider: empty }));
  }

  // Nothing here opens the warehouse: DuckDB loads when a view or command first needs it.
  const warehouse = WarehouseService.register(context, logger);
  service = warehouse;
  const results = ResultsViewProvider.register(context, logger);
  const runner = QueryRunner.register(context, logger, warehouse, results);
  const { provider: databases, view: databasesView } = CatalogTreeProvider.register(
    context,
    logger,
    warehouse,
  );
  const catalogCommands = CatalogCommands.register(context, logger, warehouse, runner, databases);
  SqlFormatter.register(context, logger);
  const statusBar = SessionStatusBar.register(context, warehouse);
  const worksheets = WorksheetEditorProvider.register(context, logger, warehouse);

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
      results,
      statusBar,
      worksheets,
    },
  };
}

/** Closes the sessions and the warehouse so DuckDB checkpoints and lets go of its files. */
export async function deactivate(): Promise<void> {
  await service?.close();
  service = undefined;
}
