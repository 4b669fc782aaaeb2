import * as vscode from 'vscode';
import type { AccountManager, SignedInAccount } from './accountManager.js';
import { ACCOUNT_COMMANDS } from './accountCommands.js';

/** The account in the status bar: who is signed in (click for the account menu), or Sign In. */
export class AccountStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'microDataWarehouse.account',
    vscode.StatusBarAlignment.Left,
    51,
  );

  private constructor() {
    this.item.name = 'MicroDataWarehouse Account';
  }

  static register(context: vscode.ExtensionContext, manager: AccountManager): AccountStatusBar {
    const bar = new AccountStatusBar();
    context.subscriptions.push(
      bar,
      manager.onDidChangeAccount((a) => bar.update(a)),
    );
    bar.update(manager.current);
    return bar;
  }

  /** What the item shows now (for tests). */
  get text(): string {
    return this.item.text;
  }

  update(account: SignedInAccount | undefined): void {
    if (account) {
      this.item.text = `$(account) ${account.email}`;
      this.item.tooltip = `MicroDataWarehouse: signed in as ${account.email}. Click for Sign Out and more.`;
      this.item.command = ACCOUNT_COMMANDS.manage;
    } else {
      this.item.text = '$(account) Sign In';
      this.item.tooltip = 'MicroDataWarehouse: not signed in. Click to sign in with your email address.';
      this.item.command = ACCOUNT_COMMANDS.signIn;
    }
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
