import * as vscode from 'vscode';
import { explain } from '../../engine/language/plan.js';
import { statementAt } from '../../engine/query/index.js';
import type { QueryPlan } from '../../shared/plan.js';
import { PlanPanel } from '../../views/plan/planPanel.js';
import { registerCommand } from '../commands.js';
import type { Logger } from '../logger.js';
import type { QueryRunner } from '../queryRunner.js';
import { requireSqlTarget } from '../run/activeSql.js';
import type { RunController } from '../run/runController.js';
import type { WorksheetEditorProvider } from '../../views/worksheetEditor/worksheetEditorProvider.js';
import { documentKey } from '../warehouseService.js';
import { LENS_COMMANDS } from './statementCodeLens.js';

/** Command ids of the plan view. */
export const PLAN_COMMANDS = {
  explain: LENS_COMMANDS.explain,
  explainAnalyze: 'microDataWarehouse.plan.explainAnalyze',
  runRange: LENS_COMMANDS.run,
} as const;

/** Explain, Explain Analyze (into the Query Plan panel) and the CodeLens Run. */
export class ExplainCommands implements vscode.Disposable {
  readonly panel: PlanPanel;

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    runner: QueryRunner,
    worksheets: WorksheetEditorProvider,
  ): ExplainCommands {
    const commands = new ExplainCommands(context.extensionUri, runner.runs, worksheets);
    context.subscriptions.push(commands);
    const log = logger.component('plan');
    registerCommand(context, log, PLAN_COMMANDS.explain, (uri?: vscode.Uri, start?: number, end?: number) =>
      commands.explain(false, uri, start, end),
    );
    registerCommand(
      context,
      log,
      PLAN_COMMANDS.explainAnalyze,
      (uri?: vscode.Uri, start?: number, end?: number) => commands.explain(true, uri, start, end),
    );
    registerCommand(
      context,
      log,
      PLAN_COMMANDS.runRange,
      async (uri?: vscode.Uri, start?: number, end?: number) => {
        const { document, range } = await commands.target(uri, start, end);
        return runner.run({ key: documentKey(document), document }, document.getText(), range);
      },
    );
    return commands;
  }

  private constructor(
    extensionUri: vscode.Uri,
    private readonly runs: RunController,
    private readonly worksheets: WorksheetEditorProvider,
  ) {
    this.panel = new PlanPanel(extensionUri);
  }

  /**
   * Explains the given range, else the selection or the statement at the cursor of the active text or
   * worksheet editor, in the document's session. Cancel stops an Explain Analyze.
   */
  async explain(
    analyze: boolean,
    uri?: vscode.Uri,
    start?: number,
    end?: number,
  ): Promise<QueryPlan | undefined> {
    const { key, text, range } = await this.target(uri, start, end);
    const sql = text.slice(range.start, range.end);
    this.panel.loading(sql.trim(), analyze);
    try {
      const plan = await this.runs.exclusive(key, (session) => explain(session, sql, { analyze }), {
        cancellable: analyze,
      });
      this.panel.show(plan);
      return plan;
    } catch (e) {
      this.panel.error(e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /** The document and statement range a command works on: the arguments, else the active SQL editor. */
  async target(
    uri: vscode.Uri | undefined,
    start: number | undefined,
    end: number | undefined,
  ): Promise<{
    key: string;
    document: vscode.TextDocument;
    text: string;
    range: { start: number; end: number };
  }> {
    if (uri instanceof vscode.Uri && typeof start === 'number' && typeof end === 'number') {
      const document = await vscode.workspace.openTextDocument(uri);
      return { key: documentKey(document), document, text: document.getText(), range: { start, end } };
    }
    const target = requireSqlTarget(this.worksheets);
    const text = target.text();
    const { from, to } = await target.selection();
    if (from !== to)
      return {
        key: target.key,
        document: target.document,
        text,
        range: { start: Math.min(from, to), end: Math.max(from, to) },
      };
    const statement = statementAt(text, from);
    if (!statement) throw new Error('There is no SQL statement here.');
    return {
      key: target.key,
      document: target.document,
      text,
      range: { start: statement.start, end: statement.end },
    };
  }

  dispose(): void {
    this.panel.dispose();
  }
}
