import * as vscode from 'vscode';
import type { Logger } from '../logger.js';
import type { WorksheetEditorProvider } from '../../views/worksheetEditor/worksheetEditorProvider.js';
import type { QueryRunner } from '../queryRunner.js';
import { SqlCompletionProvider } from './completionProvider.js';
import { ExplainCommands } from './explainCommands.js';
import { SqlHoverProvider } from './hoverProvider.js';
import type { LanguageServices } from './languageServices.js';
import { SqlDiagnostics } from './sqlDiagnostics.js';
import { SqlFormattingProvider } from './sqlFormatting.js';
import { SqlSignatureHelpProvider } from './signatureHelpProvider.js';
import { StatementCodeLensProvider } from './statementCodeLens.js';
import { StatementFoldingProvider } from './statementFolding.js';

/** The DuckDB SQL language features, as registered (for tests). */
export interface LanguageFeatures {
  services: LanguageServices;
  diagnostics: SqlDiagnostics;
  explain: ExplainCommands;
}

/** Registers every language provider and the plan commands; nothing loads DuckDB until a provider needs it. */
export function registerLanguageFeatures(
  context: vscode.ExtensionContext,
  logger: Logger,
  runner: QueryRunner,
  worksheets: WorksheetEditorProvider,
  services: LanguageServices,
): LanguageFeatures {
  SqlCompletionProvider.register(context, services);
  SqlHoverProvider.register(context, services);
  SqlSignatureHelpProvider.register(context, services);
  StatementCodeLensProvider.register(context);
  StatementFoldingProvider.register(context);
  SqlFormattingProvider.register(context, logger, worksheets);
  const diagnostics = SqlDiagnostics.register(context, services);
  const explain = ExplainCommands.register(context, logger, runner, worksheets);
  return { services, diagnostics, explain };
}
