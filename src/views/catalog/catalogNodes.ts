import * as vscode from 'vscode';
import type { CatalogColumn, CatalogDatabase, CatalogObject, CatalogSchema } from '../../engine/catalog.js';
import { quoteIdent, quoteQualified } from '../../engine/names.js';
import { COMMANDS } from '../../host/commands.js';

/** A database of the warehouse. */
export interface DatabaseNode {
  kind: 'database';
  id: string;
  database: CatalogDatabase;
}

/** A schema of a database. */
export interface SchemaNode {
  kind: 'schema';
  id: string;
  schema: CatalogSchema;
  encrypted: boolean;
  parent: DatabaseNode;
}

/** A table or view. */
export interface ObjectNode {
  kind: 'object';
  id: string;
  object: CatalogObject;
  encrypted: boolean;
  parent: SchemaNode;
}

/** A column of a table or view. */
export interface ColumnNode {
  kind: 'column';
  id: string;
  column: CatalogColumn;
  parent: ObjectNode;
}

/** A level that failed to load: shows the message and retries on click. */
export interface ErrorNode {
  kind: 'error';
  id: string;
  message: string;
  parent?: CatalogNode;
}

/** A level with nothing in it. */
export interface EmptyNode {
  kind: 'empty';
  id: string;
  message: string;
  parent: CatalogNode;
}

/** Every element of the Databases tree: plain data with stable ids; TreeItems are built on demand. */
export type CatalogNode = DatabaseNode | SchemaNode | ObjectNode | ColumnNode | ErrorNode | EmptyNode;

const idPart = (s: string): string => encodeURIComponent(s.toLowerCase());

export function databaseNode(database: CatalogDatabase): DatabaseNode {
  return { kind: 'database', id: `db/${idPart(database.name)}`, database };
}

export function schemaNode(parent: DatabaseNode, schema: CatalogSchema): SchemaNode {
  return {
    kind: 'schema',
    id: `${parent.id}/${idPart(schema.name)}`,
    schema,
    encrypted: parent.database.encrypted,
    parent,
  };
}

export function objectNode(parent: SchemaNode, object: CatalogObject): ObjectNode {
  return {
    kind: 'object',
    id: `${parent.id}/${idPart(object.name)}`,
    object,
    encrypted: parent.encrypted,
    parent,
  };
}

export function columnNode(parent: ObjectNode, column: CatalogColumn, index: number): ColumnNode {
  return { kind: 'column', id: `${parent.id}/${index}:${idPart(column.name)}`, column, parent };
}

export function errorNode(message: string, parent?: CatalogNode): ErrorNode {
  return { kind: 'error', id: `${parent?.id ?? ''}/!error`, message, ...(parent ? { parent } : {}) };
}

export function emptyNode(message: string, parent: CatalogNode): EmptyNode {
  return { kind: 'empty', id: `${parent.id}/!empty`, message, parent };
}

/** The quoted name a user pastes into SQL: "db", "db"."schema", "db"."schema"."table", or "column". */
export function qualifiedName(node: CatalogNode): string | undefined {
  switch (node.kind) {
    case 'database':
      return quoteIdent(node.database.name);
    case 'schema':
      return quoteQualified([node.schema.database, node.schema.name]);
    case 'object':
      return quoteQualified([node.object.database, node.object.schema, node.object.name]);
    case 'column':
      return quoteIdent(node.column.name);
    default:
      return undefined;
  }
}

const count = (n: number): string => n.toLocaleString('en-US');

/** Builds the TreeItem of a node; `contextValue` drives the context menus in package.json. */
export function treeItem(node: CatalogNode): vscode.TreeItem {
  const C = vscode.TreeItemCollapsibleState;
  switch (node.kind) {
    case 'database': {
      const d = node.database;
      const item = new vscode.TreeItem(d.name, C.Collapsed);
      item.iconPath = new vscode.ThemeIcon(d.encrypted ? 'lock' : 'database');
      item.contextValue = 'database';
      item.description = d.readOnly ? 'read-only' : undefined;
      item.tooltip = markdown([
        `**${escape(d.name)}** — database`,
        d.path ? `File: ${escape(d.path)}` : 'In memory',
        d.encrypted ? 'Encrypted at rest' : 'Not encrypted',
        d.readOnly ? 'Read-only' : '',
        d.comment ? escape(d.comment) : '',
      ]);
      return withId(item, node);
    }
    case 'schema': {
      const item = new vscode.TreeItem(node.schema.name, C.Collapsed);
      item.iconPath = new vscode.ThemeIcon('symbol-namespace');
      item.contextValue = 'schema';
      item.tooltip = markdown([
        `**${escape(qualifiedName(node)!)}** — schema`,
        node.encrypted ? 'Encrypted at rest' : 'Not encrypted',
        node.schema.comment ? escape(node.schema.comment) : '',
      ]);
      return withId(item, node);
    }
    case 'object': {
      const o = node.object;
      const item = new vscode.TreeItem(o.name, C.Collapsed);
      item.iconPath = new vscode.ThemeIcon(o.kind === 'view' ? 'eye' : 'table');
      item.contextValue = o.kind;
      item.description =
        o.kind === 'view' ? 'view' : o.estimatedRows === null ? undefined : `~${count(o.estimatedRows)} rows`;
      item.tooltip = markdown([
        `**${escape(qualifiedName(node)!)}** — ${o.kind}`,
        `${count(o.columnCount)} column${o.columnCount === 1 ? '' : 's'}` +
          (o.estimatedRows === null ? '' : ` · about ${count(o.estimatedRows)} rows`),
        node.encrypted ? 'Encrypted at rest' : 'Not encrypted',
        o.comment ? escape(o.comment) : '',
      ]);
      return withId(item, node);
    }
    case 'column': {
      const c = node.column;
      const item = new vscode.TreeItem(c.name, C.None);
      item.iconPath = new vscode.ThemeIcon(c.primaryKey ? 'key' : 'symbol-field');
      item.contextValue = 'column';
      item.description = `${c.type}${c.nullable ? '' : ' not null'}`;
      item.tooltip = markdown([
        `**${escape(c.name)}** ${escape(c.type)}`,
        c.primaryKey ? 'Primary key' : '',
        c.nullable ? 'Nullable' : 'Not null',
        c.default !== null ? `Default: ${escape(c.default)}` : '',
      ]);
      return withId(item, node);
    }
    case 'error': {
      const item = new vscode.TreeItem('Could not load', C.None);
      item.description = node.message;
      item.tooltip = `${node.message}\n\nClick to try again.`;
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      item.contextValue = 'error';
      item.command = { command: COMMANDS.refresh, title: 'Retry' };
      return withId(item, node);
    }
    case 'empty': {
      const item = new vscode.TreeItem(node.message, C.None);
      item.contextValue = 'empty';
      return withId(item, node);
    }
  }
}

function withId(item: vscode.TreeItem, node: CatalogNode): vscode.TreeItem {
  item.id = node.id;
  return item;
}

function markdown(lines: string[]): vscode.MarkdownString {
  return new vscode.MarkdownString(lines.filter(Boolean).join('\n\n'));
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
