import * as vscode from 'vscode';
import type { ComponentLogger, Logger } from '../logger.js';
import { within } from '../within.js';
import type { AccountManager, SignedInAccount } from './accountManager.js';

/** URI scheme of worksheets (see src/views/worksheets/worksheetFileSystem.ts). */
const WORKSHEET_SCHEME = 'mdw';
/** View type of the Query Plan panel (a webview tab's viewType ends with it). */
const PLAN_VIEW_TYPE = 'microDataWarehouse.plan';

/** Longest one part may take to clear what it shows of the account that was left. */
const PART_MS = 2_000;

/** What the switch clears besides editor tabs (the Results panel, worksheet webviews). */
export interface AccountScoped {
  /** Forgets and blanks (or closes) everything shown of the account that was left. */
  clearAccount(previous: SignedInAccount): void | Promise<void>;
}

/**
 * Leaving an account (Sign In with Another Account, Sign Out, a sign-out in another window) leaves
 * nothing of it on screen: unsaved worksheets are saved while its session still works, then its
 * worksheet tabs (text and worksheet-editor tabs), the Query Plan panel, the Results panel and the
 * untitled editors History opened with its SQL are closed or cleared before the next account's views
 * load.
 */
export class AccountSwitch {
  private constructor(
    private readonly scoped: AccountScoped[],
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    manager: AccountManager,
    scoped: AccountScoped[],
  ): AccountSwitch {
    const handler = new AccountSwitch(scoped, logger.component('accounts'));
    context.subscriptions.push(
      manager.onWillLeaveAccount((e) => e.waitUntil(handler.saveAll(e.previous))),
      manager.onDidLeaveAccount((e) => e.waitUntil(handler.closeAll(e.previous))),
    );
    return handler;
  }

  /** Saves the account's unsaved worksheets (its session still works at this point). */
  async saveAll(previous: SignedInAccount): Promise<void> {
    const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && ownedBy(d.uri, previous));
    const saved = await Promise.all(dirty.map((d) => d.save().then(undefined, () => false)));
    const failed = saved.filter((ok) => !ok).length;
    if (dirty.length) this.log.info(`saved ${dirty.length - failed} of ${dirty.length} unsaved worksheet(s)`);
  }

  /** Closes the account's worksheet tabs and the plan panel, and clears the Results panel (all at once). */
  async closeAll(previous: SignedInAccount): Promise<void> {
    await Promise.all([
      ...this.scoped.map((part) =>
        within(Promise.resolve(part.clearAccount(previous)), PART_MS, 'clearing a view').catch((e: unknown) =>
          this.log.warn(
            `clearing a view of the previous account: ${e instanceof Error ? e.message : String(e)}`,
          ),
        ),
      ),
      this.closeTabs(previous),
    ]);
  }

  private async closeTabs(previous: SignedInAccount): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => belongsTo(t, previous));
    const clean = tabs.filter((t) => !t.isDirty);
    if (clean.length) await vscode.window.tabGroups.close(clean, true);
    // A worksheet left unsaved (its session ended elsewhere, or saving failed): VS Code asks the user.
    const dirty = tabs.filter((t) => t.isDirty);
    if (dirty.length) {
      this.log.warn(`${dirty.length} unsaved worksheet(s) of the previous account could not be saved`);
      void Promise.resolve(vscode.window.tabGroups.close(dirty, true)).catch(() => undefined);
    }
    this.log.info(`closed ${clean.length} tab(s) of the previous account`);
  }
}

function ownedBy(uri: vscode.Uri, account: SignedInAccount): boolean {
  return uri.scheme === WORKSHEET_SCHEME && uri.authority === account.tag;
}

/** True for a tab showing one of the account's worksheets (any editor kind) or the Query Plan panel. */
function belongsTo(tab: vscode.Tab, account: SignedInAccount): boolean {
  const input = tab.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) {
    return ownedBy(input.uri, account);
  }
  if (input instanceof vscode.TabInputTextDiff) {
    return ownedBy(input.original, account) || ownedBy(input.modified, account);
  }
  if (input instanceof vscode.TabInputNotebook) return ownedBy(input.uri, account);
  if (input instanceof vscode.TabInputWebview) return input.viewType.endsWith(PLAN_VIEW_TYPE);
  return false;
}
