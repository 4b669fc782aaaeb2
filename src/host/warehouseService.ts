import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine, EngineSession, EngineTransaction as TransactionState } from '../engine/api.js';
import type { KeyProvider } from '../engine/crypto/keys.js';
import { EngineError, errorLogText } from '../engine/errors.js';
import { SERVICE_DIED } from '../engine/service/client.js';
import { RemoteEngine } from '../engine/service/engine.js';
import type { CatalogChange } from '../engine/warehouse.js';
import { affectsWarehouse, readSettings, SETTINGS } from './config.js';
import { within } from './within.js';
import type { ComponentLogger, Logger } from './logger.js';

const ALLOWED_FOLDERS_SETTING = `microDataWarehouse.${SETTINGS.allowedFolders}`;

/** What the status bar shows of a session. */
export interface SessionState {
  database: string;
  schema: string;
  transaction: TransactionState;
}

/** The signed-in account as the warehouse service needs it: its sign-in session token and the master key. */
export interface SpaceCredentials {
  sessionToken: string;
  keys: KeyProvider;
}

type Session = EngineSession;

interface SessionEntry {
  opening: Promise<Session>;
  session?: Session;
  state?: SessionState;
  /** Set when the entry was closed; a session still opening then closes itself. */
  closed?: boolean;
}

/** Longest a session may take to close (cancel, drop its kept results) before the warehouse closes anyway. */
const SESSION_CLOSE_MS = 5_000;

/** Key of the session of a document: one session per open document (a `.sql` file or a worksheet). */
export function documentKey(document: vscode.TextDocument): string {
  return document.uri.toString();
}

/**
 * Owns this window's connection to the warehouse service (which owns DuckDB; every window and `mdw` are its
 * clients) and the window's sessions. The connection (and the service) starts on first use, never in
 * activate(). A space (an account's own databases) is chosen with {@link setSpace}; changing it closes
 * everything of the old one.
 */
export class WarehouseService implements vscode.Disposable {
  private opening: Promise<RemoteEngine> | undefined;
  private open: RemoteEngine | undefined;
  private subscriptions: { dispose(): void }[] = [];
  private spaceId: string | null = null;
  /** The signed-in account's token and master key. */
  private credentials: SpaceCredentials | undefined;
  private hold: Promise<unknown> = Promise.resolve();
  /** The close in progress; opening waits for it (the old space lets go of its files first). */
  private closing: Promise<void> = Promise.resolve();
  /** Counts space changes: a warehouse that finished opening for an older space is closed, not kept. */
  private generation = 0;
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly sessionsClosing = new Set<Promise<void>>();
  private readonly catalogChanged = new vscode.EventEmitter<CatalogChange>();
  private readonly sessionChanged = new vscode.EventEmitter<string>();
  private readonly warehouseChanged = new vscode.EventEmitter<void>();
  /** Fired after the catalog cache dropped what changed (DDL from any session, imports, drops). */
  readonly onDidChangeCatalog = this.catalogChanged.event;
  /** Fired with a session key when its database, schema or transaction state may have changed. */
  readonly onDidChangeSession = this.sessionChanged.event;
  /** Fired when the warehouse opened, failed to open, or closed. */
  readonly onDidChangeWarehouse = this.warehouseChanged.event;
  private readonly serviceLost = new vscode.EventEmitter<string>();
  /** Fired with the message the notification shows when the warehouse service went away unexpectedly. */
  readonly onDidLoseService = this.serviceLost.event;

  private constructor(
    private readonly defaultFolder: string,
    /** VS Code's global storage (secret storage and every extension's state): never a folder SQL may use. */
    private readonly editorStorage: string,
    /** The service's entry script (dist/service.js of the extension). */
    private readonly serviceEntry: string,
    private readonly log: ComponentLogger,
  ) {}

  static register(context: vscode.ExtensionContext, logger: Logger): WarehouseService {
    const service = new WarehouseService(
      path.join(context.globalStorageUri.fsPath, 'warehouse'),
      path.dirname(context.globalStorageUri.fsPath),
      context.asAbsolutePath(path.join('dist', 'service.js')),
      logger.component('warehouse'),
    );
    context.subscriptions.push(
      service,
      vscode.workspace.onDidCloseTextDocument((d) => void service.closeSession(documentKey(d))),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsWarehouse(e)) void service.settingsChanged();
      }),
      // The default allowed folders are the workspace folders.
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        if (readSettings().allowedFolders === undefined) void service.settingsChanged();
      }),
    );
    return service;
  }

  /** The folder the warehouse lives in (the setting, else the extension's global storage). */
  get folder(): string {
    return readSettings().warehouseFolder ?? this.defaultFolder;
  }

  /** The current space; null while nobody is signed in (then nothing opens). */
  get space(): string | null {
    return this.spaceId;
  }

  /** True once the warehouse is open (nothing here opens it). */
  get isOpen(): boolean {
    return this.open !== undefined && !this.open.isClosed;
  }

  /** The engine (this window's connection to the warehouse service), opened on first call. A failure is an EngineError with a message for the user. */
  engine(): Promise<Engine> {
    if (this.open && !this.open.isClosed) return Promise.resolve(this.open);
    // Waiting for the space (and for the old space to close) happens outside `opening`, so close()
    // (called while the space changes) never waits on it.
    return this.hold.then(async () => {
      await this.closing;
      if (this.open && !this.open.isClosed) return this.open;
      if (!this.opening) {
        const opening = this.openWarehouse().finally(() => {
          if (this.opening === opening) this.opening = undefined;
        });
        this.opening = opening;
      }
      return this.opening;
    });
  }

  /** Makes the next warehouse() calls wait for `ready` (the accounts layer restoring a session). */
  holdUntil(ready: Promise<unknown>): void {
    this.hold = ready.catch(() => undefined);
  }

  /**
   * Switches to another space (an account's databases; null: signed out, nothing opens): closes the
   * sessions and warehouse of the old. The new space applies at once (nothing opens the old one again);
   * the returned promise ends when the old one is closed.
   */
  async setSpace(space: string | null, credentials?: SpaceCredentials): Promise<void> {
    if (space === this.spaceId && credentials?.sessionToken === this.credentials?.sessionToken) return;
    this.spaceId = space;
    this.credentials = credentials;
    this.generation++;
    await this.close();
    this.warehouseChanged.fire();
  }

  /** The session of `key`, opened on first call on the current warehouse. */
  session(key: string): Promise<Session> {
    const existing = this.sessions.get(key);
    if (existing && !existing.session?.isClosed) return existing.opening;
    const entry: SessionEntry = { opening: Promise.resolve(undefined as never) };
    entry.opening = (async () => {
      const engine = await this.engine();
      if (entry.closed) throw sessionClosed();
      const session = await engine.openSession({ pageSize: readSettings().pageSize });
      if (entry.closed) {
        // Closed (a sign-out, another account) while it opened: it must not outlive its space.
        await session.close().catch(() => undefined);
        throw sessionClosed();
      }
      entry.session = session;
      this.log.info(`session ${session.id.slice(0, 8)} opened`);
      await this.refreshState(key);
      return session;
    })();
    this.sessions.set(key, entry);
    entry.opening.catch(() => {
      if (this.sessions.get(key) === entry) this.sessions.delete(key);
    });
    return entry.opening;
  }

  /** The session of `key` if it is open; never opens one. */
  openSession(key: string): Session | undefined {
    const session = this.sessions.get(key)?.session;
    return session && !session.isClosed ? session : undefined;
  }

  /** Every open session with its key. */
  openSessions(): [string, Session][] {
    return [...this.sessions].flatMap(([key, e]) =>
      e.session && !e.session.isClosed ? [[key, e.session] as [string, Session]] : [],
    );
  }

  /** The last known database, schema and transaction state of a session. */
  state(key: string): SessionState | undefined {
    return this.sessions.get(key)?.state;
  }

  /**
   * Re-reads a session's current database and schema (skipped while it runs) and tells listeners.
   * Callers await it before the session's next use: the read itself occupies the session.
   */
  async refreshState(key: string): Promise<void> {
    const entry = this.sessions.get(key);
    const session = entry?.session;
    if (!entry || !session || session.isClosed) return;
    if (!session.busy) {
      try {
        const current = await session.current();
        entry.state = { ...current, transaction: session.transaction };
      } catch (e) {
        this.log.debug(`session state not read: ${errorLogText(e)}`);
        if (entry.state) entry.state = { ...entry.state, transaction: session.transaction };
      }
    }
    this.sessionChanged.fire(key);
  }

  /** Closes the session of `key` (its transaction rolls back, its results go). */
  async closeSession(key: string): Promise<void> {
    const entry = this.sessions.get(key);
    if (!entry) return;
    this.sessions.delete(key);
    entry.closed = true;
    // A session still opening (waiting for the warehouse, which may wait for the accounts layer that
    // is closing it right now) is not waited for: it closes itself once open.
    const session = entry.session;
    if (session) {
      const closing = within(session.close(), SESSION_CLOSE_MS, 'closing a session').then(
        () => this.log.info(`session ${session.id.slice(0, 8)} closed`),
        (e: unknown) => this.log.error(`closing session ${session.id.slice(0, 8)} failed`, e),
      );
      // The warehouse waits for it before closing (a session closing on a closed warehouse never ends).
      this.sessionsClosing.add(closing);
      await closing;
      this.sessionsClosing.delete(closing);
    }
    this.sessionChanged.fire(key);
  }

  /** Closes every session and the warehouse; the next use opens it again. Idempotent. */
  close(): Promise<void> {
    const warehouse = this.open;
    const opening = this.opening;
    this.open = undefined;
    this.opening = undefined;
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions = [];
    const keys = [...this.sessions.keys()];
    const previous = this.closing;
    const closing = (async () => {
      await previous;
      await Promise.all(keys.map((k) => this.closeSession(k)));
      // Sessions closed just before (their editor closed) finish first, too.
      await Promise.all([...this.sessionsClosing]);
      // A warehouse still opening is closed by openWarehouse itself (its generation is stale), or here.
      const opened = await opening?.catch(() => undefined);
      for (const w of new Set([warehouse, opened])) {
        if (w && !w.isClosed && w !== this.open) {
          // The service closes the space once no client of it is left (another window may still use it).
          await w.close({ release: true });
          this.log.info('warehouse connection closed');
          this.warehouseChanged.fire();
        }
      }
    })().catch((e) => this.log.error('closing the warehouse failed', e));
    this.closing = closing;
    return closing;
  }

  dispose(): void {
    void this.close().catch((e) => this.log.error('closing the warehouse failed', e));
    this.catalogChanged.dispose();
    this.sessionChanged.dispose();
    this.warehouseChanged.dispose();
    this.serviceLost.dispose();
  }

  private async openWarehouse(): Promise<RemoteEngine> {
    const credentials = this.credentials;
    if (this.spaceId === null || !credentials) {
      throw new EngineError(
        'NOT_SIGNED_IN',
        'Sign in to MicroDataWarehouse to use your databases (command: MicroDataWarehouse: Sign In).',
      );
    }
    const settings = readSettings();
    const folder = this.folder;
    const started = performance.now();
    const generation = this.generation;
    try {
      const engine = await RemoteEngine.connect({
        warehouseDir: folder,
        masterKey: () => credentials.keys.getMasterKey(),
        sessionToken: credentials.sessionToken,
        // The extension host's own runtime runs the service, as language clients start their servers.
        execPath: process.execPath,
        entry: this.serviceEntry,
        space: {
          encryption: settings.encryption,
          encryptionInstallHint: `run "MicroDataWarehouse: Install Database Encryption Support"`,
          ...(settings.memoryLimit ? { memoryLimit: settings.memoryLimit } : {}),
          ...(settings.threads ? { threads: settings.threads } : {}),
          allowedFolders:
            settings.allowedFolders ??
            (vscode.workspace.workspaceFolders ?? [])
              .filter((f) => f.uri.scheme === 'file')
              .map((f) => f.uri.fsPath),
          protectedPaths: [this.editorStorage],
          allowHint: `add it to the setting ${ALLOWED_FOLDERS_SETTING} (the warehouse then reopens)`,
        },
      });
      if (generation !== this.generation) {
        // The space changed while it opened: close it, and open the current space's.
        await engine.close();
        return await this.openWarehouse();
      }
      // The space opens in the service on first use; this reads what it said (and opens it).
      const info = await engine.info();
      this.open = engine;
      if (settings.allowedFolders !== undefined && info.refusedFolders.length > 0) {
        const refused = info.refusedFolders.map((r) => `${r.folder} (${r.reason})`).join('; ');
        void vscode.window.showWarningMessage(
          `${ALLOWED_FOLDERS_SETTING}: SQL may not use ${refused}. Allow folders that hold only your data files.`,
        );
      }
      this.subscriptions.push(
        engine.onCatalogChanged((change) => this.catalogChanged.fire(change)),
        engine.onServiceDied(() => void this.serviceDied(engine)),
      );
      this.log.info(
        `warehouse service connected in ${(performance.now() - started).toFixed(0)} ms (pid ${engine.servicePid ?? '?'}, ${info.ignoredDatabaseFiles} file(s) ignored)`,
      );
      this.warehouseChanged.fire();
      return engine;
    } catch (e) {
      this.log.error(`opening the warehouse in ${folder} failed`, e);
      this.warehouseChanged.fire();
      if (e instanceof EngineError) throw e;
      throw new EngineError(
        'WAREHOUSE_INVALID',
        `Could not open the warehouse ${folder}: ${String(e)}`,
        undefined,
        {
          cause: e,
        },
      );
    }
  }

  /** The service went away (crash, kill, out of memory): say so; the next action starts a new one. */
  private async serviceDied(engine: RemoteEngine): Promise<void> {
    if (this.open !== engine) return;
    this.log.warn('the warehouse service stopped unexpectedly');
    await this.close();
    this.warehouseChanged.fire();
    void vscode.window.showErrorMessage(SERVICE_DIED);
    this.serviceLost.fire(SERVICE_DIED);
  }

  private async settingsChanged(): Promise<void> {
    if (!this.isOpen) return;
    const busy = this.openSessions().some(([, s]) => s.busy || s.transaction.open);
    // The service fixes them when the space opens, and keeps them while any window uses it.
    // DuckDB fixes its settings, and the folders SQL may use, when the warehouse opens.
    const choice = await vscode.window.showInformationMessage(
      busy
        ? 'MicroDataWarehouse settings changed (the folders SQL may use are fixed when the warehouse opens). Reopen the warehouse now? Running queries stop and open transactions roll back.'
        : 'MicroDataWarehouse settings changed (the folders SQL may use are fixed when the warehouse opens). Reopen the warehouse to apply them?',
      'Reopen Now',
    );
    if (choice === 'Reopen Now') {
      await this.close();
      this.warehouseChanged.fire();
    }
  }
}

function sessionClosed(): EngineError {
  return new EngineError(
    'SESSION_CLOSED',
    'This session was closed because the account or the warehouse changed. Run the statement again.',
  );
}
