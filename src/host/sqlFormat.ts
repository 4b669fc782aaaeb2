import * as vscode from 'vscode';
import { COMMANDS, registerCommand } from './commands.js';
import type { Logger } from './logger.js';
import { isSql } from './queryRunner.js';

/** Formats SQL with sql-formatter's DuckDB dialect; its parse errors become one readable line. */
export async function formatSql(text: string, tabSize: number, insertSpaces: boolean): Promise<string> {
  const { format } = await import('sql-formatter');
  try {
    return format(text, {
      language: 'duckdb',
      tabWidth: tabSize,
      useTabs: !insertSpaces,
      paramTypes: { named: ['$'] },
    });
  } catch (e) {
    // sql-formatter appends hundreds of lines of grammar trace after the first line.
    const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new Error(`Cannot format this SQL: ${first}`, { cause: e });
  }
}

/** The Format SQL command and the document formatter for `sql` documents. */
export class SqlFormatter implements vscode.DocumentFormattingEditProvider {
  static register(context: vscode.ExtensionContext, logger: Logger): SqlFormatter {
    const formatter = new SqlFormatter();
    const log = logger.component('format');
    context.subscriptions.push(
      vscode.languages.registerDocumentFormattingEditProvider({ language: 'sql' }, formatter),
    );
    registerCommand(context, log, COMMANDS.formatSql, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || !isSql(editor.document)) throw new Error('Open a .sql file to format it.');
      const edits = await formatter.edits(editor.document, editor.options);
      await editor.edit((builder) => {
        for (const edit of edits) builder.replace(edit.range, edit.newText);
      });
    });
    return formatter;
  }

  async provideDocumentFormattingEdits(
    document: vscode.TextDocument,
    options: vscode.FormattingOptions,
  ): Promise<vscode.TextEdit[]> {
    try {
      return await this.edits(document, options);
    } catch (e) {
      // A formatter that throws is silently ignored by VS Code: say why instead.
      void vscode.window.showErrorMessage(e instanceof Error ? e.message : String(e));
      return [];
    }
  }

  private async edits(
    document: vscode.TextDocument,
    options: { tabSize?: number | string; insertSpaces?: boolean | string },
  ): Promise<vscode.TextEdit[]> {
    const text = document.getText();
    const tabSize = typeof options.tabSize === 'number' ? options.tabSize : 2;
    const insertSpaces = options.insertSpaces !== false;
    const formatted = await formatSql(text, tabSize, insertSpaces);
    const final = text.endsWith('\n') && !formatted.endsWith('\n') ? `${formatted}\n` : formatted;
    if (final === text) return [];
    const all = new vscode.Range(document.positionAt(0), document.positionAt(text.length));
    return [vscode.TextEdit.replace(all, final)];
  }
}
