import * as vscode from 'vscode';
import { explain } from '../../engine/language/plan.js';
import { statementAt } from '../../engine/query/index.js';
import type { QueryPlan } from '../../shared/plan.js';
import { PlanPanel } from '../../views/plan/planPanel.js';
import { registerCommand } from '../commands.js';
import type { ComponentLogger, Logger } from '../logger.js';
import type { QueryRunner } from '../queryRunner.js';
import { documentKey, type WarehouseService } from '../warehouseService.js';
import { SQL_SELECTOR } from './languageServices.js';
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
    warehouse: WarehouseService,
    runner: QueryRunner,
  ): ExplainCommands {
    const log = logger.component('plan');
    const commands = new ExplainCommands(context.extensionUri, warehouse, log);
    context.subscriptions.push(commands);
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
        const { document, range } = await target(uri, start, end);
        return runner.run({ key: documentKey(document), document }, document.getText(), range);
      },
    );
    return commands;
  }

  private constructor(
    extensionUri: vscode.Uri,
    private readonly warehouse: WarehouseService,
    log: ComponentLogger,
  ) {
    this.panel = new PlanPanel(extensionUri, log);
  }

  /** Explains the given range, else the selection or the statement at the cursor, in the document's session. */
  async explain(
    analyze: boolean,
    uri?: vscode.Uri,
    start?: number,
    end?: number,
  ): Promise<QueryPlan | undefined> {
    const { document, range } = await target(uri, start, end);
    const sql = document.getText().slice(range.start, range.end);
    const key = documentKey(document);
    this.panel.loading(sql.trim(), analyze);
    try {
      const session = await this.warehouse.session(key);
      const plan = await explain(session, sql, { analyze });
      this.panel.show(plan);
      return plan;
    } catch (e) {
      this.panel.error(e instanceof Error ? e.message : String(e));
      throw e;
    } finally {
      await this.warehouse.refreshState(key);
    }
  }

  dispose(): void {
    this.panel.dispose();
  }
}

/** The document and statement range a command works on. */
async function target(
  uri: vscode.Uri | undefined,
  start: number | undefined,
  end: number | undefined,
): Promise<{ document: vscode.TextDocument; range: { start: number; end: number } }> {
  if (uri instanceof vscode.Uri && typeof start === 'number' && typeof end === 'number') {
    const document = await vscode.workspace.openTextDocument(uri);
    return { document, range: { start, end } };
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor || vscode.languages.match(SQL_SELECTOR, editor.document) === 0) {
    throw new Error('Open a .sql file (or a worksheet) and put the cursor in a statement first.');
  }
  const document = editor.document;
  if (!editor.selection.isEmpty) {
    return {
      document,
      range: {
        start: document.offsetAt(editor.selection.start),
        end: document.offsetAt(editor.selection.end),
      },
    };
  }
  const statement = statementAt(document.getText(), document.offsetAt(editor.selection.active));
  if (!statement) throw new Error('There is no SQL statement here.');
  return { document, range: { start: statement.start, end: statement.end } };
}
