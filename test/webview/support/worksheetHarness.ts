// Serves the built worksheet bundle under a strict CSP to headless Chromium and bridges the page to a
// real WorksheetHost over a real engine session, with an in-memory document standing in for VS Code's
// TextDocument (versions, edits applied after a delay, changes from elsewhere).
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { LanguageService } from '../../../src/engine/language/languageService.js';
import { RunController } from '../../../src/host/run/runController.js';
import {
  WorksheetHost,
  type WorksheetDocument,
  type WorksheetHostOptions,
} from '../../../src/host/worksheet/worksheetHost.js';
import type { TextChange } from '../../../src/shared/protocol.js';
import { applyChanges } from '../../../src/shared/textSync.js';
import type { EngineFixture } from './engineSource.js';

const root = path.resolve(__dirname, '../../../..');
const bundleDir = path.join(root, 'dist/webview');
export const screensDir = path.join(root, 'test-results/screens');

/** A text document with versions, like VS Code's: edits land after `latencyMs`, others can edit it too. */
export class MemoryDocument implements WorksheetDocument {
  private value: string;
  private v = 1;
  latencyMs = 0;
  /** Every text the document had, in order. */
  readonly history: string[] = [];
  onChange: () => void = () => undefined;

  constructor(text: string) {
    this.value = text;
  }

  text(): string {
    return this.value;
  }

  version(): number {
    return this.v;
  }

  /** Like VS Code's applyEdit: refused when the document changed between the call and the edit. */
  async apply(changes: TextChange[]): Promise<boolean> {
    const version = this.v;
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.v !== version) return false;
    this.set(applyChanges(this.value, changes));
    return true;
  }

  /** A change from elsewhere (another editor, undo). */
  external(changes: TextChange[]): void {
    this.set(applyChanges(this.value, changes));
  }

  private set(text: string): void {
    this.value = text;
    this.v++;
    this.history.push(text);
    this.onChange();
  }
}

export interface WorksheetHarness {
  page: Page;
  context: BrowserContext;
  host: WorksheetHost;
  /** The run controller the host presents (the fixture's session under key "worksheet"). */
  runs: RunController;
  document: MemoryDocument;
  /** Every notification the webview posted, in order, as `{type: method, ...params}`. */
  received: { type: string; [key: string]: unknown }[];
  problems: string[];
  /** What the host logged (races it settled, failures). */
  hostLog: string[];
  /** The editor's text as CodeMirror holds it. */
  editorText(): Promise<string>;
  screenshot(name: string): Promise<string>;
  /** Reloads the page (the webview rebuilt when its tab comes back), keeping the saved state. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

function html(nonce: string, origin: string, theme: string): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${origin} 'nonce-${nonce}'`,
    `font-src ${origin}`,
    `img-src ${origin} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${origin}/theme-${theme}.css">
<link rel="stylesheet" href="${origin}/worksheet.css">
<title>Worksheet</title>
</head>
<body>
<div id="worksheet"></div>
<script nonce="${nonce}">
  (() => {
    const key = 'mdw-worksheet-state';
    const api = {
      postMessage: (message) => window.__mdwPost(message),
      getState: () => { const s = sessionStorage.getItem(key); return s ? JSON.parse(s) : undefined; },
      setState: (next) => sessionStorage.setItem(key, JSON.stringify(next)),
    };
    window.acquireVsCodeApi = () => api;
  })();
</script>
<script nonce="${nonce}" src="${origin}/worksheet.js"></script>
</body>
</html>`;
}

/** A few of VS Code's theme variables, so screenshots show light, dark and high-contrast looks. */
const THEMES: Record<string, string> = {
  dark: `:root{--vscode-editor-background:#1f1f1f;--vscode-editor-foreground:#cccccc;--vscode-font-family:system-ui,sans-serif;--vscode-editor-font-family:monospace;--vscode-editorLineNumber-foreground:#6e7681;--vscode-editor-selectionBackground:#264f78;--vscode-button-background:#0078d4;--vscode-button-foreground:#fff;--vscode-editorError-foreground:#f14c4c;--vscode-focusBorder:#0078d4;--vscode-badge-background:#616161;--vscode-badge-foreground:#f8f8f8;--vscode-editorWidget-background:#202020;--vscode-editorWidget-foreground:#ccc;--vscode-input-background:#313131;--vscode-input-foreground:#ccc;--vscode-dropdown-background:#313131;--vscode-dropdown-foreground:#ccc;--vscode-dropdown-border:#3c3c3c}`,
  light: `:root{--vscode-editor-background:#ffffff;--vscode-editor-foreground:#3b3b3b;--vscode-font-family:system-ui,sans-serif;--vscode-editor-font-family:monospace;--vscode-editorLineNumber-foreground:#6e7681;--vscode-editor-selectionBackground:#add6ff;--vscode-button-background:#005fb8;--vscode-button-foreground:#fff;--vscode-editorError-foreground:#e51400;--vscode-focusBorder:#005fb8;--vscode-badge-background:#cccccc;--vscode-badge-foreground:#3b3b3b;--vscode-editorGroupHeader-tabsBackground:#f8f8f8;--vscode-editorGroup-border:#e5e5e5;--vscode-statusBar-background:#f8f8f8;--vscode-statusBar-foreground:#3b3b3b;--vscode-descriptionForeground:#717171;--vscode-editorWidget-background:#f8f8f8;--vscode-editorWidget-foreground:#3b3b3b;--vscode-input-background:#fff;--vscode-input-foreground:#3b3b3b;--vscode-dropdown-background:#fff;--vscode-dropdown-foreground:#3b3b3b;--vscode-dropdown-border:#cecece;--vscode-list-hoverBackground:#f2f2f2}`,
  'high-contrast': `:root{--vscode-editor-background:#000000;--vscode-editor-foreground:#ffffff;--vscode-font-family:system-ui,sans-serif;--vscode-editor-font-family:monospace;--vscode-editorLineNumber-foreground:#ffffff;--vscode-editor-selectionBackground:#ffffff33;--vscode-button-background:#000;--vscode-button-foreground:#fff;--vscode-button-border:#6fc3df;--vscode-contrastBorder:#6fc3df;--vscode-editorError-foreground:#f48771;--vscode-focusBorder:#f38518;--vscode-editorGroup-border:#6fc3df;--vscode-badge-background:#000;--vscode-badge-foreground:#fff;--vscode-editorGroupHeader-tabsBackground:#000;--vscode-statusBar-background:#000;--vscode-statusBar-foreground:#fff;--vscode-input-background:#000;--vscode-input-foreground:#fff;--vscode-dropdown-background:#000;--vscode-dropdown-foreground:#fff;--vscode-dropdown-border:#6fc3df}`,
};

async function serve(theme: string): Promise<{ server: Server; origin: string }> {
  const nonce = randomUUID().replaceAll('-', '');
  let origin = '';
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (url === '/' || url.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html(nonce, origin, theme));
      return;
    }
    const themeMatch = /^\/theme-([\w-]+)\.css$/.exec(url);
    if (themeMatch) {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(THEMES[themeMatch[1]!] ?? '');
      return;
    }
    const file = path.join(bundleDir, path.basename(url));
    if (!/^\/worksheet\.(js|css)$/.test(url) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': url.endsWith('.js') ? 'text/javascript' : 'text/css' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  origin = `http://127.0.0.1:${address.port}`;
  return { server, origin };
}

/** Opens the worksheet page in headless Chromium, its host running `text` over the fixture's session. */
export async function openWorksheet(
  db: EngineFixture,
  text: string,
  options: {
    theme?: 'dark' | 'light' | 'high-contrast';
    viewport?: { width: number; height: number };
    charts?: WorksheetHostOptions['charts'];
  } = {},
): Promise<WorksheetHarness> {
  if (!existsSync(path.join(bundleDir, 'worksheet.js')))
    throw new Error('Build the webview first: node esbuild.mjs');
  mkdirSync(screensDir, { recursive: true });
  const { server, origin } = await serve(options.theme ?? 'dark');
  const profile = mkdtempSync(path.join(tmpdir(), 'mdw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    viewport: options.viewport ?? { width: 1100, height: 720 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const received: WorksheetHarness['received'] = [];
  const problems: string[] = [];
  const hostLog: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.stack ?? e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  const document = new MemoryDocument(text);
  // The engine's one language service, as the extension hands it to the worksheet editor.
  const language = new LanguageService(db.warehouse);
  let closed = false;
  let location: { database: string; schema: string } | undefined;
  const runs = new RunController({
    session: () => Promise.resolve(db.session),
    openSession: () => db.session,
    refresh: async () => {
      location = await db.session.current();
    },
    location: () => location,
    log: (line) => hostLog.push(line),
  });
  const host: WorksheetHost = new WorksheetHost({
    document,
    post: (message) => {
      if (!closed) page.evaluate((m) => window.postMessage(m, '*'), message).catch(() => undefined);
    },
    runs,
    key: 'worksheet',
    catalog: () => Promise.resolve(db.warehouse.catalog),
    format: async (sql) => (await import('sql-formatter')).format(sql, { language: 'duckdb' }),
    language: () => Promise.resolve({ service: language }),
    log: (line) => hostLog.push(line),
    ...(options.charts ? { charts: options.charts } : {}),
  });
  document.onChange = () => host.documentChanged();
  await page.exposeBinding(
    '__mdwPost',
    (_source, message: { method?: string; id?: number; params?: object }) => {
      if (typeof message.method === 'string' && message.id === undefined)
        received.push({ type: message.method, ...message.params });
      host.handle(message);
    },
  );
  await page.goto(origin);
  await page.waitForFunction(
    () => ((window as unknown as { worksheet?: { syncVersion: number } }).worksheet?.syncVersion ?? -1) >= 0,
  );
  return {
    page,
    context,
    host,
    runs,
    document,
    received,
    problems,
    hostLog,
    editorText: () =>
      page.evaluate(() =>
        (
          window as unknown as { worksheet: { view: { state: { doc: { toString(): string } } } } }
        ).worksheet.view.state.doc.toString(),
      ),
    screenshot: async (name) => {
      const file = path.join(screensDir, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    reload: async () => {
      // The panel (and its host) outlives the webview: only the page is rebuilt, as in VS Code.
      await page.reload();
      await page.waitForFunction(
        () =>
          ((window as unknown as { worksheet?: { syncVersion: number } }).worksheet?.syncVersion ?? -1) >= 0,
      );
    },
    close: async () => {
      closed = true;
      host.dispose();
      runs.dispose();
      language.dispose();
      await context.close();
      await new Promise((resolve) => server.close(resolve));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
