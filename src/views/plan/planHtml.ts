/** Where the plan page loads its bundle from, and the source its CSP allows. */
export interface PlanPageSources {
  nonce: string;
  /** The webview's CSP source (`webview.cspSource`), or an origin in tests. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
}

/** The plan webview's HTML: nothing runs but the nonce'd bundle; styles and fonts only from the bundle's folder. */
export function planHtml(s: PlanPageSources): string {
  const csp = [
    "default-src 'none'",
    `style-src ${s.cspSource}`,
    `font-src ${s.cspSource}`,
    `img-src ${s.cspSource} data:`,
    `script-src 'nonce-${s.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${s.styleUri}">
<title>Query Plan</title>
</head>
<body>
<div id="app"></div>
<script nonce="${s.nonce}" src="${s.scriptUri}"></script>
</body>
</html>`;
}
