import * as vscode from 'vscode';
import { EngineError } from '../../engine/errors.js';
import type { Account } from '../../engine/store/account.js';
import { checkName, type DeleteReport } from '../../engine/store/worksheets.js';
import type { AccountManager } from '../../host/accounts/accountManager.js';
import { registerCommand } from '../../host/commands.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';
import { WORKSHEET_SCHEME, worksheetUri, type WorksheetFileSystem } from './worksheetFileSystem.js';
import {
  folderOf,
  REFRESH_WORKSHEETS,
  uriOf,
  type WorksheetElement,
  type WorksheetItem,
} from './worksheetNodes.js';
import type { WorksheetTreeProvider } from './worksheetTreeProvider.js';

/** The Worksheets view's commands (declared in package.json). */
export const WORKSHEET_COMMANDS = {
  newWorksheet: 'microDataWarehouse.worksheets.newWorksheet',
  newFolder: 'microDataWarehouse.worksheets.newFolder',
  rename: 'microDataWarehouse.worksheets.rename',
  delete: 'microDataWarehouse.worksheets.delete',
  refresh: REFRESH_WORKSHEETS,
  reveal: 'microDataWarehouse.worksheets.reveal',
} as const;

/** Options for scripts and tests: `confirmed` skips the modal confirmation (refused under test). */
export interface DeleteOptions {
  confirmed?: boolean;
}

/** Creates, renames, moves and deletes folders and worksheets; renames and moves go through a workspace edit so open editors follow. */
export class WorksheetCommands {
  private constructor(
    private readonly manager: AccountManager,
    private readonly fs: WorksheetFileSystem,
    private readonly tree: WorksheetTreeProvider,
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    manager: AccountManager,
    fs: WorksheetFileSystem,
    tree: WorksheetTreeProvider,
  ): WorksheetCommands {
    const log = logger.component('worksheets');
    const commands = new WorksheetCommands(manager, fs, tree, log);
    const command = (id: string, handler: (...args: never[]) => unknown): void =>
      registerCommand(context, log, id, handler);
    command(WORKSHEET_COMMANDS.newWorksheet, (target?: WorksheetElement | null, name?: string) =>
      commands.create('worksheet', target, name),
    );
    command(WORKSHEET_COMMANDS.newFolder, (target?: WorksheetElement | null, name?: string) =>
      commands.create('folder', target, name),
    );
    command(WORKSHEET_COMMANDS.rename, (target?: WorksheetElement, name?: string) =>
      commands.rename(target, name),
    );
    command(
      WORKSHEET_COMMANDS.delete,
      (target?: WorksheetElement, selected?: WorksheetElement[], options?: DeleteOptions) =>
        commands.delete(target, selected, options),
    );
    command(WORKSHEET_COMMANDS.refresh, () => tree.refresh());
    command(WORKSHEET_COMMANDS.reveal, () => commands.revealActive());
    tree.setMover((items, folder, before) => commands.move(items, folder, before));
    return commands;
  }

  /** New Worksheet / New Folder in the target (or selected) folder; a worksheet opens in an editor. Returns its URI. */
  async create(
    kind: 'worksheet' | 'folder',
    target?: WorksheetElement | null,
    name?: string,
  ): Promise<vscode.Uri | undefined> {
    const { account, tag } = await this.manager.require();
    // null: the top level; nothing (a title-bar button, the palette): the selected folder, like the Explorer.
    const folder = target === null ? null : folderOf(target ?? this.tree.view.selection[0]);
    const siblings = await account.worksheets.children(folder?.node.id ?? null);
    const taken = new Set(siblings.map((s) => s.name.toLowerCase()));
    const base = kind === 'worksheet' ? 'Untitled' : 'New Folder';
    let suggestion = base;
    for (let i = 2; taken.has(suggestion.toLowerCase()); i++) suggestion = `${base} ${i}`;
    const where = folder ? folder.path : 'the top level';
    const chosen =
      name ??
      (await vscode.window.showInputBox({
        title: kind === 'worksheet' ? 'New Worksheet' : 'New Folder',
        prompt: `Name of the new ${kind} in ${where}`,
        value: suggestion,
        validateInput: (v) => nameProblem(v, taken),
      }));
    if (chosen === undefined) return undefined;
    const node =
      kind === 'worksheet'
        ? await account.worksheets.createWorksheet(folder?.node.id ?? null, chosen, { sql: '' })
        : await account.worksheets.createFolder(folder?.node.id ?? null, chosen);
    const uri = worksheetUri(tag, `${folder ? folder.path : ''}/${node.name}`, kind);
    this.fs.notify([{ type: vscode.FileChangeType.Created, uri }]);
    this.log.info(`${kind} created`);
    if (kind === 'worksheet') await vscode.commands.executeCommand('vscode.open', uri);
    await this.tree.reveal(uri).catch(() => undefined);
    return uri;
  }

  /** Renames a node through a workspace edit (open editors of it, or below it, follow). */
  async rename(target?: WorksheetElement, name?: string): Promise<vscode.Uri | undefined> {
    const item = this.node(target);
    const { account } = await this.manager.require();
    const siblings = await account.worksheets.children(item.node.parentId);
    const taken = new Set(siblings.filter((s) => s.id !== item.node.id).map((s) => s.name.toLowerCase()));
    const chosen =
      name ??
      (await vscode.window.showInputBox({
        title: `Rename ${item.node.kind === 'folder' ? 'Folder' : 'Worksheet'}`,
        value: item.node.name,
        validateInput: (v) => nameProblem(v, taken),
      }));
    if (chosen === undefined || chosen.trim() === item.node.name) return undefined;
    const problem = nameProblem(chosen, taken);
    if (problem)
      throw new EngineError(taken.has(chosen.trim().toLowerCase()) ? 'NAME_TAKEN' : 'NAME_INVALID', problem);
    const parentPath = item.parent ? item.parent.path : '';
    const to = worksheetUri(item.tag, `${parentPath}/${checkName(chosen)}`, item.node.kind);
    await this.applyMoves([[uriOf(item), to]]);
    return to;
  }

  /** Moves nodes into `folder` (null: the top level), placed before `before` when given. */
  async move(items: WorksheetItem[], folder: WorksheetItem | null, before?: WorksheetItem): Promise<void> {
    const { account } = await this.manager.require();
    const chosen = new Set(items.map((i) => i.id));
    // Moving a folder moves what is inside it: drop nodes whose folder is also being moved.
    const roots = items.filter((i) => {
      for (let p = i.parent; p; p = p.parent) if (chosen.has(p.id)) return false;
      return true;
    });
    for (const item of roots) {
      for (let at: WorksheetItem | null = folder; at; at = at.parent ?? null) {
        if (at.id === item.id) {
          throw new EngineError(
            'MOVE_INVALID',
            `Cannot move "${item.node.name}" into itself or one of its own folders.`,
          );
        }
      }
    }
    const destination = folder?.node.id ?? null;
    const siblings = await account.worksheets.children(destination);
    const moves: [vscode.Uri, vscode.Uri][] = [];
    for (const item of roots) {
      if (item.node.parentId === destination) continue;
      const clash = siblings.find((s) => s.name.toLowerCase() === item.node.name.toLowerCase());
      if (clash) {
        throw new EngineError(
          'NAME_TAKEN',
          `${folder ? `"${folder.node.name}"` : 'The top level'} already has something named "${clash.name}": rename one of them first.`,
        );
      }
      moves.push([
        uriOf(item),
        worksheetUri(item.tag, `${folder ? folder.path : ''}/${item.node.name}`, item.node.kind),
      ]);
    }
    if (moves.length) await this.applyMoves(moves);
    if (before) {
      let position = (await account.worksheets.children(destination)).findIndex((s) => s.id === before.id);
      for (const item of roots) {
        if (item.id === before.id || position < 0) continue;
        const moved = await account.worksheets.move(item.id, destination, position);
        position = moved.position + 1;
      }
      this.tree.refresh();
    }
    this.log.info(`${roots.length} node(s) moved`);
  }

  /** Deletes the selected nodes and all below them after a confirmation that says how much goes. */
  async delete(
    target?: WorksheetElement,
    selected?: WorksheetElement[],
    options: DeleteOptions = {},
  ): Promise<DeleteReport | undefined> {
    const { account } = await this.manager.require();
    const picked = (selected?.length ? selected : target ? [target] : this.tree.view.selection).filter(
      (e): e is WorksheetItem => e.kind === 'node',
    );
    if (picked.length === 0) throw new Error('Select the folders or worksheets to delete first.');
    const ids = new Set(picked.map((p) => p.id));
    const roots = picked.filter((i) => {
      for (let p = i.parent; p; p = p.parent) if (ids.has(p.id)) return false;
      return true;
    });
    const count: DeleteReport = { folders: 0, worksheets: 0 };
    for (const item of roots) {
      const sub = await countSubtree(account, item);
      count.folders += sub.folders;
      count.worksheets += sub.worksheets;
    }
    const what = describeCount(count);
    if (!options.confirmed) {
      const named = roots.length === 1 ? `"${roots[0]!.node.name}"` : `${roots.length} items`;
      const choice = await vscode.window.showWarningMessage(
        `Delete ${named}? This deletes ${what}, with their saved revisions. It cannot be undone.`,
        { modal: true },
        'Delete',
      );
      if (choice !== 'Delete') return undefined;
    }
    const report: DeleteReport = { folders: 0, worksheets: 0 };
    for (const item of roots) {
      const r = await this.fs.deleteNode(uriOf(item));
      report.folders += r.folders;
      report.worksheets += r.worksheets;
    }
    vscode.window.setStatusBarMessage(`MicroDataWarehouse: deleted ${describeCount(report)}.`, 5000);
    this.log.info(`deleted ${report.folders} folder(s), ${report.worksheets} worksheet(s)`);
    return report;
  }

  /** Selects the active editor's worksheet in the tree. */
  async revealActive(): Promise<void> {
    const uri = vscode.window.activeTextEditor?.document.uri ?? activeTabUri();
    if (!uri || uri.scheme !== WORKSHEET_SCHEME) {
      void vscode.window.showInformationMessage('The active editor is not a worksheet.');
      return;
    }
    const item = await this.tree.reveal(uri, { focus: true });
    if (!item)
      void vscode.window.showInformationMessage(
        'That worksheet is not in your tree (another account, or deleted).',
      );
  }

  private node(target: WorksheetElement | undefined): WorksheetItem {
    const item = target ?? this.tree.view.selection[0];
    if (!item || item.kind !== 'node') throw new Error('Select a folder or worksheet first.');
    return item;
  }

  private async applyMoves(moves: [vscode.Uri, vscode.Uri][]): Promise<void> {
    const edit = new vscode.WorkspaceEdit();
    for (const [from, to] of moves) edit.renameFile(from, to, { overwrite: false });
    this.fs.lastError = undefined;
    const ok = await vscode.workspace.applyEdit(edit);
    if (!ok) {
      const cause = this.fs.lastError;
      throw cause instanceof Error
        ? new Error(cause.message.replace(/ \(FileSystemError\)$/, ''))
        : new Error('The move or rename did not happen.');
    }
    this.tree.refresh();
  }
}

function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input && typeof input === 'object' && 'uri' in input
    ? (input as { uri: vscode.Uri }).uri
    : undefined;
}

function nameProblem(value: string, taken: Set<string>): string | undefined {
  try {
    const clean = checkName(value);
    return taken.has(clean.toLowerCase())
      ? `"${clean}" is already used in this folder (names ignore case).`
      : undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function countSubtree(account: Account, item: WorksheetItem): Promise<DeleteReport> {
  const report: DeleteReport = { folders: 0, worksheets: 0 };
  const queue = [item.node];
  while (queue.length) {
    const node = queue.pop()!;
    if (node.kind === 'worksheet') {
      report.worksheets++;
      continue;
    }
    report.folders++;
    queue.push(...(await account.worksheets.children(node.id)));
  }
  return report;
}

/** "2 folders and 3 worksheets", "1 worksheet". */
export function describeCount(r: DeleteReport): string {
  const parts: string[] = [];
  if (r.folders) parts.push(`${r.folders} folder${r.folders === 1 ? '' : 's'}`);
  if (r.worksheets || !r.folders) parts.push(`${r.worksheets} worksheet${r.worksheets === 1 ? '' : 's'}`);
  return parts.join(' and ');
}
