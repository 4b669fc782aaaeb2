import { webviewPage } from '../webviewPage.js';

/** Where the plan page loads its bundle from, and the source its CSP allows. */
export interface PlanPageSources {
  nonce: string;
  /** The webview's CSP source (`webview.cspSource`), or an origin in tests. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
}

/** The plan webview's HTML (see {@link webviewPage}). */
export function planHtml(s: PlanPageSources): string {
  return webviewPage({ ...s, title: 'Query Plan', rootId: 'app' });
}
