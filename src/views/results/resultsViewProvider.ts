import * as path from 'node:path';
import * as vscode from 'vscode';
import { bundlePage } from '../bundlePage.js';
import type { KeptResult, Session } from '../../engine/query/index.js';
import { isJsonRpcMessage, isReadyMessage } from '../../shared/channel.js';
import type { ExportFormat, RunInfo, RunMessage } from '../../shared/protocol.js';
import type { ResultSource, ResultView } from '../../shared/results.js';
import { GridHost, type GridRun } from '../../host/grid/gridHost.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';

/** One statement's rows as the Results view shows them. */
export interface ResultsEntry {
  title: string;
  result: KeptResult;
  /** The session that kept the rows (exports go through it). */
  session: Session;
}

/** A run as the Results view shows it: a tab per result plus the Messages tab. */
export interface ResultsRun {
  id: string;
  /** The document the statements came from; error positions refer to it. */
  document?: vscode.Uri;
  results: ResultsEntry[];
  messages: RunMessage[];
}

const EXPORT_FILTERS: Record<ExportFormat, Record<string, string[]>> = {
  csv: { CSV: ['csv'] },
  parquet: { Parquet: ['parquet'] },
  json: { JSON: ['json'] },
};

/**
 * The Results view in the panel: the grid webview (dist/webview/grid.js) fed through GridHost over the
 * kept results of the latest run. The webview is rebuilt each time it is shown again (no
 * retainContextWhenHidden); the run is replayed and the webview restores its own state.
 */
export class ResultsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'microDataWarehouse.results';
  private view: vscode.WebviewView | undefined;
  private host: GridHost | undefined;
  private current: ResultsRun | undefined;
  private readyView = false;
  private lastPosted: RunInfo | undefined;
  private watchers: NodeJS.Timeout[] = [];

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: ComponentLogger,
  ) {}

  static register(context: vscode.ExtensionContext, logger: Logger): ResultsViewProvider {
    const provider = new ResultsViewProvider(context.extensionUri, logger.component('results'));
    context.subscriptions.push(
      provider,
      vscode.window.registerWebviewViewProvider(ResultsViewProvider.viewId, provider),
    );
    return provider;
  }

  /** The run on show, if any. */
  get run(): ResultsRun | undefined {
    return this.current;
  }

  /** What the webview was last sent (for tests: proof the host side posted the run), and whether it is ready. */
  get posted(): { ready: boolean; run: RunInfo | undefined } {
    return { ready: this.readyView, run: this.lastPosted };
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [root] };
    view.webview.html = this.html(view.webview, root);
    this.readyView = false;
    const host = new GridHost({
      post: (message) => this.post(view, message),
      exportResult: (source, format, v) => this.exportResult(source, format, v),
      reveal: (line, column) => void this.reveal(line, column),
      log: (line) => this.log.warn(line),
    });
    this.view = view;
    this.host?.dispose();
    this.host = host;
    const subscriptions = [
      view.webview.onDidReceiveMessage((message: unknown) => {
        if (isReadyMessage(message)) this.readyView = true;
        host.handle(message);
      }),
      view.onDidDispose(() => {
        host.dispose();
        for (const s of subscriptions) s.dispose();
        if (this.view === view) {
          this.view = undefined;
          this.host = undefined;
          this.readyView = false;
        }
      }),
    ];
    if (this.current) host.showRun(toGridRun(this.current));
  }

  /** Shows a run (replacing the previous one) and brings the view forward without taking focus. */
  async show(run: ResultsRun): Promise<void> {
    const replaced = this.current && this.current.id !== run.id;
    this.current = run;
    if (replaced) this.stopWatching();
    this.host?.showRun(toGridRun(run));
    for (const entry of run.results) this.watch(entry.result);
    if (this.view) {
      if (!this.view.visible) this.view.show(true);
    } else {
      await vscode.commands.executeCommand(`${ResultsViewProvider.viewId}.focus`);
      await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    }
  }

  /** Exports one of the shown results to `to`, else to a file picked in a save dialog (`Export Results…`). */
  async exportResult(
    source: ResultSource,
    format?: ExportFormat,
    view: ResultView = {},
    to?: vscode.Uri,
  ): Promise<{ saved: boolean; target?: string }> {
    const entry = this.current?.results.find((e) => e.result.id === source.summary().resultId);
    if (!entry) throw new Error('This result is no longer available. Run the query again.');
    const filters = format ? EXPORT_FILTERS[format] : { CSV: ['csv'], Parquet: ['parquet'], JSON: ['json'] };
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `${entry.title.replace(/[^\w-]+/g, '_').slice(0, 40) || 'result'}.${format ?? 'csv'}`;
    const target =
      to ??
      (await vscode.window.showSaveDialog({
        title: `Export ${entry.title}`,
        filters,
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
      }));
    if (!target) return { saved: false };
    let file = target.fsPath;
    if (format && path.extname(file).toLowerCase() !== `.${format}`) file += `.${format}`;
    const written = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Exporting ${entry.title}…` },
      () => entry.session.export(entry.result, file, view),
    );
    this.log.info(`exported ${written.rows} row(s) as ${path.extname(file)}`);
    void vscode.window.showInformationMessage(
      `Exported ${written.rows.toLocaleString('en-US')} rows to ${written.file}.`,
    );
    return { saved: true, target: written.file };
  }

  dispose(): void {
    this.stopWatching();
    this.host?.dispose();
  }

  private post(view: vscode.WebviewView, message: unknown): void {
    if (isJsonRpcMessage(message) && (message as { method?: unknown }).method === 'run')
      this.lastPosted = (message as unknown as { params: { run: RunInfo } }).params.run;
    void view.webview.postMessage(message);
  }

  /** Tells the webview as a kept result grows, and once it is complete. */
  private watch(result: KeptResult): void {
    if (result.complete) return;
    const timer = setInterval(() => this.host?.refreshSummary(result.id), 500);
    this.watchers.push(timer);
    void result.whenComplete().then(() => {
      clearInterval(timer);
      if (this.current?.results.some((e) => e.result === result)) this.host?.refreshSummary(result.id);
    });
  }

  private stopWatching(): void {
    for (const t of this.watchers) clearInterval(t);
    this.watchers = [];
  }

  private async reveal(line: number, column: number): Promise<void> {
    const uri = this.current?.document;
    if (!uri) return;
    try {
      const document = await vscode.workspace.openTextDocument(uri);
      const position = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
      const editor = await vscode.window.showTextDocument(document, { preserveFocus: false });
      editor.selection = new vscode.Selection(position, position);
      editor.revealRange(
        new vscode.Range(position, position),
        vscode.TextEditorRevealType.InCenterIfOutsideViewport,
      );
    } catch (e) {
      this.log.error('revealing an error position failed', e);
    }
  }

  private html(webview: vscode.Webview, root: vscode.Uri): string {
    return bundlePage(webview, root, 'grid', 'Results', 'app');
  }
}

function toGridRun(run: ResultsRun): GridRun {
  return {
    id: run.id,
    results: run.results.map((e) => ({ title: e.title, source: e.result })),
    messages: run.messages,
  };
}
