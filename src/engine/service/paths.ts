import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineError } from '../errors.js';

/** Where the service of one warehouse listens and keeps its token, start lock and log. */
export interface ServicePaths {
  /** The folder only the user can open (0700) that holds the others (except a Windows pipe). */
  dir: string;
  /** The Unix domain socket (a named pipe on Windows). */
  socket: string;
  /** The random token each connection proves (0600). */
  token: string;
  /** Held (O_EXCL) by the one client that starts the service. */
  lock: string;
  /** The service's own log: lifecycle and refusals, never SQL, codes, tokens or keys. */
  log: string;
}

/**
 * The service paths of the warehouse in `warehouseDir`: `$XDG_RUNTIME_DIR/microdatawarehouse` when set, else
 * `<tmpdir>/mdw-<uid>`, then a hash of the warehouse's absolute path (a Unix socket path is limited to ~107 bytes).
 */
export function servicePaths(warehouseDir: string, env: NodeJS.ProcessEnv = process.env): ServicePaths {
  const root = path.resolve(warehouseDir);
  const hash = crypto.createHash('sha256').update(root).digest('hex').slice(0, 20);
  const dir =
    process.platform === 'win32'
      ? path.join(
          env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'),
          'MicroDataWarehouse',
          'run',
        )
      : env.XDG_RUNTIME_DIR
        ? path.join(env.XDG_RUNTIME_DIR, 'microdatawarehouse')
        : path.join(os.tmpdir(), `mdw-${os.userInfo().uid}`);
  const user = crypto.createHash('sha256').update(os.userInfo().username).digest('hex').slice(0, 8);
  return {
    dir,
    socket:
      process.platform === 'win32' ? `\\\\.\\pipe\\mdw-${user}-${hash}` : path.join(dir, `${hash}.sock`),
    token: path.join(dir, `${hash}.token`),
    lock: path.join(dir, `${hash}.lock`),
    log: path.join(dir, `${hash}.log`),
  };
}

/** Creates the service folder (0700) if missing, then refuses it unless it is the user's own and closed to others. */
export function ensureServiceDir(paths: ServicePaths): void {
  fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  checkPrivate(paths.dir, 'folder');
}

/** SERVICE_REFUSED unless `file` belongs to this user and neither group nor others may use it (POSIX only). */
export function checkPrivate(file: string, what: 'folder' | 'token file'): void {
  if (process.platform === 'win32') return;
  const st = fs.lstatSync(file);
  const uid = process.getuid?.();
  const kindOk = what === 'folder' ? st.isDirectory() : st.isFile();
  if (!kindOk || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new EngineError(
      'SERVICE_REFUSED',
      `The warehouse service's ${what} ${file} is not private (it must be yours, with no access for group or others: chmod ${what === 'folder' ? '700' : '600'}); it is not used.`,
    );
  }
}

/** Writes a new random token atomically with mode 0600 and returns it. */
export function writeToken(paths: ServicePaths): string {
  const token = crypto.randomBytes(32).toString('base64url');
  const tmp = `${paths.token}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, token, { mode: 0o600 });
  fs.renameSync(tmp, paths.token);
  return token;
}

/** Reads the token after checking the file is private. */
export function readToken(paths: ServicePaths): string {
  checkPrivate(paths.token, 'token file');
  return fs.readFileSync(paths.token, 'utf8').trim();
}

/** Constant-time comparison of two secrets given as strings. */
export function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y) && a.length === b.length;
}

/** True when something accepts connections on `socket`. */
export function answering(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
