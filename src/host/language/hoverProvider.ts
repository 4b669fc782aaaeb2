import * as vscode from 'vscode';
import { SQL_SELECTOR, type LanguageServices } from './languageServices.js';

/** Hover for tables, columns and functions. */
export class SqlHoverProvider implements vscode.HoverProvider {
  static register(context: vscode.ExtensionContext, services: LanguageServices): SqlHoverProvider {
    const provider = new SqlHoverProvider(services);
    context.subscriptions.push(vscode.languages.registerHoverProvider(SQL_SELECTOR, provider));
    return provider;
  }

  private constructor(private readonly services: LanguageServices) {}

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    const service = await this.services.forDocument(document);
    if (!service || token.isCancellationRequested) return undefined;
    const hover = await service.hover(
      document.getText(),
      document.offsetAt(position),
      this.services.scope(document),
    );
    if (!hover) return undefined;
    // Not trusted, no HTML: names in it come from the user's catalog.
    const markdown = new vscode.MarkdownString(hover.markdown);
    return new vscode.Hover(
      markdown,
      new vscode.Range(document.positionAt(hover.start), document.positionAt(hover.end)),
    );
  }
}
