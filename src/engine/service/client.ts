// A client of the warehouse service: finds the running service of a warehouse or starts it (one start lock, so
// two clients starting at once end with one service), proves the token, and speaks the typed protocol.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  CancellationTokenSource,
  createMessageConnection,
  ResponseError,
  SocketMessageReader,
  SocketMessageWriter,
  type CancellationToken,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { EngineError, type EngineErrorCode } from '../errors.js';
import { ensureServiceDir, readToken, servicePaths, type ServicePaths } from './paths.js';
import {
  SERVICE_PROTOCOL_VERSION,
  type RemoteError,
  type ServiceNotifications,
  type ServiceRequests,
} from './protocol.js';

/** Options of {@link ServiceClient.connect}. */
export interface ServiceClientOptions {
  warehouseDir: string;
  /** The warehouse's master key (the service opens the store with it; later clients must give the same). */
  masterKey: () => Promise<Uint8Array>;
  env?: NodeJS.ProcessEnv;
  /** The runtime that runs the service (default `process.execPath`: Node for `mdw`, the extension host's own). */
  execPath?: string;
  /** The service entry script (default `service.js` beside the bundle, or `main.js` beside this module). */
  entry?: string;
  /** How long to wait for the start lock and the service's socket (default 60 s). */
  startTimeoutMs?: number;
}

/** The message a client shows when the service went away. */
export const SERVICE_DIED =
  'The warehouse service stopped (it crashed, ran out of memory or was killed). What was committed is kept; the next action starts it again.';

/** A connection to the warehouse service, token proven. */
export class ServiceClient {
  private closed = false;
  private readonly closeListeners = new Set<(expected: boolean) => void>();

  private constructor(
    private readonly connection: MessageConnection,
    private readonly socket: net.Socket,
    /** The service's process id. */
    readonly pid: number,
  ) {
    const gone = (): void => {
      if (this.closed) return;
      this.closed = true;
      // Rejects the requests still waiting for an answer (vscode-jsonrpc keeps them pending until disposed).
      connection.dispose();
      for (const l of [...this.closeListeners]) l(false);
    };
    connection.onClose(gone);
    socket.on('close', gone);
    socket.on('error', () => socket.destroy());
  }

  /** Connects to the warehouse's service, starting it when none runs, and proves the token. */
  static async connect(options: ServiceClientOptions): Promise<ServiceClient> {
    const env = options.env ?? process.env;
    const paths = servicePaths(options.warehouseDir, env);
    const socket = await connectOrStart(paths, options);
    const connection = createMessageConnection(
      new SocketMessageReader(socket),
      new SocketMessageWriter(socket),
    );
    connection.listen();
    try {
      const token = readToken(paths);
      const key = Buffer.from(await options.masterKey()).toString('base64');
      const hello = (await connection
        .sendRequest('hello', { token, masterKey: key, version: SERVICE_PROTOCOL_VERSION })
        .catch((e: unknown) => {
          throw engineError(e);
        })) as ServiceRequests['hello']['result'];
      return new ServiceClient(connection, socket, hello.pid);
    } catch (e) {
      connection.dispose();
      socket.destroy();
      throw e;
    }
  }

  /** True once the connection is gone (closed by {@link close}, or the service died). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends a request; an engine error comes back as EngineError, a lost service as SERVICE_UNAVAILABLE. */
  async request<M extends keyof ServiceRequests>(
    method: M,
    params: ServiceRequests[M]['params'],
    token?: CancellationToken,
  ): Promise<ServiceRequests[M]['result']> {
    if (this.closed) throw new EngineError('SERVICE_UNAVAILABLE', SERVICE_DIED);
    const source = token ? undefined : new CancellationTokenSource();
    try {
      return (await this.connection.sendRequest(
        method,
        params,
        token ?? source!.token,
      )) as ServiceRequests[M]['result'];
    } catch (e) {
      if (this.closed || !(e instanceof ResponseError))
        throw new EngineError('SERVICE_UNAVAILABLE', SERVICE_DIED, undefined, { cause: e });
      throw engineError(e);
    } finally {
      source?.dispose();
    }
  }

  /** Calls `listener` for each notification `method` from the service. */
  onNotification<N extends keyof ServiceNotifications>(
    method: N,
    listener: (params: ServiceNotifications[N]) => void,
  ): { dispose(): void } {
    return this.connection.onNotification(method, (params: ServiceNotifications[N]) => listener(params));
  }

  /** Calls `listener` when the connection ends: `expected` is false when the service went away. */
  onClose(listener: (expected: boolean) => void): { dispose(): void } {
    this.closeListeners.add(listener);
    return { dispose: () => this.closeListeners.delete(listener) };
  }

  /** Closes the connection (the service stops once idle with no client). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of [...this.closeListeners]) l(true);
    this.connection.dispose();
    this.socket.end();
    this.socket.destroy();
  }
}

/** An EngineError from a JSON-RPC error (code in `data.code`). */
function engineError(e: unknown): EngineError {
  if (e instanceof ResponseError) {
    const data = e.data as RemoteError | undefined;
    if (data && typeof data.code === 'string') {
      return new EngineError(data.code as EngineErrorCode, data.message, data.position);
    }
    return new EngineError('SERVICE_UNAVAILABLE', `The warehouse service failed: ${e.message}`);
  }
  if (e instanceof EngineError) return e;
  return new EngineError('SERVICE_UNAVAILABLE', SERVICE_DIED, undefined, { cause: e });
}

/** Rebuilds an EngineError sent as data (a statement's outcome). */
export function fromRemote(e: RemoteError): EngineError {
  return new EngineError(e.code as EngineErrorCode, e.message, e.position);
}

function tryConnect(socket: string): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', () => {
      s.destroy();
      resolve(undefined);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when process `pid` is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the start lock (O_EXCL file with our pid); a lock whose holder died is removed. */
function takeLock(lock: string): boolean {
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      const holder = Number(fs.readFileSync(lock, 'utf8'));
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) fs.rmSync(lock, { force: true });
    } catch {
      // gone meanwhile
    }
    return false;
  }
}

/** The service entry: `service.js` beside the bundle (dist), else the compiled `main.js` beside this module. */
export function serviceEntry(): string {
  for (const name of ['service.js', 'main.js']) {
    const file = path.join(__dirname, name);
    if (fs.existsSync(file)) return file;
  }
  throw new EngineError(
    'SERVICE_UNAVAILABLE',
    `The warehouse service program is missing beside ${__dirname}.`,
  );
}

async function connectOrStart(paths: ServicePaths, options: ServiceClientOptions): Promise<net.Socket> {
  ensureServiceDir(paths);
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    const existing = await tryConnect(paths.socket);
    if (existing) return existing;
    if (takeLock(paths.lock)) {
      try {
        const raced = await tryConnect(paths.socket);
        if (raced) return raced;
        return await start(paths, options, deadline);
      } finally {
        fs.rmSync(paths.lock, { force: true });
      }
    }
    if (Date.now() > deadline) {
      throw new EngineError(
        'SERVICE_UNAVAILABLE',
        `The warehouse service did not start in time (its log: ${paths.log}).`,
      );
    }
    await sleep(50);
  }
}

/** Starts the service detached (it outlives this client) and waits until it accepts connections. */
async function start(
  paths: ServicePaths,
  options: ServiceClientOptions,
  deadline: number,
): Promise<net.Socket> {
  const log = fs.openSync(paths.log, 'a', 0o600);
  let exited: number | null | undefined;
  try {
    const child = spawn(
      options.execPath ?? process.execPath,
      [options.entry ?? serviceEntry(), path.resolve(options.warehouseDir)],
      {
        detached: true,
        stdio: ['ignore', log, log],
        // The extension host's runtime is Electron: run it as Node, as language clients start their servers.
        env: { ...(options.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
        windowsHide: true,
      },
    );
    child.once('exit', (code) => (exited = code));
    child.once('error', () => (exited = -1));
    child.unref();
  } finally {
    fs.closeSync(log);
  }
  for (;;) {
    const s = await tryConnect(paths.socket);
    if (s) return s;
    if (exited !== undefined) {
      throw new EngineError(
        'SERVICE_UNAVAILABLE',
        `The warehouse service could not start (exit status ${exited}); see its log ${paths.log}.`,
      );
    }
    if (Date.now() > deadline) {
      throw new EngineError(
        'SERVICE_UNAVAILABLE',
        `The warehouse service did not start in time (its log: ${paths.log}).`,
      );
    }
    await sleep(50);
  }
}
