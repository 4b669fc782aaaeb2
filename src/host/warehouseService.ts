import * as path from 'node:path';
import type { DatabaseKeyOptions } from '../engine/encryption.js';
import * as vscode from 'vscode';
import { EngineError, errorLogText } from '../engine/errors.js';
import { Session, type TransactionState } from '../engine/query/index.js';
import { Warehouse, type CatalogChange } from '../engine/warehouse.js';
import { affectsWarehouse, readSettings, SETTINGS } from './config.js';
import type { ComponentLogger, Logger } from './logger.js';

const ALLOWED_FOLDERS_SETTING = `microDataWarehouse.${SETTINGS.allowedFolders}`;

/** What the status bar shows of a session. */
export interface SessionState {
  database: string;
  schema: string;
  transaction: TransactionState;
}

interface SessionEntry {
  opening: Promise<Session>;
  session?: Session;
  state?: SessionState;
}

/** Key of the session of a document: one session per open document (a `.sql` file or a worksheet). */
export function documentKey(document: vscode.TextDocument): string {
  return document.uri.toString();
}

/**
 * Owns the warehouse and its sessions. The warehouse (and DuckDB's native library) opens on first
 * use, never in activate(). A space (an account's own databases; "local" until accounts exist) is
 * chosen with {@link setSpace}; changing it closes everything of the old one.
 */
export class WarehouseService implements vscode.Disposable {
  private opening: Promise<Warehouse> | undefined;
  private open: Warehouse | undefined;
  private catalogSubscription: { dispose(): void } | undefined;
  private spaceId: string | null = 'local';
  /** Where the space's database keys come from (the signed-in account). */
  private keys: DatabaseKeyOptions | undefined;
  private hold: Promise<unknown> = Promise.resolve();
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly catalogChanged = new vscode.EventEmitter<CatalogChange>();
  private readonly sessionChanged = new vscode.EventEmitter<string>();
  private readonly warehouseChanged = new vscode.EventEmitter<void>();
  /** Fired after the catalog cache dropped what changed (DDL from any session, imports, drops). */
  readonly onDidChangeCatalog = this.catalogChanged.event;
  /** Fired with a session key when its database, schema or transaction state may have changed. */
  readonly onDidChangeSession = this.sessionChanged.event;
  /** Fired when the warehouse opened, failed to open, or closed. */
  readonly onDidChangeWarehouse = this.warehouseChanged.event;

  private constructor(
    private readonly defaultFolder: string,
    /** VS Code's global storage (secret storage and every extension's state): never a folder SQL may use. */
    private readonly editorStorage: string,
    private readonly log: ComponentLogger,
  ) {}

  static register(context: vscode.ExtensionContext, logger: Logger): WarehouseService {
    const service = new WarehouseService(
      path.join(context.globalStorageUri.fsPath, 'warehouse'),
      path.dirname(context.globalStorageUri.fsPath),
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

  /** The warehouse, opened on first call. A failure is an EngineError with a message for the user. */
  warehouse(): Promise<Warehouse> {
    if (this.open && !this.open.isClosed) return Promise.resolve(this.open);
    // Waiting for the space happens outside `opening`, so close() (called while the space changes) never waits on it.
    return this.hold.then(() => {
      if (this.open && !this.open.isClosed) return this.open;
      this.opening ??= this.openWarehouse().finally(() => {
        this.opening = undefined;
      });
      return this.opening;
    });
  }

  /** Makes the next warehouse() calls wait for `ready` (the accounts layer restoring a session). */
  holdUntil(ready: Promise<unknown>): void {
    this.hold = ready.catch(() => undefined);
  }

  /**
   * Switches to another space (an account's databases; null: signed out, nothing opens): closes the
   * sessions and warehouse of the old.
   */
  async setSpace(space: string | null, keys?: DatabaseKeyOptions): Promise<void> {
    if (space === this.spaceId) return;
    await this.close();
    this.spaceId = space;
    this.keys = keys;
    this.warehouseChanged.fire();
  }

  /** The session of `key`, opened on first call on the current warehouse. */
  session(key: string): Promise<Session> {
    const existing = this.sessions.get(key);
    if (existing && !existing.session?.isClosed) return existing.opening;
    const entry: SessionEntry = { opening: Promise.resolve(undefined as never) };
    entry.opening = (async () => {
      const warehouse = await this.warehouse();
      const session = await Session.open(warehouse, { pageSize: readSettings().pageSize });
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
    try {
      const session = await entry.opening;
      await session.close();
      this.log.info(`session ${session.id.slice(0, 8)} closed`);
    } catch {
      // it never opened
    }
    this.sessionChanged.fire(key);
  }

  /** Closes every session and the warehouse; the next use opens it again. Idempotent. */
  async close(): Promise<void> {
    const keys = [...this.sessions.keys()];
    await Promise.all(keys.map((k) => this.closeSession(k)));
    await this.opening?.catch(() => undefined);
    const warehouse = this.open;
    this.open = undefined;
    this.catalogSubscription?.dispose();
    this.catalogSubscription = undefined;
    if (warehouse && !warehouse.isClosed) {
      await warehouse.close();
      this.log.info('warehouse closed');
      this.warehouseChanged.fire();
    }
  }

  dispose(): void {
    void this.close().catch((e) => this.log.error('closing the warehouse failed', e));
    this.catalogChanged.dispose();
    this.sessionChanged.dispose();
    this.warehouseChanged.dispose();
  }

  private async openWarehouse(): Promise<Warehouse> {
    if (this.spaceId === null) {
      throw new EngineError(
        'NOT_SIGNED_IN',
        'Sign in to MicroDataWarehouse to use your databases (command: MicroDataWarehouse: Sign In).',
      );
    }
    const settings = readSettings();
    const folder = this.folder;
    const started = performance.now();
    try {
      const warehouse = await Warehouse.open(folder, {
        space: this.spaceId,
        ...this.keys,
        encryption: settings.encryption,
        encryptionInstallHint: `run "MicroDataWarehouse: Install Database Encryption Support"`,
        ...(settings.memoryLimit ? { memoryLimit: settings.memoryLimit } : {}),
        ...(settings.threads ? { threads: settings.threads } : {}),
        allowedFolders:
          settings.allowedFolders ?? (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
        protectedPaths: [this.editorStorage],
        allowHint: `add it to the setting ${ALLOWED_FOLDERS_SETTING} (the warehouse then reopens)`,
      });
      this.open = warehouse;
      if (settings.allowedFolders !== undefined && warehouse.fileAccess.refused.length > 0) {
        const refused = warehouse.fileAccess.refused.map((r) => `${r.folder} (${r.reason})`).join('; ');
        void vscode.window.showWarningMessage(
          `${ALLOWED_FOLDERS_SETTING}: SQL may not use ${refused}. Allow folders that hold only your data files.`,
        );
      }
      this.catalogSubscription = warehouse.catalog.onDidChange((change) => this.catalogChanged.fire(change));
      this.log.info(
        `warehouse opened in ${(performance.now() - started).toFixed(0)} ms (space ${this.spaceId}, ${warehouse.ignoredDatabaseFiles.length} file(s) ignored)`,
      );
      this.warehouseChanged.fire();
      return warehouse;
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

  private async settingsChanged(): Promise<void> {
    if (!this.isOpen) return;
    const busy = this.openSessions().some(([, s]) => s.busy || s.transaction.open);
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
