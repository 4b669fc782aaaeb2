import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { PlanHostMessage, PlanWebviewMessage, QueryPlan } from '../../shared/plan.js';
import { planHtml } from './planHtml.js';

/** The one Query Plan panel: opened on first Explain, revealed and reused afterwards. */
export class PlanPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private pending: PlanHostMessage | undefined;
  private shown: QueryPlan | undefined;

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** The plan on show, for tests. */
  get plan(): QueryPlan | undefined {
    return this.shown;
  }

  /** True while the panel is open. */
  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Shows "Explaining…" for `sql` while the plan is made. */
  loading(sql: string, analyzed: boolean): void {
    this.shown = undefined;
    this.post({ type: 'loading', sql, analyzed });
  }

  show(plan: QueryPlan): void {
    this.shown = plan;
    this.post({ type: 'plan', plan });
  }

  error(message: string): void {
    this.shown = undefined;
    this.post({ type: 'error', message });
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private post(message: PlanHostMessage): void {
    const panel = this.open();
    if (this.ready) void panel.webview.postMessage(message);
    else this.pending = message;
  }

  private open(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return this.panel;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(
      'microDataWarehouse.plan',
      'Query Plan',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [root], retainContextWhenHidden: true },
    );
    const webview = panel.webview;
    webview.html = planHtml({
      nonce: randomUUID().replaceAll('-', ''),
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'plan.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'plan.css')).toString(),
    });
    webview.onDidReceiveMessage((message: PlanWebviewMessage) => {
      if (message.type === 'ready') {
        this.ready = true;
        const message = this.pending ?? (this.shown ? { type: 'plan', plan: this.shown } : undefined);
        if (message) void webview.postMessage(message);
        this.pending = undefined;
      }
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
      // A closed panel keeps no plan (it may belong to an account that was left).
      this.shown = undefined;
      this.pending = undefined;
    });
    this.panel = panel;
    return panel;
  }
}
