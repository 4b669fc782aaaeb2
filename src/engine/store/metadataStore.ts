import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors.js';
import type { KeyProvider } from '../crypto/keys.js';
import { KeyRing } from '../crypto/seal.js';
import { createWarehouseFolder } from '../warehouse.js';
import { AccountIndex } from './accountIndex.js';
import { Migration, MIGRATIONS } from './migrations.js';
import { AccountRecord, SessionRecord, T } from './records.js';
import { SealedLog, type ExternalChange } from './sealedLog.js';
import { StoreWatcher } from './storeWatcher.js';

export type { ExternalChange } from './sealedLog.js';

/** A listener of {@link MetadataStore.onDidChangeExternally}. */
export interface ExternalChangeListener {
  /** Another process committed changes to these keys of these tables (see `T` in records.ts); `reloaded`: it compacted the store. */
  changed(change: ExternalChange): void;
  /** Watching or reading the store failed (it goes on watching); log the error's class and code, nothing more. */
  failed?(error: unknown): void;
}

/** Milliseconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;

/** Options for {@link MetadataStore.open}. */
export interface StoreOptions {
  /** Time source (default `Date.now`). */
  clock?: Clock;
  /** How long to wait for another process's store lock before STORE_LOCKED (default 5000 ms). */
  lockTimeoutMs?: number;
  /** Compact the log once it exceeds this many bytes and twice its last snapshot (default 4 MiB). */
  compactAfterBytes?: number;
  /** Revisions kept per worksheet (default 20). */
  revisionLimit?: number;
  /** History entries kept per account; the oldest are pruned (default 1000). */
  historyLimit?: number;
  /** The ordered migrations (tests only; default the built-in list). */
  migrations?: readonly Migration[];
}

/** Name of the folder inside the warehouse that holds the metadata store. */
export const STORE_FOLDER = 'store';
/** File name of the sealed log inside {@link STORE_FOLDER}. */
export const STORE_FILE = 'metadata.log';

/**
 * The encrypted metadata store of one warehouse (`<warehouse>/store/metadata.log`): accounts, sessions, sign-in
 * codes, worksheet trees, revisions and query history. Safe to open from several processes at once (writers take
 * turns through a lock file). User-facing operations go through {@link AuthService} and {@link Account}.
 */
export class MetadataStore {
  /** The current schema version after migrations. */
  readonly schemaVersion: number;
  private readonly indexes = new Map<string, AccountIndex>();
  private readonly external = new Set<ExternalChangeListener>();
  private watcher: StoreWatcher | undefined;

  private constructor(
    /** Absolute path of the warehouse folder. */
    readonly warehouseDir: string,
    /** The sealed log (internal to the engine). */
    readonly log: SealedLog,
    /** Keys derived from the master key (internal to the engine). */
    readonly ring: KeyRing,
    /** The time source. */
    readonly now: Clock,
    /** Resolved limits. */
    readonly limits: { revisions: number; history: number },
    schemaVersion: number,
  ) {
    this.schemaVersion = schemaVersion;
    log.onChange({
      change: (table, key, value) => {
        for (const index of this.indexes.values()) index.change(table, key, value);
      },
      reset: () => this.indexes.clear(),
    });
  }

  /**
   * Opens the store of the warehouse in `warehouseDir`, creating both when the folder is new or empty. A store
   * that exists is only read until its key is proven right: a missing, wrong or damaged key or file changes
   * nothing on disk (KEY_MISSING, KEY_WRONG, STORE_CORRUPT).
   */
  static async open(
    warehouseDir: string,
    keys: KeyProvider,
    options: StoreOptions = {},
  ): Promise<MetadataStore> {
    const root = path.resolve(warehouseDir);
    if (keys.file && isInside(path.resolve(keys.file), root)) {
      throw new EngineError(
        'KEY_INVALID',
        `The master key file ${keys.file} is inside the warehouse folder; keep it outside (e.g. the default config folder).`,
      );
    }
    const dir = path.join(root, STORE_FOLDER);
    const file = path.join(dir, STORE_FILE);
    const exists = fs.existsSync(file);
    if (!exists) createWarehouseFolder(root);
    const master = await keys.getMasterKey({ create: !exists });
    let ring: KeyRing;
    try {
      ring = await KeyRing.fromMaster(master);
    } finally {
      master.fill(0);
    }
    if (!exists) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const log = await SealedLog.open(file, ring, {
      create: !exists,
      lockTimeoutMs: options.lockTimeoutMs ?? 5000,
      compactAfterBytes: options.compactAfterBytes ?? 4 * 1024 * 1024,
    });
    const clock = options.clock ?? Date.now;
    const version = await migrate(log, options.migrations ?? MIGRATIONS, clock, root);
    return new MetadataStore(
      root,
      log,
      ring,
      clock,
      { revisions: options.revisionLimit ?? 20, history: options.historyLimit ?? 1000 },
      version,
    );
  }

  /** Absolute path of the store's folder: warehouse-internal, never for user SQL. */
  get dir(): string {
    return path.join(this.warehouseDir, STORE_FOLDER);
  }

  /**
   * Tells `listener` when another process (another VS Code window, the `mdw` command line, the warehouse service)
   * committed to the store: the store's file is watched, and after a short quiet time only its new tail is read
   * (as {@link SealedLog.refresh} does), so this store's own writes never fire it. Several changes close together
   * fire once. Watching stops when the last listener is disposed or the store is closed.
   */
  onDidChangeExternally(listener: ExternalChangeListener): { dispose(): void } {
    if (this.external.size === 0) {
      // Earlier reads belong to no listener; nothing is recorded while nobody listens.
      this.log.trackExternalChanges(true);
      this.watcher = new StoreWatcher({
        file: this.log.file,
        check: async () => {
          if (this.external.size === 0) return;
          await this.log.refresh();
          const change = this.log.takeExternalChanges();
          if (change) for (const l of [...this.external]) callSafely(() => l.changed(change), l);
        },
        failed: (e) => {
          for (const l of [...this.external]) callSafely(() => l.failed?.(e));
        },
      });
    }
    this.external.add(listener);
    return {
      dispose: () => {
        this.external.delete(listener);
        if (this.external.size === 0) this.stopWatching();
      },
    };
  }

  /** Forgets all keys and state held in memory. Idempotent. */
  close(): void {
    this.external.clear();
    this.stopWatching();
    this.indexes.clear();
    this.log.close();
  }

  private stopWatching(): void {
    this.watcher?.dispose();
    this.watcher = undefined;
    this.log.trackExternalChanges(false);
  }

  /** The tree/revision/history index of an account, built on first use (internal). */
  indexFor(accountId: string, key: Uint8Array): AccountIndex {
    let index = this.indexes.get(accountId);
    if (!index) this.indexes.set(accountId, (index = new AccountIndex(accountId, key, this.log)));
    return index;
  }

  /** The account a session token hash belongs to, or NOT_SIGNED_IN (internal; call after a refresh). */
  sessionAccount(tokenHash: string): string {
    const session = this.log.get(T.session, tokenHash) as SessionRecord | undefined;
    if (!session || session.expiresAt <= this.now()) {
      throw new EngineError(
        'NOT_SIGNED_IN',
        'Not signed in: the session has ended or was signed out. Sign in again.',
      );
    }
    return session.account;
  }

  /** An account's record and its unwrapped key (internal). */
  accountKey(accountId: string): { record: AccountRecord; key: Uint8Array } {
    const record = this.log.get(T.account, accountId) as AccountRecord | undefined;
    if (!record) throw new EngineError('NOT_SIGNED_IN', 'The account of this session no longer exists.');
    const key = this.ring.unwrap(Buffer.from(record.key, 'base64'), accountId);
    if (!key)
      throw new EngineError(
        'STORE_CORRUPT',
        'An account key in the metadata store does not authenticate (damaged).',
      );
    return { record, key };
  }
}

/** Runs a listener; what it throws goes to its `failed` (when given) and never into the watcher. */
function callSafely(fn: () => void, listener?: ExternalChangeListener): void {
  try {
    fn();
  } catch (e) {
    try {
      listener?.failed?.(e);
    } catch {
      // nothing left to tell
    }
  }
}

async function migrate(
  log: SealedLog,
  migrations: readonly Migration[],
  clock: Clock,
  root: string,
): Promise<number> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`Migration ${i} has version ${m.version}; versions must be 1, 2, 3, …`);
  });
  const latest = migrations.length;
  const current = (log.get(T.meta, 'schema') as number | undefined) ?? 0;
  if (current > latest) {
    throw new EngineError(
      'WAREHOUSE_INVALID',
      `The metadata store of ${root} has schema ${current}, newer than this version understands (${latest}). Update MicroDataWarehouse.`,
    );
  }
  for (const m of migrations.slice(current)) {
    await log.transact((tx) => {
      if (((tx.get(T.meta, 'schema') as number | undefined) ?? 0) >= m.version) return;
      m.up(tx, clock());
      tx.put(T.meta, 'schema', m.version);
    });
  }
  return latest;
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
