import * as vscode from 'vscode';
import { statementRanges } from '../../engine/language/languageService.js';
import { affectsLanguage, readLanguageSettings } from './languageSettings.js';
import { SQL_SELECTOR } from './languageServices.js';

/** Commands the lenses call with (uri, start offset, end offset). */
export const LENS_COMMANDS = {
  run: 'microDataWarehouse.run.range',
  explain: 'microDataWarehouse.plan.explain',
} as const;

/** Run and Explain above every statement. */
export class StatementCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  static register(context: vscode.ExtensionContext): StatementCodeLensProvider {
    const provider = new StatementCodeLensProvider();
    context.subscriptions.push(
      provider.changed,
      vscode.languages.registerCodeLensProvider(SQL_SELECTOR, provider),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsLanguage(e, 'codeLens')) provider.changed.fire();
      }),
    );
    return provider;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!readLanguageSettings().codeLens) return [];
    return statementRanges(document.getText()).flatMap((s) => {
      const range = new vscode.Range(document.positionAt(s.start), document.positionAt(s.start));
      const args = [document.uri, s.start, s.terminatorEnd];
      return [
        new vscode.CodeLens(range, { title: '$(play) Run', command: LENS_COMMANDS.run, arguments: args }),
        new vscode.CodeLens(range, { title: 'Explain', command: LENS_COMMANDS.explain, arguments: args }),
      ];
    });
  }
}
