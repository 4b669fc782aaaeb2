import * as vscode from 'vscode';
import type {
  WorksheetEditorHandle,
  WorksheetEditorProvider,
} from '../../views/worksheetEditor/worksheetEditorProvider.js';
import { documentKey } from '../warehouseService.js';

/** The SQL document a palette command acts on: a text editor's, or a worksheet editor's. */
export interface SqlTarget {
  /** Session key of the document. */
  key: string;
  document: vscode.TextDocument;
  /** Set when the document is shown in the worksheet editor. */
  worksheet?: WorksheetEditorHandle;
  /** The text the offsets of {@link selection} refer to (LF line breaks in a worksheet). */
  text(): string;
  /** The selection (or cursor) as offsets into text(). */
  selection(): Promise<{ from: number; to: number }>;
}

/** A document runs as SQL when VS Code calls it SQL or its name ends in .sql. */
export function isSql(document: vscode.TextDocument): boolean {
  return (
    document.languageId === 'sql' ||
    document.languageId === 'duckdb-sql' ||
    document.uri.path.toLowerCase().endsWith('.sql')
  );
}

/** The active SQL document: the focused worksheet editor, else the active SQL text editor. */
export function activeSqlTarget(worksheets: WorksheetEditorProvider): SqlTarget | undefined {
  const worksheet = worksheets.active();
  const editor = vscode.window.activeTextEditor;
  if (worksheet && (worksheet.panel.active || !editor || !isSql(editor.document))) {
    return {
      key: documentKey(worksheet.document),
      document: worksheet.document,
      worksheet,
      text: () => worksheet.host.documentText,
      selection: () => worksheet.host.selection(),
    };
  }
  if (!editor || !isSql(editor.document)) return undefined;
  const document = editor.document;
  return {
    key: documentKey(document),
    document,
    text: () => document.getText(),
    selection: () =>
      Promise.resolve({
        from: document.offsetAt(editor.selection.start),
        to: document.offsetAt(editor.selection.end),
      }),
  };
}

/** The active SQL document; otherwise an error the command boundary shows. */
export function requireSqlTarget(worksheets: WorksheetEditorProvider): SqlTarget {
  const target = activeSqlTarget(worksheets);
  if (!target) {
    throw new Error('Open a .sql file (or a worksheet) and put the cursor in a statement first.');
  }
  return target;
}
