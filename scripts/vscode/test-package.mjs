// npm run test:package: builds the linux-x64 .vsix, installs it with code-server's own CLI into an
// extensions folder of a fresh state folder, starts code-server without development mode and runs the
// UI tests (out/test/ui) against the installed extension. The state folder lives outside the repository,
// so nothing in the extension can resolve a module from the repository's node_modules by accident.
// Env: MDW_TEST_TIMEOUT_MS (default 300000) bounds the UI tests; MDW_KEEP_STATE=1 keeps the state folder.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packageTargets } from '../package.mjs';
import { CODE_SERVER, NODE24, ROOT, install, startCodeServer, workbenchUrl } from './server.mjs';

const timeoutMs = Number(process.env.MDW_TEST_TIMEOUT_MS ?? 300_000);
const screens = path.join(ROOT, 'test-results/screens/package');
const t0 = Date.now();
const lap = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

if (`${process.platform}-${process.arch}` !== 'linux-x64') {
  console.log(`test:package runs on linux-x64 only (this is ${process.platform}-${process.arch}); skipped`);
  process.exit(0);
}

let server;
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdw-package-test-'));
const finish = async (code) => {
  await server?.stop();
  if (code !== 0) {
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    for (const log of ['code-server.log', 'install.log']) {
      const f = path.join(stateDir, log);
      if (fs.existsSync(f)) fs.copyFileSync(f, path.join(ROOT, 'test-results', `package-${log}`));
    }
  }
  if (!process.env.MDW_KEEP_STATE) fs.rmSync(stateDir, { recursive: true, force: true });
  else console.log(`state kept in ${stateDir}`);
  process.exit(code);
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void finish(130));

/** Installs the .vsix the way a user does (`code-server --install-extension`); returns its folder. */
function installVsix(vsix) {
  const extensions = path.join(stateDir, 'extensions');
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(stateDir, 'xdg-config') };
  for (const k of Object.keys(env)) if (/^npm_/.test(k)) delete env[k];
  const r = spawnSync(
    NODE24,
    [
      CODE_SERVER,
      ...['--install-extension', vsix],
      ...['--extensions-dir', extensions, '--user-data-dir', path.join(stateDir, 'user-data')],
    ],
    { encoding: 'utf8', env, timeout: 120_000 },
  );
  fs.writeFileSync(path.join(stateDir, 'install.log'), `${r.stdout}${r.stderr}`);
  if (r.status !== 0 || !/successfully installed/.test(r.stdout))
    throw new Error(
      `code-server --install-extension failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`,
    );
  const [entry] = JSON.parse(fs.readFileSync(path.join(extensions, 'extensions.json'), 'utf8')).filter(
    (e) => e.identifier.id === 'microdatawarehouse.microdatawarehouse',
  );
  if (!entry) throw new Error('the extension is missing from extensions.json after the install');
  return entry.location.path;
}

function uiTests(files, env) {
  const dir = path.join(ROOT, 'out/test/ui');
  const args = [
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=1',
    ...files.map((f) => path.join(dir, f)),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

try {
  const [{ file }] = packageTargets({ targets: ['linux-x64'] });
  console.log(`packaged [${lap()}]`);
  install();
  // out/test/ui is compiled by tsc -b, which packaging ran.
  const installed = installVsix(file);
  console.log(`installed into ${installed} [${lap()}]`);
  const workspace = path.join(stateDir, 'workspace');
  server = await startCodeServer({ stateDir, workspace, smokeTestDriver: false });
  console.log(`code-server ${server.url} (pid ${server.pid}), no development mode [${lap()}]`);
  fs.mkdirSync(screens, { recursive: true });
  const env = {
    MDW_WORKBENCH_URL: workbenchUrl(server.url, workspace, { skipWelcome: 'true' }),
    MDW_SCREENS_DIR: screens,
    MDW_INSTALLED_EXTENSION: installed,
    MDW_CODE_SERVER_PGID: String(server.pid),
  };
  // The workbench tests first, in a run of their own; then the installed-package checks in a fresh window.
  const others = fs
    .readdirSync(path.join(ROOT, 'out/test/ui'))
    .filter((f) => f.endsWith('.test.js') && f !== 'installed.test.js');
  const workbenchOk = await uiTests(others, env);
  const ok = (await uiTests(['installed.test.js'], env)) && workbenchOk;
  console.log(
    `UI tests against the installed .vsix: ${ok ? 'passed' : 'failed'}; screenshots in ${path.relative(ROOT, screens)} [${lap()}]`,
  );
  await finish(ok ? 0 : 1);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  await finish(2);
}
