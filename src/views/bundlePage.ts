import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { webviewPage } from './webviewPage.js';

/** The page of bundle `name` (`<root>/<name>.js` and `.css`) for `webview`, with a fresh nonce. */
export function bundlePage(
  webview: vscode.Webview,
  root: vscode.Uri,
  name: string,
  title: string,
  rootId: string,
): string {
  return webviewPage({
    nonce: randomUUID().replaceAll('-', ''),
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, `${name}.js`)).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, `${name}.css`)).toString(),
    title,
    rootId,
  });
}
