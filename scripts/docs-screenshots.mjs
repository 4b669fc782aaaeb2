// Copies the screenshots the UI and webview tests save (test-results/screens/) to docs/screenshots/,
// under stable names the README links to. Run after `npm test`: `npm run docs:screenshots`.
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const from = path.join(root, 'test-results', 'screens');
const to = path.join(root, 'docs', 'screenshots');
const chosen = {
  'workbench.png': 'databases-and-results.png',
  'worksheet-error-vscode.png': 'worksheet-editor.png',
  'worksheets-workbench.png': 'worksheets-and-history.png',
  'signin-code.png': 'sign-in.png',
  '04-mixed-types.png': 'results-grid.png',
  '11-column-summary.png': 'column-summary.png',
  'plan-analyze.png': 'query-plan.png',
  'compare-workbench.png': 'compare.png',
  'ui-chart.png': 'chart.png',
};
fs.mkdirSync(to, { recursive: true });
let missing = 0;
for (const [source, target] of Object.entries(chosen)) {
  const file = path.join(from, source);
  if (!fs.existsSync(file)) {
    console.error(`missing ${file}: run npm test first`);
    missing++;
    continue;
  }
  fs.copyFileSync(file, path.join(to, target));
  console.log(`${source} -> docs/screenshots/${target}`);
}
process.exitCode = missing ? 1 : 0;
