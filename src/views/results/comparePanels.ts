import * as vscode from 'vscode';
import { bundlePage } from '../bundlePage.js';
import { isJsonRpcMessage } from '../../shared/channel.js';
import type { RunInfo } from '../../shared/protocol.js';
import { registerCommand, reportError } from '../../host/commands.js';
import { GridHost } from '../../host/grid/gridHost.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';
import {
  CompareFlow,
  type CompareFlowUi,
  type OpenedResult,
  type ResultActions,
} from '../../host/run/compareFlow.js';
import { exportWithProgress } from '../../host/run/exportFlow.js';
import type { RunController } from '../../host/run/runController.js';
import { saveChartImage } from '../../host/run/chartSave.js';

/** Palette commands of pinned results and compare. */
export const COMPARE_COMMANDS = {
  pin: 'microDataWarehouse.results.pin',
  unpin: 'microDataWarehouse.results.unpin',
  openPinned: 'microDataWarehouse.results.openPinned',
  compare: 'microDataWarehouse.results.compare',
} as const;

/** What tests see of a result opened beside the editor. */
export interface ResultPanelHandle {
  opened: OpenedResult;
  panel: vscode.WebviewPanel;
  /** The run the webview was last sent, once it asked for it. */
  posted(): RunInfo | undefined;
}

/**
 * Pinned results and compares in VS Code: the dialogs (input box, quick picks, cancellable progress),
 * the palette commands, and editor panels beside the worksheet that show a pinned result or the
 * differences of a compare in the results grid (sort, filter, chart, export and Pin/Compare work there).
 */
export class ComparePanels implements vscode.Disposable {
  readonly flow: CompareFlow;
  private readonly panels = new Set<ResultPanelHandle>();

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runs: RunController,
    private readonly log: ComponentLogger,
  ) {
    this.flow = new CompareFlow(runs, this.ui(), (line) => this.log.info(line));
  }

  /**
   * Registers the commands; `currentKey` is the session key of what the user looks at (the active
   * worksheet editor, else the run in the Results panel). Surfaces get {@link actions} for their grids.
   */
  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    runs: RunController,
    currentKey: () => { key: string; resultIds: string[] } | undefined,
  ): ComparePanels {
    const panels = new ComparePanels(context.extensionUri, runs, logger.component('compare'));
    context.subscriptions.push(panels);
    const log = panels.log;
    const current = (): { key: string; resultIds: string[] } => {
      const c = currentKey();
      if (!c) throw new Error('There are no results here: run a query first.');
      return c;
    };
    /** The result a command acts on: `index` of the latest run, else the only one, else one picked. */
    const pick = async (index?: number): Promise<{ key: string; resultId: string } | undefined> => {
      const { key, resultIds } = current();
      if (index !== undefined) return resultIds[index] ? { key, resultId: resultIds[index] } : undefined;
      if (resultIds.length <= 1) return resultIds[0] ? { key, resultId: resultIds[0] } : undefined;
      const entries = runs.lastRun(key)?.results ?? [];
      const chosen = await vscode.window.showQuickPick(
        entries.map((e) => ({ label: e.title, description: `${e.result.rowCount} rows`, id: e.result.id })),
        { title: 'Which result?' },
      );
      return chosen ? { key, resultId: chosen.id } : undefined;
    };
    // Arguments (for keybindings and tests): which result of the latest run, and the answers to the dialogs.
    registerCommand(context, log, COMPARE_COMMANDS.pin, async (index?: number, name?: string) => {
      const target = await pick(index);
      return target
        ? panels.flow.pin(target.key, target.resultId, typeof name === 'string' ? name : undefined)
        : undefined;
    });
    registerCommand(
      context,
      log,
      COMPARE_COMMANDS.compare,
      async (index?: number, preset?: { other?: string; keys?: string[] }) => {
        const target = await pick(index);
        return target ? panels.flow.compare(target.key, target.resultId, preset) : undefined;
      },
    );
    registerCommand(context, log, COMPARE_COMMANDS.openPinned, () => panels.flow.openPinned(current().key));
    registerCommand(context, log, COMPARE_COMMANDS.unpin, () => panels.flow.unpin(current().key));
    return panels;
  }

  /** Pin… and Compare… for a surface's grid; errors are shown and logged. */
  get actions(): ResultActions {
    const guard = (what: string, work: () => Promise<unknown>): void => {
      void work().catch((e: unknown) => reportError(this.log, what, e));
    };
    return {
      pin: (key, resultId) => guard('pin', () => this.flow.pin(key, resultId)),
      compare: (key, resultId) => guard('compare', () => this.flow.compare(key, resultId)),
    };
  }

  /** Results open beside the editor (for tests). */
  get open(): ResultPanelHandle[] {
    return [...this.panels];
  }

  dispose(): void {
    for (const p of [...this.panels]) p.panel.dispose();
  }

  private ui(): CompareFlowUi {
    return {
      pinName: async (suggested, validate) =>
        vscode.window.showInputBox({
          title: 'Pin result',
          prompt: 'A name for the pinned result (it stays until you unpin it or close the editor)',
          value: suggested,
          validateInput: validate,
        }),
      pickResult: async (title, items) =>
        (await vscode.window.showQuickPick(items, { title, matchOnDescription: true }))?.resultId,
      pickKeys: async (columns) => {
        const picked = await vscode.window.showQuickPick(
          columns.map((label) => ({ label })),
          {
            title: 'Match rows by which key columns? (none: whole rows, duplicates counted)',
            canPickMany: true,
          },
        );
        return picked?.map((p) => p.label);
      },
      progress: (title, work) =>
        Promise.resolve(
          vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title, cancellable: true },
            (_progress, token) => {
              const abort = new AbortController();
              token.onCancellationRequested(() => abort.abort());
              return work(abort.signal);
            },
          ),
        ),
      show: (opened) => this.show(opened),
      info: (message) => void vscode.window.showInformationMessage(message),
    };
  }

  /** Opens `opened` in a grid panel beside the active editor. */
  private show(opened: OpenedResult): void {
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(
      'microDataWarehouse.result',
      opened.title.length > 60 ? `${opened.title.slice(0, 59)}…` : opened.title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { enableScripts: true, localResourceRoots: [root] },
    );
    let posted: RunInfo | undefined;
    const host = new GridHost({
      post: (message) => {
        if (isJsonRpcMessage(message) && (message as { method?: unknown }).method === 'run')
          posted = (message as unknown as { params: { run: RunInfo } }).params.run;
        void panel.webview.postMessage(message);
      },
      exportResult: (source, format, view) =>
        exportWithProgress(this.runs, this.log, opened.run, source.summary().resultId, { format, view }),
      resultActions: {
        pin: (source) => this.actions.pin(opened.key, source.summary().resultId),
        compare: (source) => this.actions.compare(opened.key, source.summary().resultId),
      },
      saveChart: (format, data, title) => saveChartImage(this.log, format, data, title),
      log: (line) => this.log.warn(line),
    });
    panel.webview.html = bundlePage(panel.webview, root, 'grid', 'Result', 'app');
    const handle: ResultPanelHandle = { opened, panel, posted: () => posted };
    this.panels.add(handle);
    const received = panel.webview.onDidReceiveMessage((message: unknown) => host.handle(message));
    panel.onDidDispose(() => {
      received.dispose();
      host.dispose();
      this.panels.delete(handle);
    });
    host.showRun({
      id: opened.run.id,
      results: opened.run.results.map((e) => ({ title: e.title, source: e.result })),
      messages: opened.run.messages,
    });
  }
}
