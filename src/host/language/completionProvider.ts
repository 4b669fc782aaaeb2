import * as vscode from 'vscode';
import type { CompletionKind } from '../../engine/language/languageService.js';
import { SQL_SELECTOR, type LanguageServices } from './languageServices.js';

const KINDS: Record<CompletionKind, vscode.CompletionItemKind> = {
  keyword: vscode.CompletionItemKind.Keyword,
  function: vscode.CompletionItemKind.Function,
  tableFunction: vscode.CompletionItemKind.Method,
  database: vscode.CompletionItemKind.Module,
  schema: vscode.CompletionItemKind.Folder,
  table: vscode.CompletionItemKind.Struct,
  view: vscode.CompletionItemKind.Interface,
  column: vscode.CompletionItemKind.Field,
  alias: vscode.CompletionItemKind.Variable,
};

/** Completion of keywords, functions and catalog names from the engine. */
export class SqlCompletionProvider implements vscode.CompletionItemProvider {
  static register(context: vscode.ExtensionContext, services: LanguageServices): SqlCompletionProvider {
    const provider = new SqlCompletionProvider(services);
    context.subscriptions.push(
      vscode.languages.registerCompletionItemProvider(SQL_SELECTOR, provider, '.', '"'),
    );
    return provider;
  }

  private constructor(private readonly services: LanguageServices) {}

  async provideCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.CompletionList | undefined> {
    const service = await this.services.forDocument(document);
    if (!service || token.isCancellationRequested) return undefined;
    const offset = document.offsetAt(position);
    const result = await service.complete(document.getText(), offset, this.services.scope(document));
    const start = document.positionAt(result.replaceStart);
    const range = {
      inserting: new vscode.Range(start, position),
      replacing: new vscode.Range(start, document.positionAt(Math.max(result.replaceEnd, offset))),
    };
    const items = result.items.map((entry) => {
      const item = new vscode.CompletionItem(entry.label, KINDS[entry.kind]);
      item.insertText =
        entry.kind === 'function' || entry.kind === 'tableFunction'
          ? new vscode.SnippetString()
              .appendText(entry.insertText)
              .appendText('(')
              .appendTabstop(0)
              .appendText(')')
          : entry.insertText;
      if (entry.insertText !== entry.label) item.filterText = entry.insertText;
      if (entry.detail) item.detail = entry.detail;
      if (entry.documentation) item.documentation = new vscode.MarkdownString(entry.documentation);
      item.sortText = `${entry.sortText}${entry.label.toLowerCase()}`;
      item.range = range;
      return item;
    });
    return new vscode.CompletionList(items, result.incomplete);
  }
}
