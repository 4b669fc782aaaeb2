import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { bundlePage } from '../bundlePage.js';
import { isJsonRpcMessage } from '../../shared/channel.js';
import type { TextChange } from '../../shared/protocol.js';
import { toLf } from '../../shared/textSync.js';
import { WorksheetHost, type WorksheetDocument } from '../../host/worksheet/worksheetHost.js';
import { formatSql } from '../../engine/language/format.js';
import { readLanguageSettings } from '../../host/language/languageSettings.js';
import type { LanguageServices } from '../../host/language/languageServices.js';
import { formatOptions } from '../../host/language/sqlFormatting.js';
import type { ComponentLogger, Logger } from '../../host/logger.js';
import { exportWithProgress } from '../../host/run/exportFlow.js';
import type { ResultActions } from '../../host/run/compareFlow.js';
import { saveChartImage } from '../../host/run/chartSave.js';
import type { ChartSpec } from '../../shared/chart.js';
import { WORKSHEET_SCHEME, type WorksheetFileSystem } from '../worksheets/worksheetFileSystem.js';
import type { RunController } from '../../host/run/runController.js';
import { documentKey, type WarehouseService } from '../../host/warehouseService.js';

/** What tests see of an open worksheet editor. */
export interface WorksheetEditorHandle {
  readonly document: vscode.TextDocument;
  readonly host: WorksheetHost;
  readonly panel: vscode.WebviewPanel;
  /**
   * What the host posted to the webview, in order: each notification as `{type: method, ...params}`,
   * each answer to a request as `{type: 'response', id, result}` or `{type: 'response', id, error}`.
   */
  readonly posted: { type: string }[];
}

/** The document as WorksheetHost sees it: LF text, and edits that map LF offsets to positions. */
class VsCodeDocument implements WorksheetDocument {
  constructor(private readonly document: vscode.TextDocument) {}

  text(): string {
    return toLf(this.document.getText());
  }

  version(): number {
    return this.document.version;
  }

  async apply(changes: TextChange[]): Promise<boolean> {
    // Lines and characters are the same in the LF text and the document, whatever its line ends.
    const text = this.text();
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    const position = (offset: number): vscode.Position => {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= offset) lo = mid;
        else hi = mid - 1;
      }
      return new vscode.Position(lo, offset - starts[lo]!);
    };
    const edit = new vscode.WorkspaceEdit();
    for (const c of changes)
      edit.replace(this.document.uri, new vscode.Range(position(c.from), position(c.to)), c.insert);
    return vscode.workspace.applyEdit(edit);
  }
}

/**
 * The worksheet editor: a CustomTextEditorProvider whose webview (dist/webview/worksheet.js) shows a
 * CodeMirror SQL editor over the TextDocument and the results grid below. VS Code keeps undo, redo,
 * dirty state, save and hot exit, because the TextDocument stays the model.
 */
export class WorksheetEditorProvider implements vscode.CustomTextEditorProvider {
  static readonly viewType = 'microDataWarehouse.worksheet';
  private readonly editors = new Map<string, WorksheetEditorHandle>();
  private readonly activeChanged = new vscode.EventEmitter<void>();
  /** Fired when a worksheet editor became active or stopped being active. */
  readonly onDidChangeActive = this.activeChanged.event;
  /** Pin… and Compare… of the grid's toolbar (set once the compare commands are registered). */
  resultActions: ResultActions | undefined;

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: WarehouseService,
    private readonly runs: RunController,
    private readonly log: ComponentLogger,
    private readonly languages: LanguageServices,
    private readonly worksheetFs?: WorksheetFileSystem,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    service: WarehouseService,
    runs: RunController,
    languages: LanguageServices,
    worksheetFs?: WorksheetFileSystem,
  ): WorksheetEditorProvider {
    const provider = new WorksheetEditorProvider(
      context.extensionUri,
      service,
      runs,
      logger.component('worksheet'),
      languages,
      worksheetFs,
    );
    context.subscriptions.push(
      provider.activeChanged,
      vscode.window.registerCustomEditorProvider(WorksheetEditorProvider.viewType, provider, {
        supportsMultipleEditorsPerDocument: true,
      }),
    );
    return provider;
  }

  /**
   * The worksheet editor that has focus (VS Code's activeTextEditor is undefined then), else the one
   * in the active tab (focus in a panel or the palette).
   */
  active(): WorksheetEditorHandle | undefined {
    const editors = [...this.editors.values()];
    const focused = editors.find((e) => e.panel.active);
    if (focused) return focused;
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputCustom && input.viewType === WorksheetEditorProvider.viewType) {
      return editors.find((e) => e.document.uri.toString() === input.uri.toString() && e.panel.visible);
    }
    return undefined;
  }

  /** The open worksheet editors of a document (tests drive them through this). */
  editorsOf(uri: vscode.Uri): WorksheetEditorHandle[] {
    return [...this.editors.values()].filter((e) => e.document.uri.toString() === uri.toString());
  }

  /** Closes every worksheet editor of the account that was left (its tabs normally closed already). */
  clearAccount(previous: { tag: string }): void {
    for (const editor of [...this.editors.values()]) {
      const uri = editor.document.uri;
      if (uri.scheme === 'mdw' && uri.authority === previous.tag) editor.panel.dispose();
    }
  }

  resolveCustomTextEditor(document: vscode.TextDocument, panel: vscode.WebviewPanel): void {
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: true, localResourceRoots: [root] };
    panel.webview.html = this.html(panel.webview, root);
    const key = documentKey(document);
    const posted: { type: string }[] = [];
    const host = new WorksheetHost({
      document: new VsCodeDocument(document),
      post: (message) => {
        const m = message as { method?: unknown; id?: unknown; params?: unknown };
        if (isJsonRpcMessage(message)) {
          if (typeof m.method === 'string' && m.id === undefined)
            posted.push({ type: m.method, ...(m.params as object) });
          else if (m.method === undefined) posted.push({ ...message, type: 'response' });
          if (posted.length > 2000) posted.splice(0, 1000);
        }
        void panel.webview.postMessage(message);
      },
      runs: this.runs,
      key,
      catalog: async () => (await this.service.engine()).catalog,
      format: (text) => formatSql(text, formatOptions(vscode.window.activeTextEditor?.options ?? {})),
      exportResult: (run, resultId, format, view) =>
        exportWithProgress(this.runs, this.log, run, resultId, { format, view }),
      saveChart: (format, data, title) => saveChartImage(this.log, format, data, title),
      ...(this.worksheetFs && document.uri.scheme === WORKSHEET_SCHEME
        ? { charts: worksheetCharts(this.worksheetFs, document.uri) }
        : {}),
      language: async () => {
        const service = await this.languages.forDocument(document);
        return service
          ? {
              service,
              scope: this.languages.scope(document),
              diagnostics: readLanguageSettings().diagnostics,
            }
          : undefined;
      },
      showError: (message) => void vscode.window.showErrorMessage(message),
      resultActions: {
        pin: (resultId) => this.resultActions?.pin(key, resultId),
        compare: (resultId) => this.resultActions?.compare(key, resultId),
      },
      log: (line) => this.log.warn(line),
    });
    const id = randomUUID();
    this.editors.set(id, { document, host, panel, posted });
    const subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === document && e.contentChanges.length > 0) host.documentChanged();
      }),
      panel.webview.onDidReceiveMessage((message: unknown) => host.handle(message)),
      panel.onDidChangeViewState(() => this.activeChanged.fire()),
      panel.onDidDispose(() => {
        host.dispose();
        this.editors.delete(id);
        for (const s of subscriptions) s.dispose();
        this.activeChanged.fire();
      }),
    ];
    this.activeChanged.fire();
  }

  private html(webview: vscode.Webview, root: vscode.Uri): string {
    return bundlePage(webview, root, 'worksheet', 'Worksheet', 'worksheet');
  }
}

/** Chart settings kept with a stored worksheet (an `mdw:` document), by result position. */
function worksheetCharts(
  fs: WorksheetFileSystem,
  uri: vscode.Uri,
): { load(): Promise<Record<string, ChartSpec>>; save(position: number, spec: ChartSpec): Promise<void> } {
  const sheet = async () => {
    const { account, node } = await fs.locate(uri);
    if (!node || node.kind !== 'worksheet') throw new Error('not a worksheet');
    return { worksheets: account.worksheets, id: node.id };
  };
  return {
    load: async () => {
      const { worksheets, id } = await sheet();
      return worksheets.charts(id);
    },
    save: async (position, spec) => {
      const { worksheets, id } = await sheet();
      await worksheets.saveChart(id, position, spec);
    },
  };
}
