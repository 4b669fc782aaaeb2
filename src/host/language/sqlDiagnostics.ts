import * as vscode from 'vscode';
import { errorLogText } from '../../engine/errors.js';
import { affectsLanguage, readLanguageSettings } from './languageSettings.js';
import { SQL_SELECTOR, type LanguageServices } from './languageServices.js';

/** Pause after the last keystroke before checking a document. */
export const DIAGNOSTICS_DELAY_MS = 400;

/**
 * Syntax errors and unknown tables or columns as the user types: debounced per document, checked
 * off the editor's thread by the engine (parse and bind only), dropped when the text moved on.
 */
export class SqlDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('microDataWarehouse.sql');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();

  static register(context: vscode.ExtensionContext, services: LanguageServices): SqlDiagnostics {
    const diagnostics = new SqlDiagnostics(services);
    context.subscriptions.push(
      diagnostics,
      vscode.workspace.onDidOpenTextDocument((d) => diagnostics.schedule(d)),
      vscode.workspace.onDidChangeTextDocument((e) => diagnostics.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => diagnostics.forget(d)),
      services.warehouse.onDidChangeCatalog(() => diagnostics.scheduleAll()),
      services.warehouse.onDidChangeSession(() => diagnostics.scheduleAll()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsLanguage(e, 'diagnostics')) diagnostics.scheduleAll();
      }),
    );
    for (const document of vscode.workspace.textDocuments) diagnostics.schedule(document);
    return diagnostics;
  }

  private constructor(private readonly services: LanguageServices) {}

  /** The diagnostics of a document, for tests. */
  of(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(uri) ?? [];
  }

  /** Checks `document` after a pause. */
  schedule(document: vscode.TextDocument, delay = DIAGNOSTICS_DELAY_MS): void {
    if (vscode.languages.match(SQL_SELECTOR, document) === 0) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        void this.check(document);
      }, delay),
    );
  }

  /** Checks every open SQL document again (the catalog or a session's database changed). */
  scheduleAll(): void {
    for (const document of vscode.workspace.textDocuments) this.schedule(document);
  }

  /** Checks `document` now; resolves when its diagnostics are set (or dropped as stale). */
  async check(document: vscode.TextDocument): Promise<void> {
    const key = document.uri.toString();
    // One check per document at a time; the latest text wins.
    await this.running.get(key);
    const run = this.run(document);
    this.running.set(key, run);
    await run;
    if (this.running.get(key) === run) this.running.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.collection.dispose();
  }

  private forget(document: vscode.TextDocument): void {
    clearTimeout(this.timers.get(document.uri.toString()));
    this.timers.delete(document.uri.toString());
    this.collection.delete(document.uri);
  }

  private async run(document: vscode.TextDocument): Promise<void> {
    if (document.isClosed) return;
    if (!readLanguageSettings().diagnostics) {
      this.collection.delete(document.uri);
      return;
    }
    const service = await this.services.forDocument(document);
    if (!service) return;
    const version = document.version;
    const text = document.getText();
    try {
      const found = await service.diagnose(
        text,
        this.services.scope(document),
        () => document.version !== version,
      );
      if (document.isClosed || document.version !== version) return;
      this.collection.set(
        document.uri,
        found.map((d) => {
          const range = new vscode.Range(document.positionAt(d.start), document.positionAt(d.end));
          const severity =
            d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
          const diagnostic = new vscode.Diagnostic(range, d.message, severity);
          diagnostic.source = 'DuckDB';
          diagnostic.code = d.code;
          return diagnostic;
        }),
      );
    } catch (e) {
      this.services.log.debug(`diagnostics skipped: ${errorLogText(e)}`);
    }
  }
}
