import * as vscode from 'vscode';
import { Logger } from './host/logger.js';

/** Views declared in package.json; each shows its welcome text until its real provider lands. */
const PLACEHOLDER_VIEWS = [
  'microDataWarehouse.databases',
  'microDataWarehouse.worksheets',
  'microDataWarehouse.history',
];

/** What activate() hands to tests and to other extensions. */
export interface MicroDataWarehouseApi {
  /** Milliseconds spent in activate(), measured by the extension itself. */
  readonly activationMs: number;
}

export function activate(context: vscode.ExtensionContext): MicroDataWarehouseApi {
  const started = performance.now();
  const logger = Logger.register(context);
  const log = logger.component('extension');

  // An empty tree makes VS Code show the view's welcome content from package.json.
  const empty: vscode.TreeDataProvider<never> = { getTreeItem: (e) => e, getChildren: () => [] };
  for (const id of PLACEHOLDER_VIEWS) {
    context.subscriptions.push(vscode.window.createTreeView(id, { treeDataProvider: empty }));
  }

  const activationMs = performance.now() - started;
  log.info(
    `activated in ${activationMs.toFixed(1)} ms (VS Code ${vscode.version}, Node ${process.version}, ${vscode.env.appHost})`,
  );
  return { activationMs };
}

export function deactivate(): void {}
