import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { NotificationMessage } from '../../shared/channel.js';
import type { PlanProtocol, QueryPlan } from '../../shared/plan.js';
import { HostChannel } from '../../host/webviewChannel.js';
import type { ComponentLogger } from '../../host/logger.js';
import { planHtml } from './planHtml.js';

type PlanMessage = NotificationMessage<PlanProtocol['toWebview']>;

/** The one Query Plan panel: opened on first Explain, revealed and reused afterwards. */
export class PlanPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private channel: HostChannel<PlanProtocol> | undefined;
  private pending: PlanMessage | undefined;
  private shown: QueryPlan | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: ComponentLogger,
  ) {}

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

  private post(message: PlanMessage): void {
    this.open();
    if (this.channel?.isReady) this.send(message);
    else this.pending = message;
  }

  private send(message: PlanMessage): void {
    const { type, ...params } = message;
    this.channel?.notify(type, params as never);
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
    const channel = new HostChannel<PlanProtocol>({
      post: (message) => void webview.postMessage(message),
      log: (line) => this.log.warn(line),
    });
    channel.serve({
      requests: {},
      notifications: {},
      ready: () => {
        const message =
          this.pending ?? (this.shown ? { type: 'plan' as const, plan: this.shown } : undefined);
        if (message) this.send(message);
        this.pending = undefined;
      },
    });
    this.channel = channel;
    const received = webview.onDidReceiveMessage((message: unknown) => channel.receive(message));
    panel.onDidDispose(() => {
      received.dispose();
      channel.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
        this.channel = undefined;
      }
      // A closed panel keeps no plan (it may belong to an account that was left).
      this.shown = undefined;
      this.pending = undefined;
    });
    this.panel = panel;
    return panel;
  }
}
