import * as vscode from 'vscode';
import { COMMANDS } from './commands.js';
import { isSql } from './queryRunner.js';
import { documentKey, type WarehouseService } from './warehouseService.js';

/**
 * Status bar items for the active SQL editor: its session's database and schema, and the transaction
 * state when one is open or aborted. The account part is added by the accounts layer.
 */
export class SessionStatusBar implements vscode.Disposable {
  private readonly location = vscode.window.createStatusBarItem(
    'microDataWarehouse.session',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private readonly transaction = vscode.window.createStatusBarItem(
    'microDataWarehouse.transaction',
    vscode.StatusBarAlignment.Left,
    49,
  );

  private constructor(private readonly service: WarehouseService) {
    this.location.name = 'MicroDataWarehouse Database';
    this.location.command = COMMANDS.use;
    this.transaction.name = 'MicroDataWarehouse Transaction';
  }

  static register(context: vscode.ExtensionContext, service: WarehouseService): SessionStatusBar {
    const bar = new SessionStatusBar(service);
    context.subscriptions.push(
      bar,
      vscode.window.onDidChangeActiveTextEditor(() => bar.update()),
      service.onDidChangeSession(() => bar.update()),
      service.onDidChangeWarehouse(() => bar.update()),
    );
    bar.update();
    return bar;
  }

  /** What the items show now (for tests). */
  get text(): { location: string | undefined; transaction: string | undefined } {
    return {
      location: this.location.text || undefined,
      transaction: this.transaction.text || undefined,
    };
  }

  update(): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !isSql(editor.document)) {
      this.location.hide();
      this.transaction.hide();
      return;
    }
    const state = this.service.state(documentKey(editor.document));
    if (!state) {
      this.location.text = '$(database) MicroDataWarehouse';
      this.location.tooltip = 'No session yet: run a statement, or click to choose a database.';
    } else {
      this.location.text = `$(database) ${state.database}.${state.schema}`;
      this.location.tooltip = `Unqualified names in this editor resolve in ${state.database}.${state.schema}. Click to use another database or schema.`;
    }
    this.location.show();
    const tx = state?.transaction;
    if (tx?.aborted) {
      this.transaction.text = '$(error) Transaction aborted';
      this.transaction.tooltip =
        'An error aborted the open transaction: nothing more can be saved. Roll back (COMMIT also rolls back).';
      this.transaction.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      this.transaction.command = COMMANDS.rollback;
      this.transaction.show();
    } else if (tx?.open) {
      this.transaction.text = '$(git-commit) Transaction open';
      this.transaction.tooltip =
        'A transaction is open in this editor: run COMMIT or ROLLBACK (or use the commands).';
      this.transaction.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.transaction.command = undefined;
      this.transaction.show();
    } else {
      this.transaction.text = '';
      this.transaction.hide();
    }
  }

  dispose(): void {
    this.location.dispose();
    this.transaction.dispose();
  }
}
