/** Where a webview page loads its bundle from, and the source its CSP allows. */
export interface WebviewPageSources {
  nonce: string;
  /** The webview's CSP source (`webview.cspSource`), or an origin in tests. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  title: string;
  /** Id of the element the bundle mounts into. */
  rootId: string;
}

/**
 * The HTML of every webview: CSP `default-src 'none'`; only the nonce'd bundle runs; styles, fonts and
 * images only from the bundle's folder (nonce'd styles for what the bundle injects).
 */
export function webviewPage(s: WebviewPageSources): string {
  const csp = [
    "default-src 'none'",
    `style-src ${s.cspSource} 'nonce-${s.nonce}'`,
    `font-src ${s.cspSource}`,
    `img-src ${s.cspSource} data:`,
    `script-src 'nonce-${s.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${s.nonce}" href="${s.styleUri}">
<title>${s.title}</title>
</head>
<body>
<div id="${s.rootId}"></div>
<script nonce="${s.nonce}" src="${s.scriptUri}"></script>
</body>
</html>`;
}
