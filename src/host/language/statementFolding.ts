import * as vscode from 'vscode';
import { statementRanges } from '../../engine/language/languageService.js';
import { SQL_SELECTOR } from './languageServices.js';

/** Folds each statement that spans several lines. */
export class StatementFoldingProvider implements vscode.FoldingRangeProvider {
  static register(context: vscode.ExtensionContext): StatementFoldingProvider {
    const provider = new StatementFoldingProvider();
    context.subscriptions.push(vscode.languages.registerFoldingRangeProvider(SQL_SELECTOR, provider));
    return provider;
  }

  provideFoldingRanges(document: vscode.TextDocument): vscode.FoldingRange[] {
    return statementRanges(document.getText())
      .map((s) => [document.positionAt(s.start).line, document.positionAt(s.terminatorEnd).line] as const)
      .filter(([start, end]) => end > start)
      .map(([start, end]) => new vscode.FoldingRange(start, end, vscode.FoldingRangeKind.Region));
  }
}
