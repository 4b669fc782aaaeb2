import * as vscode from 'vscode';
import { errorMessage, isEngineError } from '../../engine/errors.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';
import type { WarehouseService } from '../../host/warehouseService.js';
import {
  columnNode,
  databaseNode,
  emptyNode,
  errorNode,
  objectNode,
  schemaNode,
  treeItem,
  type CatalogNode,
} from './catalogNodes.js';

/** Where a dropped or picked file is imported: a schema, or a table to append to. */
export interface ImportDestination {
  database: string;
  schema?: string;
  table?: string;
}

/** Imports a file into a destination (asking for what is missing); provided by the catalog commands. */
export type FileImporter = (file: vscode.Uri, destination?: ImportDestination) => Promise<unknown>;

/** The destination implied by a tree node (a database means its `main` schema). */
export function destinationOf(node: CatalogNode | undefined): ImportDestination | undefined {
  switch (node?.kind) {
    case 'database':
      return { database: node.database.name, schema: 'main' };
    case 'schema':
      return { database: node.schema.database, schema: node.schema.name };
    case 'object':
      return node.object.kind === 'table'
        ? { database: node.object.database, schema: node.object.schema, table: node.object.name }
        : { database: node.object.database, schema: node.object.schema };
    case 'column':
      return destinationOf(node.parent);
    default:
      return undefined;
  }
}

/**
 * The Databases view: databases > schemas > tables and views > columns, each level loaded when
 * expanded from the warehouse's cached catalog. A level that fails becomes an error node whose click
 * retries. Files dragged from the Explorer onto a database, schema or table are imported there.
 */
export class CatalogTreeProvider
  implements vscode.TreeDataProvider<CatalogNode>, vscode.TreeDragAndDropController<CatalogNode>
{
  static readonly viewId = 'microDataWarehouse.databases';
  readonly dropMimeTypes = ['text/uri-list'];
  readonly dragMimeTypes: string[] = [];
  private readonly changed = new vscode.EventEmitter<CatalogNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private importer: FileImporter | undefined;

  private constructor(
    private readonly service: WarehouseService,
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    service: WarehouseService,
  ): { provider: CatalogTreeProvider; view: vscode.TreeView<CatalogNode> } {
    const provider = new CatalogTreeProvider(service, logger.component('databases'));
    const view = vscode.window.createTreeView(CatalogTreeProvider.viewId, {
      treeDataProvider: provider,
      dragAndDropController: provider,
      showCollapseAll: true,
      canSelectMany: false,
    });
    context.subscriptions.push(
      view,
      provider.changed,
      service.onDidChangeCatalog(() => provider.changed.fire(undefined)),
      service.onDidChangeWarehouse(() => provider.changed.fire(undefined)),
    );
    return { provider, view };
  }

  /** Sets who imports dropped files (the catalog commands, which own the prompts and progress). */
  setImporter(importer: FileImporter): void {
    this.importer = importer;
  }

  /** Drops the cached catalog and reloads every level shown. */
  refresh(): void {
    if (this.service.isOpen) void this.service.engine().then((w) => w.catalog.refresh());
    this.changed.fire(undefined);
  }

  getTreeItem(node: CatalogNode): vscode.TreeItem {
    return treeItem(node);
  }

  getParent(node: CatalogNode): CatalogNode | undefined {
    return 'parent' in node ? node.parent : undefined;
  }

  async getChildren(node?: CatalogNode): Promise<CatalogNode[]> {
    try {
      const catalog = (await this.service.engine()).catalog;
      if (!node) return (await catalog.databases()).map(databaseNode);
      switch (node.kind) {
        case 'database': {
          const schemas = await catalog.schemas(node.database.name);
          return schemas.map((s) => schemaNode(node, s));
        }
        case 'schema': {
          const objects = await catalog.objects(node.schema.database, node.schema.name);
          return objects.length
            ? objects.map((o) => objectNode(node, o))
            : [emptyNode('No tables or views', node)];
        }
        case 'object': {
          const { database, schema, name } = node.object;
          const columns = await catalog.columns(database, schema, name);
          return columns.map((c, i) => columnNode(node, c, i));
        }
        default:
          return [];
      }
    } catch (e) {
      // Signed out (warehouse() waits for a session being restored first): no nodes, so the view shows its
      // Sign In welcome text.
      if (isEngineError(e) && e.code === 'NOT_SIGNED_IN') return [];
      this.log.error(`loading ${node ? node.kind : 'the databases'} failed`, e);
      return [errorNode(errorMessage(e), node)];
    }
  }

  async handleDrop(
    target: CatalogNode | undefined,
    data: vscode.DataTransfer,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const list = await data.get('text/uri-list')?.asString();
    if (!list || token.isCancellationRequested || !this.importer) return;
    const files = list
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => vscode.Uri.parse(l));
    const destination = destinationOf(target);
    for (const file of files) {
      if (token.isCancellationRequested) return;
      await this.importer(file, destination);
    }
  }
}
