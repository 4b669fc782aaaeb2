import * as vscode from 'vscode';
import { bundlePage } from '../bundlePage.js';
import type { EngineResult as KeptResult } from '../../engine/api.js';
import { isJsonRpcMessage, isReadyMessage } from '../../shared/channel.js';
import type { ExportFormat, RunInfo } from '../../shared/protocol.js';
import type { ResultSource, ResultView } from '../../shared/results.js';
import { GridHost, type GridRun } from '../../host/grid/gridHost.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';
import { saveChartImage } from '../../host/run/chartSave.js';
import { exportWithProgress } from '../../host/run/exportFlow.js';
import type { ResultActions } from '../../host/run/compareFlow.js';
import type { Run, RunController, RunEntry } from '../../host/run/runController.js';

/** One statement's rows as the Results view shows them. */
export type ResultsEntry = RunEntry;

/** A run as the Results view shows it: a tab per result plus the Messages tab. */
export type ResultsRun = Run;

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
  /** Pin… and Compare… of the grid's toolbar (set once the compare commands are registered). */
  resultActions: ResultActions | undefined;

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunController,
    private readonly log: ComponentLogger,
  ) {}

  /** The Results view presents every run that no editor of its own (a worksheet editor) shows. */
  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    runs: RunController,
  ): ResultsViewProvider {
    const provider = new ResultsViewProvider(context.extensionUri, runs, logger.component('results'));
    let firstShown: string | undefined;
    context.subscriptions.push(
      provider,
      vscode.window.registerWebviewViewProvider(ResultsViewProvider.viewId, provider),
      runs.onDidUpdateRun((run) => {
        if (runs.isClaimed(run.key) || run.results.length === 0 || firstShown === run.id) return;
        firstShown = run.id;
        // Its own id: the webview restores tab state per run id, and the final run may open on Messages.
        void provider.show({
          ...run,
          id: `${run.id}-first`,
          results: [...run.results],
          messages: [...run.messages],
        });
      }),
      runs.onDidFinishRun((run) => {
        if (!runs.isClaimed(run.key)) void provider.show(run);
      }),
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
      saveChart: (format, data, title) => saveChartImage(this.log, format, data, title),
      reveal: (line, column) => void this.reveal(line, column),
      resultActions: {
        pin: (source) => this.current && this.resultActions?.pin(this.current.key, source.summary().resultId),
        compare: (source) =>
          this.current && this.resultActions?.compare(this.current.key, source.summary().resultId),
      },
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

  /** Empties the view: the run on show and its rows are forgotten and the webview shows nothing. */
  clear(): void {
    this.stopWatching();
    if (!this.current && !this.lastPosted?.results.length) return;
    this.current = undefined;
    this.host?.showRun({ id: `cleared-${Date.now()}`, results: [], messages: [] });
    this.log.info('results cleared');
  }

  /** Called when the account is left: nothing of its runs stays on show (AccountScoped). */
  clearAccount(): void {
    this.clear();
  }

  /** Exports one of the shown results to `to`, else to a file picked in a save dialog (`Export Results…`). */
  async exportResult(
    source: ResultSource,
    format?: ExportFormat,
    view: ResultView = {},
    to?: vscode.Uri,
  ): Promise<{ saved: boolean; target?: string }> {
    const resultId = source.summary().resultId;
    const run = this.current;
    if (!run?.results.some((e) => e.result.id === resultId))
      throw new Error('This result is no longer available. Run the query again.');
    return exportWithProgress(this.runs, this.log, run, resultId, {
      ...(format ? { format } : {}),
      view,
      ...(to ? { to } : {}),
    });
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
    const document = this.current?.document;
    if (!document) return;
    const uri = vscode.Uri.parse(document);
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
