// Serves the built webview bundle under a strict CSP to headless Chromium and bridges the page's
// acquireVsCodeApi().postMessage to a real GridHost in this Node process.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { GridHost, type GridHostOptions, type GridRun } from '../../../src/host/grid/gridHost.js';

/** A JSON-RPC message as it crossed postMessage. */
export interface RawMessage {
  jsonrpc: '2.0';
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

const root = path.resolve(__dirname, '../../../..');
const bundleDir = path.join(root, 'dist/webview');
export const screensDir = path.join(root, 'test-results/screens');

export interface Harness {
  page: Page;
  context: BrowserContext;
  host: GridHost;
  /** Every JSON-RPC message the webview posted, in order. */
  received: RawMessage[];
  /** Every JSON-RPC message the host posted, in order. */
  sent: RawMessage[];
  /** What the host logged (the webview's own errors among it). */
  hostLog: string[];
  /** Page errors, console errors (CSP violations among them) and dialogs. */
  problems: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

function html(nonce: string, origin: string): string {
  // Same shape as the extension's webview HTML: nothing but nonce'd scripts and the bundle's own CSS.
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${origin}`,
    `font-src ${origin}`,
    `img-src ${origin} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${origin}/grid.css">
<title>Results</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}">
  (() => {
    let state;
    const api = {
      postMessage: (message) => window.__mdwPost(message),
      getState: () => state,
      setState: (next) => { state = next; },
    };
    window.acquireVsCodeApi = () => api;
  })();
</script>
<script nonce="${nonce}" src="${origin}/grid.js"></script>
</body>
</html>`;
}

async function serve(): Promise<{ server: Server; origin: string }> {
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
      res.end(html(nonce, origin));
      return;
    }
    const file = path.join(bundleDir, path.basename(url));
    if (!/^\/grid\.(js|css)$/.test(url) || !existsSync(file)) {
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

/** Opens the grid page in a fresh headless Chromium, connected to a GridHost showing `run`. */
export async function openGrid(
  run: GridRun,
  options: Omit<GridHostOptions, 'post'> = {},
  viewport = { width: 1100, height: 620 },
): Promise<Harness> {
  if (!existsSync(path.join(bundleDir, 'grid.js')))
    throw new Error('Build the webview first: node esbuild.mjs');
  mkdirSync(screensDir, { recursive: true });
  const { server, origin } = await serve();
  const profile = mkdtempSync(path.join(tmpdir(), 'mdw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = context.pages()[0] ?? (await context.newPage());
  const received: RawMessage[] = [];
  const sent: RawMessage[] = [];
  const hostLog: string[] = [];
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.stack ?? e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  let closed = false;
  const host = new GridHost({
    log: (line) => hostLog.push(line),
    ...options,
    post: (message) => {
      sent.push(message as RawMessage);
      if (!closed) page.evaluate((m) => window.postMessage(m, '*'), message).catch(() => undefined);
    },
  });
  await page.exposeBinding('__mdwPost', (_source, message: RawMessage) => {
    received.push(message);
    host.handle(message);
  });
  host.showRun(run);
  await page.goto(origin);
  return {
    page,
    context,
    host,
    received,
    sent,
    hostLog,
    problems,
    screenshot: async (name) => {
      const file = path.join(screensDir, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    close: async () => {
      closed = true;
      host.dispose();
      await context.close();
      await new Promise((resolve) => server.close(resolve));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
