import * as vscode from 'vscode';
import { errorMessage } from '../../engine/errors.js';
import type { HistoryEntry } from '../../engine/store/history.js';
import { T } from '../../engine/store/records.js';
import type { AccountManager } from '../../host/accounts/accountManager.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';

/** Commands of the History view (declared in package.json). */
export const HISTORY_COMMANDS = {
  open: 'microDataWarehouse.history.open',
  runAgain: 'microDataWarehouse.history.runAgain',
  refresh: 'microDataWarehouse.history.refresh',
  clear: 'microDataWarehouse.history.clear',
} as const;

/** A recorded run. */
export interface HistoryItem {
  kind: 'entry';
  id: string;
  entry: HistoryEntry;
}

/** The history failed to load: shows why; clicking retries. */
export interface HistoryErrorItem {
  kind: 'error';
  id: string;
  message: string;
}

export type HistoryElement = HistoryItem | HistoryErrorItem;

/** How many recent runs the view lists. */
export const HISTORY_SHOWN = 200;

/** The History view: the account's recent runs, newest first, with status, duration and rows. */
export class HistoryTreeProvider implements vscode.TreeDataProvider<HistoryElement> {
  static readonly viewId = 'microDataWarehouse.history';
  private readonly changed = new vscode.EventEmitter<HistoryElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  view!: vscode.TreeView<HistoryElement>;

  private constructor(
    private readonly manager: AccountManager,
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    manager: AccountManager,
  ): HistoryTreeProvider {
    const provider = new HistoryTreeProvider(manager, logger.component('history'));
    provider.view = vscode.window.createTreeView(HistoryTreeProvider.viewId, { treeDataProvider: provider });
    context.subscriptions.push(
      provider.view,
      provider.changed,
      manager.onDidChangeAccount(() => provider.refresh()),
      // Runs recorded by another window or the mdw command line.
      manager.onDidChangeStore((change) => {
        if (change.reloaded || change.tables.has(T.hist)) provider.refresh();
      }),
    );
    return provider;
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(element: HistoryElement): vscode.TreeItem {
    if (element.kind === 'error') {
      const item = new vscode.TreeItem(element.message);
      item.id = element.id;
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      item.contextValue = 'error';
      item.tooltip = `${element.message}\nClick to try again.`;
      item.command = { command: HISTORY_COMMANDS.refresh, title: 'Retry', arguments: [] };
      return item;
    }
    const e = element.entry;
    const item = new vscode.TreeItem(firstLine(e.sql));
    item.id = element.id;
    item.contextValue = 'entry';
    item.iconPath = statusIcon(e.status);
    item.description = describe(e);
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(
      `**${statusText(e.status)}** · ${new Date(e.startedAt).toLocaleString()} · ${duration(e.durationMs)}`,
    );
    if (e.rows !== null) tip.appendMarkdown(` · ${rowsText(e.rows)}`);
    tip.appendCodeblock(e.sql.length > 2000 ? `${e.sql.slice(0, 2000)}…` : e.sql, 'sql');
    if (e.error) tip.appendText(e.error);
    item.tooltip = tip;
    item.command = { command: HISTORY_COMMANDS.open, title: 'Open SQL', arguments: [element] };
    return item;
  }

  async getChildren(element?: HistoryElement): Promise<HistoryElement[]> {
    if (element) return [];
    const current = this.manager.current ?? (await this.manager.ready());
    if (!current) return [];
    try {
      const entries = await current.account.history.list({ limit: HISTORY_SHOWN });
      return entries.map((entry) => ({ kind: 'entry', id: entry.id, entry }));
    } catch (e) {
      this.log.error('loading the history failed', e);
      this.manager.noticeError(e);
      return [{ kind: 'error', id: 'error', message: `Could not load the history: ${errorMessage(e)}` }];
    }
  }
}

function firstLine(sql: string): string {
  const line = sql.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line || '(empty)';
}

function statusIcon(status: HistoryEntry['status']): vscode.ThemeIcon {
  switch (status) {
    case 'ok':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'error':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'cancelled':
      return new vscode.ThemeIcon('circle-slash');
  }
}

function statusText(status: HistoryEntry['status']): string {
  return { ok: 'Succeeded', error: 'Failed', cancelled: 'Cancelled' }[status];
}

/** "12 rows · 35 ms · 14:02", the line beside each run. */
export function describe(e: HistoryEntry): string {
  const parts = [
    ...(e.status === 'ok' ? [] : [statusText(e.status).toLowerCase()]),
    ...(e.rows !== null ? [rowsText(e.rows)] : []),
    duration(e.durationMs),
    new Date(e.startedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
  ];
  return parts.join(' · ');
}

function rowsText(rows: number): string {
  return `${rows.toLocaleString('en-US')} row${rows === 1 ? '' : 's'}`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
