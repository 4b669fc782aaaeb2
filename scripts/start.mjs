// npm start: build, install the local VS Code (idempotent), start code-server on 127.0.0.1 with the
// extension in development mode and a demo workspace, print the URL, stop cleanly on Ctrl+C.
// Options: --port <n> (default 8765, or a free port when taken), --check (open the URL in headless
// chromium, screenshot it to test-results/screens/start.png, then stop).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CACHE, ROOT, freePort, install, startCodeServer, workbenchUrl } from './vscode/server.mjs';

const { values: opts } = parseArgs({ options: { port: { type: 'string' }, check: { type: 'boolean' } } });

const SAMPLE_SQL = `-- A sample worksheet. Open the MicroDataWarehouse view in the activity bar to get started.
create table if not exists trips as
select range as id,
       date '2024-01-01' + to_days((range % 366)::int) as day,
       round(random() * 50, 2) as fare
from range(100000);

select date_trunc('month', day) as month, count(*) as trips, round(sum(fare), 2) as revenue
from trips
group by all
order by month;
`;

function build() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

async function choosePort() {
  if (opts.port) return Number(opts.port);
  const preferred = 8765;
  const free = await fetch(`http://127.0.0.1:${preferred}/`, { signal: AbortSignal.timeout(500) }).then(
    () => false,
    () => true,
  );
  return free ? preferred : freePort();
}

async function check(url) {
  const { launchBrowser } = await import(path.join(ROOT, 'out/test/ui/browser.js'));
  const browser = await launchBrowser();
  try {
    const page = browser.page;
    page.setDefaultTimeout(60_000);
    await page.goto(url);
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'sample.sql' }).click();
    await page.locator('.editor-instance .view-lines', { hasText: 'sample worksheet' }).waitFor();
    await page.locator('.activitybar [aria-label^="MicroDataWarehouse"]').first().click();
    await page.locator('.part.sidebar .pane-header', { hasText: 'Databases' }).waitFor();
    await page.waitForTimeout(500);
    const file = path.join(ROOT, 'test-results/screens/start.png');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file });
    console.log(`check: the workbench loaded the extension; screenshot ${path.relative(ROOT, file)}`);
  } finally {
    await browser.close();
  }
}

let server;
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (server) {
    console.log('\nStopping code-server…');
    await server.stop();
  }
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void stop(0));

try {
  build();
  install();
  const workspace = path.join(CACHE, 'demo-workspace');
  fs.mkdirSync(workspace, { recursive: true });
  const sample = path.join(workspace, 'sample.sql');
  if (!fs.existsSync(sample)) fs.writeFileSync(sample, SAMPLE_SQL);

  server = await startCodeServer({ stateDir: path.join(CACHE, 'dev'), workspace, port: await choosePort() });
  server.exited.then((how) => {
    if (stopping) return;
    console.error(`code-server stopped unexpectedly (${how}); log:\n${server.logTail()}`);
    void stop(1);
  });
  const url = workbenchUrl(server.url, workspace, { extensionDevelopmentPath: ROOT });
  if (opts.check) {
    await check(url);
    await stop(0);
  } else {
    console.log(`
MicroDataWarehouse is running in VS Code (code-server ${server.url}, pid ${server.pid}).
Open this URL in your browser (it loads the extension in development mode):

  ${url}

Workspace: ${path.relative(ROOT, workspace)}   Log: ${path.relative(ROOT, server.logFile)}
After a rebuild (npm run build), run "Developer: Reload Window". Press Ctrl+C to stop.`);
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  await stop(1);
}
