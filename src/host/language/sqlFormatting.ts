import * as vscode from 'vscode';
import { formatRange, formatSql, type FormatOptions } from '../../engine/language/format.js';
import type { WorksheetEditorProvider } from '../../views/worksheetEditor/worksheetEditorProvider.js';
import { COMMANDS, registerCommand } from '../commands.js';
import type { Logger } from '../logger.js';
import { readLanguageSettings } from './languageSettings.js';
import { SQL_SELECTOR } from './languageServices.js';

/** Document and range formatting with sql-formatter's DuckDB dialect, and the Format SQL command. */
export class SqlFormattingProvider
  implements vscode.DocumentFormattingEditProvider, vscode.DocumentRangeFormattingEditProvider
{
  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    worksheets?: WorksheetEditorProvider,
  ): SqlFormattingProvider {
    const provider = new SqlFormattingProvider();
    context.subscriptions.push(
      vscode.languages.registerDocumentFormattingEditProvider(SQL_SELECTOR, provider),
      vscode.languages.registerDocumentRangeFormattingEditProvider(SQL_SELECTOR, provider),
    );
    registerCommand(context, logger.component('format'), COMMANDS.formatSql, async () => {
      const editor = vscode.window.activeTextEditor;
      const sheet = worksheets?.active();
      if (sheet && (sheet.panel.active || !editor)) {
        // The worksheet's document is the model: the webview follows the edit.
        const edit = new vscode.WorkspaceEdit();
        for (const e of await provider.documentEdits(sheet.document, { tabSize: 2, insertSpaces: true }))
          edit.replace(sheet.document.uri, e.range, e.newText);
        await vscode.workspace.applyEdit(edit);
        return;
      }
      if (!editor || vscode.languages.match(SQL_SELECTOR, editor.document) === 0) {
        throw new Error('Open a .sql file to format it.');
      }
      const edits = editor.selection.isEmpty
        ? await provider.documentEdits(editor.document, editor.options)
        : await provider.rangeEdits(editor.document, editor.selection, editor.options);
      await editor.edit((builder) => {
        for (const edit of edits) builder.replace(edit.range, edit.newText);
      });
    });
    return provider;
  }

  async provideDocumentFormattingEdits(
    document: vscode.TextDocument,
    options: vscode.FormattingOptions,
  ): Promise<vscode.TextEdit[]> {
    return this.reported(() => this.documentEdits(document, options));
  }

  async provideDocumentRangeFormattingEdits(
    document: vscode.TextDocument,
    range: vscode.Range,
    options: vscode.FormattingOptions,
  ): Promise<vscode.TextEdit[]> {
    return this.reported(() => this.rangeEdits(document, range, options));
  }

  async documentEdits(document: vscode.TextDocument, options: EditorOptions): Promise<vscode.TextEdit[]> {
    const text = document.getText();
    const formatted = await formatSql(text, formatOptions(options));
    const final = text.endsWith('\n') && !formatted.endsWith('\n') ? `${formatted}\n` : formatted;
    if (final === text) return [];
    return [
      vscode.TextEdit.replace(
        new vscode.Range(document.positionAt(0), document.positionAt(text.length)),
        final,
      ),
    ];
  }

  async rangeEdits(
    document: vscode.TextDocument,
    range: vscode.Range,
    options: EditorOptions,
  ): Promise<vscode.TextEdit[]> {
    const edit = await formatRange(
      document.getText(),
      document.offsetAt(range.start),
      document.offsetAt(range.end),
      formatOptions(options),
    );
    if (!edit) return [];
    const target = new vscode.Range(document.positionAt(edit.start), document.positionAt(edit.end));
    return document.getText(target) === edit.text ? [] : [vscode.TextEdit.replace(target, edit.text)];
  }

  private async reported(make: () => Promise<vscode.TextEdit[]>): Promise<vscode.TextEdit[]> {
    try {
      return await make();
    } catch (e) {
      // A formatter that throws is silently ignored by VS Code: say why instead.
      void vscode.window.showErrorMessage(e instanceof Error ? e.message : String(e));
      return [];
    }
  }
}

type EditorOptions = { tabSize?: number | string; insertSpaces?: boolean | string };

/** Format options from the settings, falling back to the editor's indentation. */
export function formatOptions(options: EditorOptions): FormatOptions {
  const settings = readLanguageSettings();
  const tabSize = typeof options.tabSize === 'number' ? options.tabSize : 2;
  return {
    tabWidth: settings.indent > 0 ? settings.indent : tabSize,
    useTabs: settings.indent > 0 ? false : options.insertSpaces === false,
    keywordCase: settings.keywordCase,
  };
}
