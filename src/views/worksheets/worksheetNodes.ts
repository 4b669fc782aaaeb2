import * as vscode from 'vscode';
import type { TreeNode } from '../../engine/store/worksheets.js';
import { worksheetUri } from './worksheetFileSystem.js';

/** A folder or worksheet of the account's tree, with its path (`/Reports/revenue`). */
export interface WorksheetItem {
  kind: 'node';
  id: string;
  node: TreeNode;
  path: string;
  /** The account tag its URI carries. */
  tag: string;
  parent: WorksheetItem | undefined;
}

/** A level that failed to load: shows the message; its inline action (and click) retries. */
export interface WorksheetErrorItem {
  kind: 'error';
  id: string;
  message: string;
  parent: WorksheetItem | undefined;
}

/** Every element of the Worksheets tree: plain data with stable ids; TreeItems are built on demand. */
export type WorksheetElement = WorksheetItem | WorksheetErrorItem;

/** The `mdw:` URI of a folder or worksheet. */
export function uriOf(item: WorksheetItem): vscode.Uri {
  return worksheetUri(item.tag, item.path, item.node.kind);
}

/** The folder new things go into when `item` is selected: itself, its folder, or the root (null). */
export function folderOf(item: WorksheetElement | undefined): WorksheetItem | null {
  if (!item || item.kind !== 'node') return item?.parent ?? null;
  return item.node.kind === 'folder' ? item : (item.parent ?? null);
}

/** Command that reloads the Worksheets tree (the retry of error nodes). */
export const REFRESH_WORKSHEETS = 'microDataWarehouse.worksheets.refresh';

export function treeItem(element: WorksheetElement): vscode.TreeItem {
  if (element.kind === 'error') {
    const item = new vscode.TreeItem(element.message, vscode.TreeItemCollapsibleState.None);
    item.id = element.id;
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    item.tooltip = `${element.message}\nClick to try again.`;
    item.contextValue = 'error';
    item.command = { command: REFRESH_WORKSHEETS, title: 'Retry', arguments: [] };
    return item;
  }
  const { node } = element;
  const folder = node.kind === 'folder';
  const item = new vscode.TreeItem(
    node.name,
    folder ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  item.id = element.id;
  item.contextValue = node.kind;
  // With resourceUri, the file icon theme draws them like the Explorer does (a SQL icon for worksheets).
  item.iconPath = folder ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
  item.resourceUri = uriOf(element);
  const updated = new Date(node.updatedAt).toLocaleString();
  item.tooltip = `${element.path}\n${folder ? 'Folder' : 'Worksheet'} · changed ${updated}`;
  if (!folder) {
    item.command = { command: 'vscode.open', title: 'Open Worksheet', arguments: [item.resourceUri] };
  }
  return item;
}
