// The warehouse service: one process per warehouse folder owns its DuckDB instances (one per account space) and
// its metadata store; the extension host of every window and `mdw` are its clients over a local socket.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  createMessageConnection,
  ErrorCodes,
  ResponseError,
  SocketMessageReader,
  SocketMessageWriter,
  type CancellationToken,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { AuthService } from '../auth/auth.js';
import { DevelopmentMailer } from '../auth/mailer.js';
import type { KeyProvider } from '../crypto/keys.js';
import { databaseKeyOptions } from '../encryption.js';
import { EngineError, errorLogText } from '../errors.js';
import { createDemo } from '../demo.js';
import { LanguageService } from '../language/languageService.js';
import { Session, type KeptResult, type StatementOutcome } from '../query/index.js';
import type { Account } from '../store/account.js';
import { MetadataStore } from '../store/metadataStore.js';
import { Warehouse } from '../warehouse.js';
import {
  answering,
  ensureServiceDir,
  sameSecret,
  servicePaths,
  writeToken,
  type ServicePaths,
} from './paths.js';
import {
  SERVICE_PROTOCOL_VERSION,
  type RemoteError,
  type RemoteOutcome,
  type RemoteResult,
  type RemoteStep,
  type ServiceNotifications,
  type ServiceRequests,
  type SpaceOptions,
} from './protocol.js';

/** Options of {@link WarehouseServer.start}. */
export interface ServerOptions {
  warehouseDir: string;
  /** Stop after this long with no client (default 5 minutes). */
  idleMs?: number;
  env?: NodeJS.ProcessEnv;
  /** One line per event; never SQL, codes, tokens or keys. */
  log?: (line: string) => void;
  /** Called once the service has stopped (the process entry exits). */
  onStopped?: () => void;
}

/** Default idle time before the service stops when no client is connected. */
export const DEFAULT_IDLE_MS = 5 * 60_000;
/** A connection that has not proven the token by then is closed. */
const HELLO_DEADLINE_MS = 10_000;

/** One account space open in the service, shared by every client of that account. */
interface SpaceEntry {
  warehouse: Warehouse;
  /** Completion, hover and diagnostics over the space (made on first use, shared by its clients). */
  language?: LanguageService;
  folders: string[];
  cwd: string | undefined;
  clients: Set<ClientState>;
}

/** What the service knows about one connection. */
interface ClientState {
  id: number;
  connection: MessageConnection;
  socket: net.Socket;
  proven: boolean;
  account?: Account;
  /** The sign-in session token the account was resumed with (checked again at each entry point). */
  sessionToken?: string;
  space?: string;
  spaceOptions?: SpaceOptions;
  /** This connection's sessions: no other connection can name them. */
  sessions: Map<string, Session>;
  /** Runs being pulled, by id (each belongs to one of this connection's sessions). */
  runs: Map<string, { session: string; iter: AsyncGenerator<StatementOutcome> }>;
}

type Handler<M extends keyof ServiceRequests> = (
  client: ClientState,
  params: ServiceRequests[M]['params'],
  token: CancellationToken,
) => Promise<ServiceRequests[M]['result']>;

type Handlers = { [M in keyof ServiceRequests]: Handler<M> };

/** The service process's server: listens on the warehouse's socket and answers the typed protocol. */
export class WarehouseServer {
  private readonly clients = new Set<ClientState>();
  private readonly spaces = new Map<string, SpaceEntry>();
  private readonly opening = new Map<string, Promise<SpaceEntry>>();
  private store: MetadataStore | undefined;
  private storeOpening: Promise<MetadataStore> | undefined;
  private masterKey: string | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private stopping: Promise<void> | undefined;
  private readonly log: (line: string) => void;

  private constructor(
    readonly paths: ServicePaths,
    private readonly options: ServerOptions,
    private readonly server: net.Server,
    private readonly token: string,
  ) {
    this.log = options.log ?? (() => undefined);
  }

  /**
   * Writes a fresh token (0600) in the private service folder, then listens on the warehouse's socket. A service
   * already answering there wins: SERVICE_UNAVAILABLE is thrown and this process should exit.
   */
  static async start(options: ServerOptions): Promise<WarehouseServer> {
    const paths = servicePaths(options.warehouseDir, options.env);
    ensureServiceDir(paths);
    if (await answering(paths.socket)) {
      throw new EngineError('SERVICE_UNAVAILABLE', 'A warehouse service already runs for this warehouse.');
    }
    if (process.platform !== 'win32') fs.rmSync(paths.socket, { force: true });
    const token = writeToken(paths);
    const server = net.createServer();
    const self = new WarehouseServer(paths, options, server, token);
    server.on('connection', (socket) => self.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(paths.socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (process.platform !== 'win32') fs.chmodSync(paths.socket, 0o600);
    self.log(`listening (pid ${process.pid})`);
    self.armIdle();
    return self;
  }

  /** Closes every session, space and the store, removes the socket and token, and stops listening. Idempotent. */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log(`stopping: ${reason}`);
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.server.close();
      for (const c of [...this.clients]) {
        await this.closeSessions(c);
        c.connection.dispose();
        c.socket.destroy();
      }
      for (const entry of this.spaces.values()) {
        entry.language?.dispose();
        await entry.warehouse.close().catch(() => undefined);
      }
      this.spaces.clear();
      try {
        await this.store?.close();
      } catch {
        // stopping anyway
      }
      try {
        if (fs.readFileSync(this.paths.token, 'utf8').trim() === this.token) fs.rmSync(this.paths.token);
      } catch {
        // already gone
      }
      if (process.platform !== 'win32') fs.rmSync(this.paths.socket, { force: true });
      this.log('stopped');
      // A clean stop leaves nothing behind; a crash leaves the log for whoever looks into it.
      fs.rmSync(this.paths.log, { force: true });
      this.options.onStopped?.();
    })();
    return this.stopping;
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.clients.size > 0 || this.stopping) return;
    this.idleTimer = setTimeout(
      () => void this.stop('idle with no client'),
      this.options.idleMs ?? DEFAULT_IDLE_MS,
    );
  }

  private accept(socket: net.Socket): void {
    const connection = createMessageConnection(
      new SocketMessageReader(socket),
      new SocketMessageWriter(socket),
    );
    const client: ClientState = {
      id: this.nextId++,
      connection,
      socket,
      proven: false,
      sessions: new Map(),
      runs: new Map(),
    };
    this.clients.add(client);
    this.armIdle();
    const deadline = setTimeout(() => {
      if (!client.proven) socket.destroy();
    }, HELLO_DEADLINE_MS);
    const handlers = this.handlers();
    connection.onRequest(async (method, params, token) => {
      if (!Object.prototype.hasOwnProperty.call(handlers, method)) {
        return new ResponseError(ErrorCodes.MethodNotFound, `Unknown method ${method}.`);
      }
      if (params === null || typeof params !== 'object' || Array.isArray(params)) {
        return new ResponseError(ErrorCodes.InvalidParams, 'Params must be an object.');
      }
      if (method !== 'hello' && !client.proven) {
        return toResponse(new EngineError('SERVICE_REFUSED', 'Prove the service token first.'));
      }
      if (method !== 'hello' && method !== 'resume' && !client.account) {
        return toResponse(new EngineError('NOT_SIGNED_IN', 'Sign in before using the warehouse.'));
      }
      try {
        // Signed out (here or in any other process, `signout --everywhere`): the connection's account ends.
        if (REVALIDATE.has(method)) await this.revalidate(client);
        const handler = handlers[method as keyof Handlers] as Handler<keyof ServiceRequests>;
        return await handler(client, params as never, token);
      } catch (e) {
        if (!(e instanceof EngineError)) this.log(`request failed: ${errorLogText(e)}`);
        return toResponse(e);
      }
    });
    const gone = (): void => {
      clearTimeout(deadline);
      if (!this.clients.delete(client)) return;
      void this.closeSessions(client)
        .then(async () => {
          for (const entry of this.spaces.values()) entry.clients.delete(client);
          if (client.space !== undefined) await this.releaseIfUnused(client.space);
        })
        .finally(() => this.armIdle());
    };
    connection.onClose(gone);
    socket.on('close', gone);
    socket.on('error', () => socket.destroy());
    connection.listen();
  }

  /**
   * Closes space `name` when no client but `except` uses it: a space is open only while a client of it is
   * connected, so that after `mdw` exits another process (an in-process `mdw --no-service`) may open it.
   */
  private async releaseIfUnused(name: string, except?: ClientState): Promise<boolean> {
    await this.opening.get(name)?.catch(() => undefined);
    const entry = this.spaces.get(name);
    if (!entry) return true;
    if ([...this.clients].some((c) => c !== except && c.space === name)) return false;
    this.spaces.delete(name);
    entry.language?.dispose();
    await entry.warehouse.close().catch(() => undefined);
    this.log(`space closed (${this.spaces.size} open)`);
    return true;
  }

  private async closeSessions(client: ClientState): Promise<void> {
    for (const r of client.runs.values()) void r.iter.return(undefined).catch(() => undefined);
    client.runs.clear();
    const sessions = [...client.sessions.values()];
    client.sessions.clear();
    for (const s of sessions) await s.close().catch(() => undefined);
  }

  private keyProvider(): KeyProvider {
    return {
      getMasterKey: async () => Buffer.from(this.masterKey ?? '', 'base64'),
      describe: () => 'the master key of the clients of the warehouse service',
    };
  }

  /** The space of the client's account, opened with its options (reopened with more folders when unused). */
  private async space(client: ClientState): Promise<SpaceEntry> {
    const account = client.account!;
    const name = client.space!;
    const wanted = client.spaceOptions!;
    let entry = this.spaces.get(name);
    if (
      entry &&
      (!covers(entry.folders, wanted.allowedFolders) ||
        (wanted.cwd !== undefined && wanted.cwd !== entry.cwd))
    ) {
      const busy = [...this.clients].some((c) => c.space === name && c.sessions.size > 0);
      if (!busy) {
        this.spaces.delete(name);
        entry.language?.dispose();
        await entry.warehouse.close();
        wanted.allowedFolders = [...new Set([...entry.folders, ...wanted.allowedFolders])];
        entry = undefined;
      }
    }
    if (entry) {
      entry.clients.add(client);
      return entry;
    }
    let pending = this.opening.get(name);
    if (!pending) {
      pending = (async () => {
        // DuckDB resolves relative file names against the process's folder: the opener's, as in-process.
        if (wanted.cwd !== undefined && fs.existsSync(wanted.cwd)) process.chdir(wanted.cwd);
        const warehouse = await Warehouse.open(this.options.warehouseDir, {
          space: name,
          encryption: wanted.encryption,
          allowedFolders: wanted.allowedFolders,
          protectedPaths: wanted.protectedPaths,
          ...(wanted.allowHint ? { allowHint: wanted.allowHint } : {}),
          ...(wanted.memoryLimit ? { memoryLimit: wanted.memoryLimit } : {}),
          ...(wanted.threads ? { threads: wanted.threads } : {}),
          ...(wanted.encryptionInstallHint ? { encryptionInstallHint: wanted.encryptionInstallHint } : {}),
          ...databaseKeyOptions(account),
        });
        const opened: SpaceEntry = {
          warehouse,
          folders: wanted.allowedFolders,
          cwd: wanted.cwd,
          clients: new Set(),
        };
        warehouse.onCatalogChanged((change) => {
          for (const c of this.clients) {
            if (c.space !== name || !c.proven) continue;
            const params: ServiceNotifications['catalogChanged'] = { databases: change.databases };
            void c.connection.sendNotification('catalogChanged', params).catch(() => undefined);
          }
        });
        this.spaces.set(name, opened);
        this.log(`space opened (${this.spaces.size} open)`);
        return opened;
      })().finally(() => this.opening.delete(name));
      this.opening.set(name, pending);
    }
    entry = await pending;
    entry.clients.add(client);
    return entry;
  }

  /** Resumes the connection's account again; NOT_SIGNED_IN (and its sessions closed) once it was signed out. */
  private async revalidate(client: ClientState): Promise<void> {
    try {
      client.account = await new AuthService(this.store!, new DevelopmentMailer(() => undefined)).resume(
        client.sessionToken ?? '',
      );
    } catch (e) {
      if (!(e instanceof EngineError) || (e.code !== 'NOT_SIGNED_IN' && e.code !== 'NOT_FOUND')) throw e;
      await this.closeSessions(client);
      client.account = undefined;
      throw new EngineError('NOT_SIGNED_IN', 'Your session has ended (signed out). Sign in again.');
    }
  }

  /** The next outcome of a run (cancelling `token` cancels the statement), or done. */
  private async next(
    client: ClientState,
    sessionId: string,
    runId: string,
    token: CancellationToken,
  ): Promise<RemoteStep> {
    const run = client.runs.get(runId);
    if (!run || run.session !== sessionId) throw new EngineError('NOT_FOUND', 'No such run.');
    const session = this.session(client, sessionId);
    const cancel = token.onCancellationRequested(() => session.cancel());
    try {
      const next = await run.iter.next();
      if (next.done) {
        client.runs.delete(runId);
        return { done: true, transaction: session.transaction };
      }
      return { outcome: remoteOutcome(next.value), done: false, transaction: session.transaction };
    } catch (e) {
      client.runs.delete(runId);
      throw e;
    } finally {
      cancel.dispose();
    }
  }

  /** The language service of the client's space. */
  private async language(client: ClientState): Promise<LanguageService> {
    const entry = await this.space(client);
    entry.language ??= new LanguageService(entry.warehouse);
    return entry.language;
  }

  private session(client: ClientState, id: string): Session {
    const s = client.sessions.get(id);
    if (!s) throw new EngineError('SESSION_CLOSED', 'This session is closed (or belongs to another client).');
    return s;
  }

  private handlers(): Handlers {
    return {
      hello: async (client, p) => {
        if (typeof p.token !== 'string' || !sameSecret(p.token, this.token)) {
          this.log(`client ${client.id} refused: wrong token`);
          setTimeout(() => client.socket.end(), 100);
          throw new EngineError(
            'SERVICE_REFUSED',
            'The warehouse service refused the connection: wrong token.',
          );
        }
        if (p.version !== SERVICE_PROTOCOL_VERSION) {
          throw new EngineError(
            'SERVICE_REFUSED',
            `The warehouse service speaks protocol ${SERVICE_PROTOCOL_VERSION}, this client ${p.version}; it restarts once every client of the older version has closed.`,
          );
        }
        if (typeof p.masterKey !== 'string' || p.masterKey === '') {
          throw new EngineError('KEY_MISSING', 'The warehouse service needs the master key.');
        }
        if (this.masterKey === undefined) {
          this.masterKey = p.masterKey;
          this.storeOpening = MetadataStore.open(this.options.warehouseDir, this.keyProvider());
          try {
            this.store = await this.storeOpening;
          } catch (e) {
            this.masterKey = undefined;
            this.storeOpening = undefined;
            throw e;
          }
        } else if (sameSecret(p.masterKey, this.masterKey)) {
          // A client that came while the first one opened the store waits for it.
          await this.storeOpening;
        } else {
          throw new EngineError(
            'KEY_WRONG',
            'The master key does not open this warehouse (the service opened it with another).',
          );
        }
        client.proven = true;
        this.log(`client ${client.id} connected (${this.clients.size} connected)`);
        return { pid: process.pid, version: SERVICE_PROTOCOL_VERSION };
      },
      resume: async (client, p) => {
        if (typeof p.sessionToken !== 'string') throw new EngineError('NOT_SIGNED_IN', 'No session token.');
        const account = await new AuthService(this.store!, new DevelopmentMailer(() => undefined)).resume(
          p.sessionToken,
        );
        if (client.account && client.account.id !== account.id) await this.closeSessions(client);
        client.account = account;
        client.sessionToken = p.sessionToken;
        client.space = account.space;
        client.spaceOptions = {
          encryption: p.space.encryption,
          allowedFolders: p.space.allowedFolders.map((f) => path.resolve(f)),
          protectedPaths: p.space.protectedPaths,
          ...(p.space.allowHint ? { allowHint: p.space.allowHint } : {}),
          ...(typeof p.space.memoryLimit === 'string' ? { memoryLimit: p.space.memoryLimit } : {}),
          ...(typeof p.space.threads === 'number' ? { threads: p.space.threads } : {}),
          ...(typeof p.space.encryptionInstallHint === 'string'
            ? { encryptionInstallHint: p.space.encryptionInstallHint }
            : {}),
          ...(typeof p.space.cwd === 'string' ? { cwd: path.resolve(p.space.cwd) } : {}),
        };
        return { email: await account.email(), space: account.space };
      },
      'session.open': async (client, p) => {
        const { warehouse } = await this.space(client);
        const session = await Session.open(warehouse, {
          ...(typeof p.database === 'string' ? { database: p.database } : {}),
          ...(typeof p.pageSize === 'number' ? { pageSize: p.pageSize } : {}),
        });
        client.sessions.set(session.id, session);
        return { session: session.id };
      },
      'run.start': async (client, p, token) => {
        const session = this.session(client, p.session);
        const run = randomUUID();
        client.runs.set(run, {
          session: p.session,
          iter: session.runIter(p.script, p.range ? { range: p.range } : {}),
        });
        return { run, first: await this.next(client, p.session, run, token) };
      },
      'run.next': async (client, p, token) => this.next(client, p.session, p.run, token),
      'run.stop': async (client, p) => {
        const run = client.runs.get(p.run);
        client.runs.delete(p.run);
        if (run) await run.iter.return(undefined);
        return {};
      },
      'session.cancel': async (client, p) => {
        this.session(client, p.session).cancel();
        return {};
      },
      'session.export': async (client, p) => {
        const session = this.session(client, p.session);
        if (typeof p.result === 'string') return session.export(session.result(p.result), p.file, p.view);
        if (typeof p.sql !== 'string')
          throw new EngineError('INVALID_ARGUMENT', 'Export needs a query or a result.');
        return session.export(p.sql, p.file);
      },
      'session.current': async (client, p) => this.session(client, p.session).current(),
      'session.use': async (client, p) => {
        const session = this.session(client, p.session);
        await session.use(p.database, p.schema);
        return { transaction: session.transaction };
      },
      'session.pin': async (client, p) => this.session(client, p.session).pin(p.result, p.name),
      'session.unpin': async (client, p) => ({
        removed: await this.session(client, p.session).unpin(p.result),
      }),
      'session.pinned': async (client, p) =>
        (await this.session(client, p.session).pinned()).map(({ resultId, name, pinnedAt }) => ({
          resultId,
          name,
          pinnedAt,
        })),
      'session.compare': async (client, p, token) => {
        const abort = new AbortController();
        const cancel = token.onCancellationRequested(() => abort.abort());
        try {
          const compared = await this.session(client, p.session).compare(p.a, p.b, {
            ...(Array.isArray(p.keys) ? { keys: p.keys } : {}),
            signal: abort.signal,
          });
          return { result: remoteResult(compared.result), counts: compared.counts, keys: compared.keys };
        } finally {
          cancel.dispose();
        }
      },
      'result.stats': async (client, p) =>
        this.session(client, p.session).result(p.result).stats(p.column, p.view),
      'result.chart': async (client, p) =>
        this.session(client, p.session).result(p.result).chart(p.spec, p.view),
      'result.release': async (client, p) => {
        await this.session(client, p.session).result(p.result).release();
        return {};
      },
      'catalog.createSchema': async (client, p) => {
        await (await this.space(client)).warehouse.catalog.createSchema(p.database, p.schema);
        return {};
      },
      'catalog.dropObject': async (client, p) => {
        await (await this.space(client)).warehouse.catalog.dropObject(p.target, p.options);
        return {};
      },
      'catalog.refresh': async (client) => {
        (await this.space(client)).warehouse.catalog.refresh();
        return {};
      },
      'lang.warm': async (client, p) => {
        await (await this.language(client)).warm(p.scope);
        return {};
      },
      'lang.complete': async (client, p) => (await this.language(client)).complete(p.text, p.offset, p.scope),
      'lang.hover': async (client, p) => {
        const hover = await (await this.language(client)).hover(p.text, p.offset, p.scope);
        return hover ? { hover } : {};
      },
      'lang.signatureHelp': async (client, p) => {
        const help = await (await this.language(client)).signatureHelp(p.text, p.offset);
        return help ? { help } : {};
      },
      'lang.diagnose': async (client, p, token) =>
        (await this.language(client)).diagnose(p.text, p.scope, () => token.isCancellationRequested),
      'demo.create': async (client, p) =>
        createDemo((await this.space(client)).warehouse, {
          csvFile: p.csvFile,
          ...(typeof p.orderLines === 'number' ? { orderLines: p.orderLines } : {}),
          ...(p.worksheets ? { worksheets: client.account!.worksheets } : {}),
        }),
      'space.info': async (client) => {
        const { warehouse } = await this.space(client);
        return {
          refusedFolders: warehouse.fileAccess.refused.map((r) => ({ folder: r.folder, reason: r.reason })),
          ignoredDatabaseFiles: warehouse.ignoredDatabaseFiles.length,
        };
      },
      'session.close': async (client, p) => {
        const s = client.sessions.get(p.session);
        client.sessions.delete(p.session);
        await s?.close();
        return {};
      },
      'result.wait': async (client, p) => {
        const result = this.session(client, p.session).result(p.result);
        await result.whenComplete();
        return {
          ...result.summary(),
          ...(result.error ? { error: remoteError(result.error) } : {}),
          ...(result.cancelled ? { cancelled: true } : {}),
        };
      },
      'result.page': async (client, p) => {
        return this.session(client, p.session).result(p.result).page(p.offset, p.limit, p.view);
      },
      'catalog.databases': async (client) => (await this.space(client)).warehouse.catalog.databases(),
      'catalog.schemas': async (client, p) =>
        (await this.space(client)).warehouse.catalog.schemas(p.database),
      'catalog.objects': async (client, p) =>
        (await this.space(client)).warehouse.catalog.objects(p.database, p.schema),
      'catalog.columns': async (client, p) =>
        (await this.space(client)).warehouse.catalog.columns(p.database, p.schema, p.name),
      'history.add': async (client, p) => {
        await client.account!.history.add(p);
        return {};
      },
      'db.list': async (client) => {
        const { warehouse } = await this.space(client);
        return { databases: await warehouse.listDatabases(), encryption: warehouse.encryption };
      },
      'db.create': async (client, p) => (await this.space(client)).warehouse.createDatabase(p.name),
      'db.rename': async (client, p) => (await this.space(client)).warehouse.renameDatabase(p.from, p.to),
      'db.drop': async (client, p) => {
        await (await this.space(client)).warehouse.dropDatabase(p.name, { confirm: true });
        return {};
      },
      import: async (client, p, token) => {
        const abort = new AbortController();
        const cancel = token.onCancellationRequested(() => abort.abort());
        try {
          return await (
            await this.space(client)
          ).warehouse.importFile(p.file, p.target, {
            ...(p.options.append !== undefined ? { append: p.options.append } : {}),
            ...(p.options.format !== undefined ? { format: p.options.format } : {}),
            signal: abort.signal,
          });
        } finally {
          cancel.dispose();
        }
      },
      'space.release': async (client) => {
        await this.closeSessions(client);
        return { released: await this.releaseIfUnused(client.space!, client) };
      },
    };
  }
}

/** Requests that start work: each checks first that the connection's account is still signed in. */
const REVALIDATE = new Set<string>([
  'session.open',
  'run.start',
  'session.export',
  'catalog.databases',
  'db.list',
  'db.create',
  'db.rename',
  'db.drop',
  'import',
  'history.add',
  'session.compare',
  'demo.create',
  'catalog.createSchema',
  'catalog.dropObject',
]);

/** True when every folder of `wanted` is one of `have` or inside one. */
function covers(have: string[], wanted: string[]): boolean {
  return wanted.every((w) =>
    have.some((h) => {
      const rel = path.relative(h, w);
      return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
    }),
  );
}

function remoteError(e: EngineError): RemoteError {
  return { code: e.code, message: e.message, ...(e.position ? { position: e.position } : {}) };
}

/** A kept result for the client: the first page is converted already and travels along, saving a round trip. */
function remoteResult(r: KeptResult): RemoteResult {
  return {
    summary: r.summary(),
    firstPage: r.firstPage,
    sql: r.sql,
    exportNames: r.columns.map((c) => c.exportName),
  };
}

function remoteOutcome(o: StatementOutcome): RemoteOutcome {
  const base = { index: o.index, sql: o.sql, range: o.range };
  switch (o.status) {
    case 'rows':
      return { ...base, status: 'rows', result: remoteResult(o.result), elapsedMs: o.elapsedMs };
    case 'changes':
      return { ...base, status: 'changes', changes: o.changes, elapsedMs: o.elapsedMs };
    case 'ok':
      return { ...base, status: 'ok', elapsedMs: o.elapsedMs };
    case 'error':
      return { ...base, status: 'error', error: remoteError(o.error) };
    case 'notRun':
      return { ...base, status: 'notRun' };
  }
}

/** A failed request: -32000 with the engine's stable code in `data.code` (as the webview channel does). */
function toResponse(e: unknown): ResponseError<RemoteError> {
  const error =
    e instanceof EngineError
      ? e
      : new EngineError('SQL_ERROR', e instanceof Error ? e.message : String(e), undefined, { cause: e });
  return new ResponseError(-32000, error.message, remoteError(error));
}
