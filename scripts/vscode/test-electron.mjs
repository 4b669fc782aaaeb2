// npm run test:electron: the same mocha suites (out/test/integration) in desktop VS Code through
// @vscode/test-electron. It downloads VS Code into .vscode-test/ on first use, so it needs the internet;
// offline it fails within MDW_DOWNLOAD_TIMEOUT_MS (default 60 s) with a clear message.
// On a Linux machine without a display, run it under xvfb-run.
import * as path from 'node:path';
import { downloadAndUnzipVSCode, runTests } from '@vscode/test-electron';
import { CACHE, ROOT } from './server.mjs';

const timeout = Number(process.env.MDW_DOWNLOAD_TIMEOUT_MS ?? 60_000);
const version = process.env.MDW_VSCODE_VERSION ?? 'stable';

let vscodeExecutablePath;
try {
  // The idle timeout alone does not cover a connection that never answers: race an overall deadline too.
  vscodeExecutablePath = await Promise.race([
    downloadAndUnzipVSCode({ version, cachePath: CACHE, timeout }),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout).unref(),
    ),
  ]);
} catch (e) {
  console.error(`test:electron: could not download VS Code ${version} from update.code.visualstudio.com: ${e instanceof Error ? e.message : e}
This runner needs the internet. Offline, use \`npm run test:integration\` (the same suites in code-server).`);
  process.exit(3);
}

try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'out/test/integration/index.js'),
    extensionTestsEnv: { MDW_HOST: 'electron' },
    launchArgs: [
      '--disable-extensions',
      '--disable-workspace-trust',
      '--user-data-dir',
      path.join(CACHE, 'electron-user-data'),
    ],
  });
} catch (e) {
  console.error(`test:electron: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
