import * as vscode from 'vscode';
import { errorMessage } from '../../engine/errors.js';
import type { TreeNode } from '../../engine/store/worksheets.js';
import type { AccountManager } from '../../host/accounts/accountManager.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';
import { WORKSHEET_SCHEME, type WorksheetFileSystem } from './worksheetFileSystem.js';
import { folderOf, treeItem, uriOf, type WorksheetElement, type WorksheetItem } from './worksheetNodes.js';

const TREE_MIME = 'application/vnd.code.tree.microdatawarehouse.worksheets';

/** Moves nodes into a folder (null: the root), before `before` when given; provided by the commands. */
export type Mover = (
  items: WorksheetItem[],
  folder: WorksheetItem | null,
  before?: WorksheetItem,
) => Promise<unknown>;

/**
 * The Worksheets view: the signed-in account's folders and worksheets, loaded a level at a time. Elements
 * are cached by id so reveal() and drag and drop see the same objects. Drag one or several nodes onto a
 * folder (or between worksheets) to move them; worksheets dragged into an editor open there.
 */
export class WorksheetTreeProvider
  implements vscode.TreeDataProvider<WorksheetElement>, vscode.TreeDragAndDropController<WorksheetElement>
{
  static readonly viewId = 'microDataWarehouse.worksheets';
  readonly dragMimeTypes = [TREE_MIME, 'text/uri-list'];
  readonly dropMimeTypes = [TREE_MIME];
  private readonly changed = new vscode.EventEmitter<WorksheetElement | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly items = new Map<string, WorksheetItem>();
  private mover: Mover | undefined;
  view!: vscode.TreeView<WorksheetElement>;

  private constructor(
    private readonly manager: AccountManager,
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    manager: AccountManager,
    fs: WorksheetFileSystem,
  ): WorksheetTreeProvider {
    const provider = new WorksheetTreeProvider(manager, logger.component('worksheets'));
    provider.view = vscode.window.createTreeView(WorksheetTreeProvider.viewId, {
      treeDataProvider: provider,
      dragAndDropController: provider,
      canSelectMany: true,
      showCollapseAll: true,
    });
    context.subscriptions.push(
      provider.view,
      provider.changed,
      manager.onDidChangeAccount(() => {
        // Nothing of the previous account is kept: its nodes go with it.
        provider.items.clear();
        provider.refresh();
      }),
      fs.onDidChangeFile(() => provider.refresh()),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor?.document.uri.scheme === WORKSHEET_SCHEME && provider.view.visible) {
          void provider.reveal(editor.document.uri).catch(() => undefined);
        }
      }),
    );
    return provider;
  }

  /** Sets who performs drops (the commands, which keep open editors in step). */
  setMover(mover: Mover): void {
    this.mover = mover;
  }

  /** Reloads the whole tree. */
  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(element: WorksheetElement): vscode.TreeItem {
    return treeItem(element);
  }

  getParent(element: WorksheetElement): WorksheetElement | undefined {
    return element.parent;
  }

  async getChildren(element?: WorksheetElement): Promise<WorksheetElement[]> {
    if (element?.kind === 'error') return [];
    const current = this.manager.current ?? (await this.manager.ready());
    // Signed out: no nodes, so the view shows its Sign In welcome text.
    if (!current) return [];
    try {
      const children = await current.account.worksheets.children(element?.node.id ?? null);
      return children.map((node) => this.item(node, element, current.tag));
    } catch (e) {
      this.log.error(`loading ${element ? 'a folder' : 'the worksheets'} failed`, e);
      this.manager.noticeError(e);
      return [
        {
          kind: 'error',
          id: `error/${element?.id ?? 'root'}`,
          message: `Could not load: ${errorMessage(e)}`,
          parent: element,
        },
      ];
    }
  }

  /** Selects the node of a `mdw:` URI, expanding the folders above it. */
  async reveal(uri: vscode.Uri, options: { focus?: boolean } = {}): Promise<WorksheetItem | undefined> {
    const current = await this.manager.require();
    if (uri.authority !== current.tag) return undefined;
    const located = await this.locateItem(uri.path);
    if (located)
      await this.view.reveal(located, { select: true, focus: options.focus ?? false, expand: false });
    return located;
  }

  /** The cached element of a node id, if it was shown. */
  itemById(id: string): WorksheetItem | undefined {
    return this.items.get(id);
  }

  /** The element at a `/A/B/name.mdw.sql`-style path, loading the levels on the way. */
  async locateItem(path: string): Promise<WorksheetItem | undefined> {
    const names = path.split('/').filter((p) => p.length > 0);
    let parent: WorksheetItem | undefined;
    for (const [i, raw] of names.entries()) {
      const last = i === names.length - 1;
      const children = (await this.getChildren(parent)).filter((c): c is WorksheetItem => c.kind === 'node');
      const wanted = raw.toLowerCase();
      const next = children.find((c) =>
        c.node.kind === 'worksheet' && last
          ? `${c.node.name}.mdw.sql`.toLowerCase() === wanted || c.node.name.toLowerCase() === wanted
          : c.node.kind === 'folder' && c.node.name.toLowerCase() === wanted,
      );
      if (!next) return undefined;
      parent = next;
    }
    return parent;
  }

  handleDrag(source: readonly WorksheetElement[], data: vscode.DataTransfer): void {
    const nodes = source.filter((s): s is WorksheetItem => s.kind === 'node');
    data.set(TREE_MIME, new vscode.DataTransferItem(nodes));
    const sheets = nodes.filter((n) => n.node.kind === 'worksheet');
    if (sheets.length) {
      data.set(
        'text/uri-list',
        new vscode.DataTransferItem(sheets.map((n) => uriOf(n).toString()).join('\r\n')),
      );
    }
  }

  async handleDrop(target: WorksheetElement | undefined, data: vscode.DataTransfer): Promise<void> {
    const dragged = data.get(TREE_MIME)?.value as WorksheetItem[] | undefined;
    if (!dragged?.length || !this.mover || target?.kind === 'error') return;
    const folder = folderOf(target);
    const before = target?.kind === 'node' && target.node.kind === 'worksheet' ? target : undefined;
    await this.mover(dragged, folder, before);
  }

  private item(node: TreeNode, parent: WorksheetItem | undefined, tag: string): WorksheetItem {
    const path = `${parent ? parent.path : ''}/${node.name}`;
    const existing = this.items.get(node.id);
    if (existing && existing.tag === tag) {
      existing.node = node;
      existing.path = path;
      existing.parent = parent;
      return existing;
    }
    const item: WorksheetItem = { kind: 'node', id: node.id, node, path, tag, parent };
    this.items.set(node.id, item);
    return item;
  }
}
