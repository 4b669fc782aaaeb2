import * as vscode from 'vscode';
import type { StatementOutcome } from '../../engine/query/index.js';
import type { HistoryInput, QueryStatus } from '../../engine/store/history.js';
import type { AccountManager } from '../../host/accounts/accountManager.js';
import { registerCommand } from '../../host/commands.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';
import type { FinishedRun, QueryRunner } from '../../host/queryRunner.js';
import { WORKSHEET_SCHEME, type WorksheetFileSystem } from '../worksheets/worksheetFileSystem.js';
import { HISTORY_COMMANDS, type HistoryElement, type HistoryTreeProvider } from './historyTreeProvider.js';

/** Records every finished run in the account's encrypted history; Open SQL, Run Again, Clear. */
export class HistoryCommands {
  private recording: Promise<unknown> = Promise.resolve();
  /** Untitled editors opened with a run's SQL, and whose run it was. */
  private readonly opened = new Map<vscode.TextDocument, { tag: string; sql: string }>();

  private constructor(
    private readonly manager: AccountManager,
    private readonly fs: WorksheetFileSystem,
    private readonly tree: HistoryTreeProvider,
    private readonly runner: QueryRunner,
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    manager: AccountManager,
    fs: WorksheetFileSystem,
    tree: HistoryTreeProvider,
    runner: QueryRunner,
  ): HistoryCommands {
    const log = logger.component('history');
    const commands = new HistoryCommands(manager, fs, tree, runner, log);
    const command = (id: string, handler: (...args: never[]) => unknown): void =>
      registerCommand(context, log, id, handler);
    command(HISTORY_COMMANDS.open, (item?: HistoryElement) => commands.open(item));
    command(HISTORY_COMMANDS.runAgain, (item?: HistoryElement) => commands.runAgain(item));
    command(HISTORY_COMMANDS.refresh, () => tree.refresh());
    command(HISTORY_COMMANDS.clear, () => commands.clear());
    context.subscriptions.push(runner.onDidFinishRun((run) => void commands.record(run)));
    return commands;
  }

  /** Resolves when the runs finished so far are recorded (tests wait on it). */
  settled(): Promise<unknown> {
    return this.recording;
  }

  /** Records a run once its results are complete (so the row count is final). */
  record(run: FinishedRun): Promise<unknown> {
    const next = this.recording.then(async () => {
      const current = this.manager.current;
      if (!current) return;
      try {
        await Promise.all(
          run.outcomes.map((o) =>
            o.status === 'rows' ? o.result.whenComplete().catch(() => undefined) : undefined,
          ),
        );
        const document = run.document !== undefined ? vscode.Uri.parse(run.document) : undefined;
        const worksheetId =
          document?.scheme === WORKSHEET_SCHEME && document.authority === current.tag
            ? ((await this.fs.locate(document).catch(() => undefined))?.node?.id ?? null)
            : null;
        await current.account.history.add({ ...summarize(run), worksheetId });
        this.tree.refresh();
      } catch (e) {
        this.log.error('recording a run in the history failed', e);
        this.manager.noticeError(e);
      }
    });
    this.recording = next;
    return next;
  }

  /** Opens a run's SQL in a new SQL editor. */
  async open(item?: HistoryElement): Promise<vscode.TextEditor | undefined> {
    const entry = this.entry(item);
    const document = await vscode.workspace.openTextDocument({ language: 'sql', content: entry.sql });
    const owner = this.manager.current;
    if (owner) this.opened.set(document, { tag: owner.tag, sql: entry.sql });
    return vscode.window.showTextDocument(document);
  }

  /**
   * Closes the untitled editors History opened for the account that was left, unless their text was
   * changed since (then it is the user's own text). The text is removed first, so the editor closes
   * without asking to save it (AccountScoped).
   */
  async clearAccount(previous: { tag: string }): Promise<void> {
    for (const [document, origin] of [...this.opened]) {
      this.opened.delete(document);
      if (document.isClosed || origin.tag !== previous.tag || document.getText() !== origin.sql) continue;
      const edit = new vscode.WorkspaceEdit();
      edit.delete(document.uri, new vscode.Range(0, 0, document.lineCount, 0));
      if (!(await vscode.workspace.applyEdit(edit))) continue;
      const tabs = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter(
          (t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === document.uri.toString(),
        );
      if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
    }
  }

  /** Opens a run's SQL in a new SQL editor and runs all of it there. */
  async runAgain(item?: HistoryElement): Promise<void> {
    const editor = await this.open(item);
    if (!editor) return;
    await this.runner.run(
      { key: editor.document.uri.toString(), document: editor.document },
      editor.document.getText(),
    );
  }

  async clear(): Promise<void> {
    const { account } = await this.manager.require();
    const removed = await account.history.clear();
    this.tree.refresh();
    vscode.window.setStatusBarMessage(
      `MicroDataWarehouse: ${removed} history entr${removed === 1 ? 'y' : 'ies'} removed.`,
      5000,
    );
  }

  private entry(item?: HistoryElement): Extract<HistoryElement, { kind: 'entry' }>['entry'] {
    const element = item ?? this.tree.view.selection[0];
    if (!element || element.kind !== 'entry') throw new Error('Select a run in the History view first.');
    return element.entry;
  }
}

/** Status, rows and error of a run: the first error decides; rows are the last result's, else the changes. */
export function summarize(run: FinishedRun): Omit<HistoryInput, 'worksheetId'> {
  let status: QueryStatus = 'ok';
  let error: string | null = null;
  let rows: number | null = null;
  let changes: number | null = null;
  for (const o of run.outcomes as StatementOutcome[]) {
    if (o.status === 'error') {
      status = o.error.code === 'INTERRUPTED' ? 'cancelled' : 'error';
      error = status === 'error' ? o.error.message : null;
      break;
    }
    if (o.status === 'rows') {
      rows = o.result.rowCount;
      if (o.result.cancelled) status = 'cancelled';
    }
    if (o.status === 'changes') changes = (changes ?? 0) + o.changes;
  }
  if (status === 'ok' && run.status !== 'ok' && run.status !== 'running') {
    status = run.status;
    error = run.status === 'error' ? (run.error?.message ?? null) : null;
  }
  return {
    sql: run.sql,
    startedAt: run.startedAt,
    durationMs: Math.round(run.durationMs),
    rows: rows ?? changes,
    status,
    error,
  };
}
