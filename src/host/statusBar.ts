import * as vscode from 'vscode';
import { INTERNAL_PREFIX } from '../engine/names.js';
import { COMMANDS } from './commands.js';
import type { QueryRunner } from './queryRunner.js';
import type { WarehouseService } from './warehouseService.js';

/** Context keys of the active SQL document (text or worksheet editor), for menus and `when` clauses. */
export const CONTEXT_KEYS = {
  running: 'microDataWarehouse.running',
  transactionOpen: 'microDataWarehouse.transactionOpen',
  transactionAborted: 'microDataWarehouse.transactionAborted',
} as const;

/**
 * Status bar items for the active SQL document (a text editor or a worksheet editor): its session's
 * database and schema, and the transaction state when one is open or aborted; and the context keys
 * running / transactionOpen / transactionAborted. The account part is added by the accounts layer.
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

  private readonly shown = { location: false, transaction: false };
  private readonly keys: Record<keyof typeof CONTEXT_KEYS, boolean | undefined> = {
    running: undefined,
    transactionOpen: undefined,
    transactionAborted: undefined,
  };

  private constructor(
    private readonly service: WarehouseService,
    private readonly runner: QueryRunner,
  ) {
    this.location.name = 'MicroDataWarehouse Database';
    this.location.command = COMMANDS.use;
    this.transaction.name = 'MicroDataWarehouse Transaction';
  }

  static register(
    context: vscode.ExtensionContext,
    service: WarehouseService,
    runner: QueryRunner,
  ): SessionStatusBar {
    const bar = new SessionStatusBar(service, runner);
    context.subscriptions.push(
      bar,
      vscode.window.onDidChangeActiveTextEditor(() => bar.update()),
      vscode.window.tabGroups.onDidChangeTabs(() => bar.update()),
      runner.worksheetsChanged(() => bar.update()),
      runner.runs.onDidChangeState(() => bar.update()),
      service.onDidChangeSession(() => bar.update()),
      service.onDidChangeWarehouse(() => bar.update()),
    );
    bar.update();
    return bar;
  }

  /** What the items show now (for tests). */
  get text(): { location: string | undefined; transaction: string | undefined } {
    return {
      location: this.shown.location ? this.location.text || undefined : undefined,
      transaction: this.shown.transaction ? this.transaction.text || undefined : undefined,
    };
  }

  /** The context keys as last set (for tests). */
  get contextKeys(): { running: boolean; transactionOpen: boolean; transactionAborted: boolean } {
    return {
      running: this.keys.running === true,
      transactionOpen: this.keys.transactionOpen === true,
      transactionAborted: this.keys.transactionAborted === true,
    };
  }

  update(): void {
    const target = this.runner.activeTarget();
    const docState = target ? this.runner.runs.state(target.key) : undefined;
    this.setKey('running', docState?.running ?? false);
    this.setKey('transactionOpen', docState?.transaction.open ?? false);
    this.setKey('transactionAborted', docState?.transaction.aborted ?? false);
    if (!target) {
      this.location.hide();
      this.shown.location = false;
      this.transaction.hide();
      this.shown.transaction = false;
      return;
    }
    const location = this.service.state(target.key);
    const state = location && docState ? { ...location, transaction: docState.transaction } : undefined;
    if (!state) {
      this.location.text = '$(database) MicroDataWarehouse';
      this.location.tooltip = 'No session yet: run a statement, or click to choose a database.';
    } else if (state.database.startsWith(INTERNAL_PREFIX)) {
      // With no database of its own the session works in the scratch area of kept results.
      this.location.text = '$(database) no database';
      this.location.tooltip =
        'No database yet: create one (New Database) to keep tables; click to choose one.';
    } else {
      this.location.text = `$(database) ${state.database}.${state.schema}`;
      this.location.tooltip = `Unqualified names in this editor resolve in ${state.database}.${state.schema}. Click to use another database or schema.`;
    }
    this.location.show();
    this.shown.location = true;
    const tx = state?.transaction;
    if (tx?.aborted) {
      this.transaction.text = '$(error) Transaction aborted';
      this.transaction.tooltip =
        'An error aborted the open transaction: nothing more can be saved. Roll back (COMMIT also rolls back).';
      this.transaction.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      this.transaction.command = COMMANDS.rollback;
      this.transaction.show();
      this.shown.transaction = true;
    } else if (tx?.open) {
      this.transaction.text = '$(git-commit) Transaction open';
      this.transaction.tooltip =
        'A transaction is open in this editor: run COMMIT or ROLLBACK (or use the commands).';
      this.transaction.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      this.transaction.command = undefined;
      this.transaction.show();
      this.shown.transaction = true;
    } else {
      this.transaction.text = '';
      this.transaction.hide();
      this.shown.transaction = false;
    }
  }

  private setKey(key: keyof typeof CONTEXT_KEYS, value: boolean): void {
    if (this.keys[key] === value) return;
    this.keys[key] = value;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS[key], value);
  }

  dispose(): void {
    this.location.dispose();
    this.transaction.dispose();
  }
}
