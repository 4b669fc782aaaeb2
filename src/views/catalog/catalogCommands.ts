import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkObjectName } from '../../engine/catalog.js';
import { EngineError, isEngineError } from '../../engine/errors.js';
import { formatFromFileName, type ImportResult } from '../../engine/import.js';
import { checkDatabaseName, quoteQualified } from '../../engine/names.js';
import { COMMANDS, registerCommand, reportError } from '../../host/commands.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';
import { CATALOG_SESSION, type QueryRunner } from '../../host/queryRunner.js';
import type { WarehouseService } from '../../host/warehouseService.js';
import { qualifiedName, type CatalogNode, type ObjectNode } from './catalogNodes.js';
import { destinationOf, type CatalogTreeProvider, type ImportDestination } from './catalogTreeProvider.js';

const PREVIEW_ROWS = 1000;
const IMPORT_FILTERS = {
  'Data files': ['csv', 'tsv', 'txt', 'parquet', 'pq', 'json', 'ndjson', 'jsonl', 'gz', 'zst'],
  'All files': ['*'],
};

/** The Databases view's actions: create, import, preview, describe, copy name, drop, refresh. */
export class CatalogCommands {
  private constructor(
    private readonly service: WarehouseService,
    private readonly runner: QueryRunner,
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    service: WarehouseService,
    runner: QueryRunner,
    tree: CatalogTreeProvider,
  ): CatalogCommands {
    const log = logger.component('databases');
    const commands = new CatalogCommands(service, runner, log);
    tree.setImporter((file, destination) => commands.importGuarded(file, destination));
    const command = (id: string, handler: (...args: never[]) => unknown): void =>
      registerCommand(context, log, id, handler);
    command(COMMANDS.refresh, () => tree.refresh());
    command(COMMANDS.newDatabase, (name?: string) => commands.newDatabase(name));
    command(COMMANDS.newSchema, (node?: CatalogNode | string, name?: string) =>
      commands.newSchema(node, name),
    );
    command(COMMANDS.importFile, (file?: vscode.Uri, destination?: ImportDestination) =>
      commands.importFile(file, destination),
    );
    command(COMMANDS.importInto, (node?: CatalogNode) => commands.importFile(undefined, destinationOf(node)));
    command(COMMANDS.preview, (node: CatalogNode) => commands.preview(node));
    command(COMMANDS.describe, (node: CatalogNode) => commands.describe(node));
    command(COMMANDS.copyName, (node: CatalogNode) => commands.copyName(node));
    command(COMMANDS.drop, (node: CatalogNode) => commands.drop(node));
    return commands;
  }

  /** New Database: asks for a name (unless given) and creates the database file. */
  async newDatabase(name?: string): Promise<string | undefined> {
    const chosen =
      name ??
      (await vscode.window.showInputBox({
        title: 'New Database',
        prompt: 'Name of the new database (letters, digits, "_" and "-")',
        placeHolder: 'sales',
        validateInput: (v) => validation(() => checkDatabaseName(v.trim())),
      }));
    if (chosen === undefined) return undefined;
    const warehouse = await this.service.engine();
    const info = await warehouse.databases.create(chosen.trim());
    this.log.info('database created');
    vscode.window.setStatusBarMessage(`MicroDataWarehouse: created database ${info.name}.`, 4000);
    return info.name;
  }

  /** New Schema in the node's database (or one picked). */
  async newSchema(node?: CatalogNode | string, name?: string): Promise<void> {
    const database =
      typeof node === 'string'
        ? node
        : (destinationOf(node)?.database ?? (await this.pickDatabase('New Schema in')));
    if (!database) return;
    const chosen =
      name ??
      (await vscode.window.showInputBox({
        title: `New Schema in ${database}`,
        prompt: 'Name of the new schema',
        validateInput: (v) => validation(() => checkObjectName(v, 'schema')),
      }));
    if (chosen === undefined) return;
    const warehouse = await this.service.engine();
    await warehouse.catalog.createSchema(database, chosen);
    this.log.info('schema created');
  }

  /** Import File…: asks for the file, destination and table name when not given, then imports. */
  async importFile(file?: vscode.Uri, destination?: ImportDestination): Promise<ImportResult | undefined> {
    const source =
      file ??
      (
        await vscode.window.showOpenDialog({
          title: 'Import File into Table',
          canSelectMany: false,
          openLabel: 'Import',
          filters: IMPORT_FILTERS,
        })
      )?.[0];
    if (!source) return undefined;
    if (source.scheme !== 'file')
      throw new EngineError('IMPORT_FAILED', `Only local files can be imported (${source.scheme}:).`);
    const fsPath = source.fsPath;
    if (!formatFromFileName(fsPath)) {
      throw new EngineError(
        'IMPORT_FAILED',
        `Cannot tell the format of ${path.basename(fsPath)}: import .csv, .tsv, .parquet, .json, .ndjson or .jsonl files (optionally .gz or .zst).`,
      );
    }
    const database = destination?.database ?? (await this.pickDatabase('Import into'));
    if (!database) return undefined;
    const schema = destination?.schema ?? (await this.pickSchema(database));
    if (!schema) return undefined;
    let table = destination?.table;
    // Onto a table (dropped, or its context menu): append when it exists.
    let append = table !== undefined && (await this.tableExists(database, schema, table));
    if (table === undefined) {
      table = await vscode.window.showInputBox({
        title: `Import ${path.basename(fsPath)}`,
        prompt: `Table in ${quoteQualified([database, schema])}`,
        value: tableNameFor(fsPath),
        validateInput: (v) => validation(() => checkObjectName(v, 'table')),
      });
      if (table === undefined) return undefined;
      append = false;
    }
    const target = { database, schema, table };
    const run = async (withAppend: boolean): Promise<ImportResult> =>
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Importing ${path.basename(fsPath)} into ${quoteQualified([database, schema, table])}`,
          cancellable: true,
        },
        async (_progress, token) => {
          const abort = new AbortController();
          const subscription = token.onCancellationRequested(() => abort.abort());
          try {
            const warehouse = await this.service.engine();
            return await warehouse.databases.importFile(fsPath, target, {
              append: withAppend,
              signal: abort.signal,
            });
          } finally {
            subscription.dispose();
          }
        },
      );
    let result: ImportResult;
    try {
      result = await run(append);
    } catch (e) {
      if (isEngineError(e, 'INTERRUPTED')) {
        vscode.window.setStatusBarMessage('MicroDataWarehouse: import cancelled; nothing was written.', 5000);
        return undefined;
      }
      if (!isEngineError(e, 'TABLE_EXISTS') || /is a view/.test(e.message)) throw e;
      const choice = await vscode.window.showWarningMessage(
        `Table ${quoteQualified([database, schema, table])} already exists. Append the rows of ${path.basename(fsPath)} to it?`,
        { modal: true },
        'Append',
      );
      if (choice !== 'Append') return undefined;
      result = await run(true);
    }
    this.log.info(
      `imported ${result.rows} row(s) (${result.format}, ${result.created ? 'new table' : 'appended'})`,
    );
    void vscode.window.showInformationMessage(
      `Imported ${result.rows.toLocaleString('en-US')} rows into ${quoteQualified([result.target.database, result.target.schema, result.target.table])}.`,
    );
    return result;
  }

  /** Preview Rows: the first rows of a table or view in the Results view. */
  async preview(node: CatalogNode): Promise<void> {
    const name = objectName(node);
    await this.runner.run({ key: CATALOG_SESSION }, `SELECT * FROM ${name} LIMIT ${PREVIEW_ROWS}`);
  }

  /** Describe: columns, types, nullability and keys of a table or view in the Results view. */
  async describe(node: CatalogNode): Promise<void> {
    await this.runner.run({ key: CATALOG_SESSION }, `DESCRIBE ${objectName(node)}`);
  }

  async copyName(node: CatalogNode): Promise<void> {
    const name = qualifiedName(node);
    if (!name) return;
    await vscode.env.clipboard.writeText(name);
    vscode.window.setStatusBarMessage(`Copied ${name}`, 3000);
  }

  /** Drop…: a modal confirmation naming the object, then the drop. */
  async drop(node: CatalogNode): Promise<void> {
    const warehouse = await this.service.engine();
    const name = qualifiedName(node)!;
    const ask = async (what: string, detail: string): Promise<boolean> =>
      (await vscode.window.showWarningMessage(`Drop ${what} ${name}?`, { modal: true, detail }, 'Drop')) ===
      'Drop';
    switch (node.kind) {
      case 'database':
        if (
          !(await ask(
            'database',
            'Its file and every schema, table and view in it are deleted. This cannot be undone.',
          ))
        )
          return;
        await warehouse.databases.drop(node.database.name);
        break;
      case 'schema':
        if (!(await ask('schema', 'Every table and view in it is dropped too. This cannot be undone.')))
          return;
        await warehouse.catalog.dropObject(
          { kind: 'schema', database: node.schema.database, schema: node.schema.name },
          { confirm: true, cascade: true },
        );
        break;
      case 'object': {
        const o = node.object;
        const detail =
          o.kind === 'table'
            ? 'Its rows are deleted. This cannot be undone.'
            : 'The view definition is deleted.';
        if (!(await ask(o.kind, detail))) return;
        await warehouse.catalog.dropObject(
          { kind: o.kind, database: o.database, schema: o.schema, name: o.name },
          { confirm: true },
        );
        break;
      }
      default:
        return;
    }
    this.log.info(`${node.kind === 'object' ? node.object.kind : node.kind} dropped`);
  }

  private async importGuarded(file: vscode.Uri, destination?: ImportDestination): Promise<void> {
    try {
      await this.importFile(file, destination);
    } catch (e) {
      reportError(this.log, 'import', e, () => void this.importGuarded(file, destination));
    }
  }

  private async tableExists(database: string, schema: string, table: string): Promise<boolean> {
    const catalog = (await this.service.engine()).catalog;
    try {
      const objects = await catalog.objects(database, schema);
      return objects.some((o) => o.kind === 'table' && o.name.toLowerCase() === table.toLowerCase());
    } catch {
      return false;
    }
  }

  private async pickDatabase(title: string): Promise<string | undefined> {
    const databases = await (await this.service.engine()).catalog.databases();
    if (databases.length === 0) {
      const choice = await vscode.window.showInformationMessage(
        'There are no databases yet.',
        'New Database…',
      );
      return choice ? this.newDatabase() : undefined;
    }
    if (databases.length === 1) return databases[0]!.name;
    return (
      await vscode.window.showQuickPick(
        databases.map((d) => ({ label: d.name, iconPath: new vscode.ThemeIcon('database') })),
        { title, placeHolder: 'Database' },
      )
    )?.label;
  }

  private async pickSchema(database: string): Promise<string | undefined> {
    const schemas = await (await this.service.engine()).catalog.schemas(database);
    if (schemas.length <= 1) return schemas[0]?.name ?? 'main';
    return (
      await vscode.window.showQuickPick(
        schemas.map((s) => ({ label: s.name, iconPath: new vscode.ThemeIcon('symbol-namespace') })),
        { title: `Schema of ${database}` },
      )
    )?.label;
  }
}

function objectName(node: CatalogNode): string {
  const target: ObjectNode | undefined =
    node?.kind === 'object' ? node : node?.kind === 'column' ? node.parent : undefined;
  if (!target) throw new Error('Choose a table or view in the Databases view.');
  return qualifiedName(target)!;
}

function validation(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** A table name from a file name: "Sales 2024.csv.gz" -> "sales_2024". */
export function tableNameFor(file: string): string {
  const base = path.basename(file).replace(/(\.(gz|zst))?$/i, '');
  const stem = base.slice(0, base.length - path.extname(base).length) || base;
  return (
    stem
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'imported'
  );
}
