// npm run test:integration: installs (idempotent), starts code-server on a free 127.0.0.1 port with
// state in .vscode-test/test-run, runs the mocha suites of out/test/integration inside its extension
// host, then the Playwright UI test (out/test/ui), and always stops code-server.
// Options: --no-ui, --no-integration, --grep <mocha grep>, --ui <name> (only the UI test files whose name
// contains <name>, e.g. `--ui journey`; repeatable; default: every file). Env: MDW_TEST_TIMEOUT_MS (default
// 300000), MDW_UI_TESTS (comma-separated names, as --ui).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CACHE, ROOT, install, startCodeServer, workbenchUrl } from './server.mjs';

const { values: opts } = parseArgs({
  options: {
    'no-ui': { type: 'boolean' },
    'no-integration': { type: 'boolean' },
    grep: { type: 'string' },
    ui: { type: 'string', multiple: true },
  },
});
const timeoutMs = Number(process.env.MDW_TEST_TIMEOUT_MS ?? 300_000);
const stateDir = path.join(CACHE, 'test-run');
const screens = path.join(ROOT, 'test-results/screens');
const t0 = Date.now();
const lap = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

let server;
const stopAndExit = async (code) => {
  await server?.stop();
  process.exit(code);
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void stopAndExit(130));

async function integration() {
  const { launchBrowser } = await import(path.join(ROOT, 'out/test/ui/browser.js'));
  const report = path.join(stateDir, 'integration-report.txt');
  fs.rmSync(report, { force: true });
  const workspace = path.join(stateDir, 'integration-workspace');
  fs.mkdirSync(workspace, { recursive: true });
  const env = { MDW_TEST_REPORT: report, MDW_HOST: 'code-server' };
  if (opts.grep) env.MDW_TEST_GREP = opts.grep;
  const url = workbenchUrl(server.url, workspace, {
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'out/test/integration/index.js'),
    extensionEnvironment: env,
  });
  const browser = await launchBrowser();
  let printed = 0;
  const flush = () => {
    if (!fs.existsSync(report)) return;
    const text = fs.readFileSync(report, 'utf8');
    process.stdout.write(text.slice(printed));
    printed = text.length;
  };
  try {
    let exit;
    const exited = new Promise((resolve) => (exit = resolve));
    // The workbench calls this when the extension tests end (smoke-test driver).
    await browser.page.exposeFunction('codeAutomationExit', (code) => exit(code));
    await browser.page.goto(url);
    const tail = setInterval(flush, 500);
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    clearInterval(tail);
    flush();
    if (printed === 0)
      console.log(`(no report: the tests never started; code-server log:\n${server.logTail()})`);
    if (code !== 0) {
      fs.mkdirSync(screens, { recursive: true });
      await browser.page
        .screenshot({ path: path.join(screens, 'integration-failure.png') })
        .catch(() => undefined);
    }
    console.log(
      `integration tests: ${code === 0 ? 'passed' : code === 'timeout' ? `timed out after ${timeoutMs} ms` : `failed (exit ${code})`} [${lap()}]`,
    );
    return code === 0;
  } finally {
    await browser.close();
  }
}

function ui() {
  fs.mkdirSync(screens, { recursive: true });
  const workspace = path.join(stateDir, 'ui-workspace');
  fs.mkdirSync(workspace, { recursive: true });
  const env = {
    ...process.env,
    MDW_WORKBENCH_URL: workbenchUrl(server.url, workspace, {
      extensionDevelopmentPath: ROOT,
      skipWelcome: 'true',
    }),
    MDW_SCREENS_DIR: screens,
    MDW_UI_WORKSPACE: workspace,
  };
  const dir = path.join(ROOT, 'out/test/ui');
  const only = opts.ui ?? process.env.MDW_UI_TESTS?.split(',').filter(Boolean) ?? [];
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js') && (only.length === 0 || only.some((name) => f.includes(name))));
  if (files.length === 0) {
    console.log(`UI tests: no file in ${path.relative(ROOT, dir)} matches ${only.join(', ')}`);
    return Promise.resolve(false);
  }
  const args = [
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=1',
    ...files.map((f) => path.join(dir, f)),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env });
    child.on('exit', (code) => {
      console.log(
        `UI tests: ${code === 0 ? 'passed' : `failed (exit ${code})`}; screenshots in ${path.relative(ROOT, screens)} [${lap()}]`,
      );
      resolve(code === 0);
    });
  });
}

try {
  install();
  fs.rmSync(stateDir, { recursive: true, force: true });
  server = await startCodeServer({ stateDir, workspace: path.join(stateDir, 'integration-workspace') });
  console.log(
    `code-server ${server.url} (pid ${server.pid}, state ${path.relative(ROOT, stateDir)}) [${lap()}]`,
  );
  let ok = true;
  if (!opts['no-integration']) ok = (await integration()) && ok;
  if (!opts['no-ui']) ok = (await ui()) && ok;
  await stopAndExit(ok ? 0 : 1);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  await stopAndExit(2);
}
