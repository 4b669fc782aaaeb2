import * as vscode from 'vscode';
import { SQL_SELECTOR, type LanguageServices } from './languageServices.js';

/** Signature help inside function calls. */
export class SqlSignatureHelpProvider implements vscode.SignatureHelpProvider {
  static register(context: vscode.ExtensionContext, services: LanguageServices): SqlSignatureHelpProvider {
    const provider = new SqlSignatureHelpProvider(services);
    context.subscriptions.push(
      vscode.languages.registerSignatureHelpProvider(SQL_SELECTOR, provider, {
        triggerCharacters: ['(', ','],
        retriggerCharacters: [')'],
      }),
    );
    return provider;
  }

  private constructor(private readonly services: LanguageServices) {}

  async provideSignatureHelp(
    document: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.SignatureHelp | undefined> {
    const service = await this.services.forDocument(document);
    if (!service || token.isCancellationRequested) return undefined;
    const result = await service.signatureHelp(document.getText(), document.offsetAt(position));
    if (!result) return undefined;
    const help = new vscode.SignatureHelp();
    help.signatures = result.signatures.map((s) => {
      const info = new vscode.SignatureInformation(
        s.label,
        s.documentation ? new vscode.MarkdownString(s.documentation) : undefined,
      );
      info.parameters = s.parameters.map((p) => new vscode.ParameterInformation(p.label));
      return info;
    });
    help.activeSignature = result.activeSignature;
    help.activeParameter = result.activeParameter;
    return help;
  }
}
