import { EngineError } from '../errors.js';
import { randomBytes } from '../crypto/seal.js';
import type { AccountIndex } from './accountIndex.js';
import { ad } from './accountIndex.js';
import { QueryHistory } from './history.js';
import type { MetadataStore } from './metadataStore.js';
import { DatabaseKeyRecord, openJson, sealJson, SessionRecord, T } from './records.js';
import type { Transaction } from './sealedLog.js';
import type { AccountScope, Reader } from './scope.js';
import { Worksheets } from './worksheets.js';

/**
 * A signed-in account: the only door to its worksheets and history. Every call first checks that the session is
 * still valid (not expired, not signed out from any process), so nothing is reachable without one.
 */
export class Account implements AccountScope {
  /** The account's folders and worksheets. */
  readonly worksheets: Worksheets;
  /** The account's query history. */
  readonly history: QueryHistory;

  /** @internal Made by AuthService after a sign-in or from a session token. */
  constructor(
    private readonly store: MetadataStore,
    /** Random account id. */
    readonly accountId: string,
    /** The account's space: `Warehouse.open(dir, { space })` opens its own databases. */
    readonly space: string,
    /** The account key (internal). */
    readonly key: Uint8Array,
    private readonly tokenHash: string,
  ) {
    this.worksheets = new Worksheets(this);
    this.history = new QueryHistory(this);
  }

  /** Same as {@link accountId}. */
  get id(): string {
    return this.accountId;
  }

  /** The account's limits (revisions per worksheet, history entries). */
  get limits(): { revisions: number; history: number } {
    return this.store.limits;
  }

  /** The store's clock. */
  now(): number {
    return this.store.now();
  }

  /** The account's email address (decrypted). */
  async email(): Promise<string> {
    return this.read((_index, reader) => {
      const record = reader.get(T.account, this.accountId) as { email: string };
      return openJson<string>(this.key, record.email, ad.email(this.accountId));
    });
  }

  /** Ends this session. Later calls on this object throw NOT_SIGNED_IN. */
  async signOut(): Promise<void> {
    await this.store.log.transact((tx) => tx.delete(T.session, this.tokenHash));
  }

  /** Ends every session of this account, in every process; returns how many ended. */
  async signOutEverywhere(): Promise<number> {
    return this.write((tx) => {
      let ended = 0;
      for (const [hash, value] of tx.entries(T.session)) {
        if ((value as SessionRecord).account !== this.accountId) continue;
        tx.delete(T.session, hash);
        ended++;
      }
      return ended;
    });
  }

  /**
   * The DuckDB encryption key (64 hex characters) of one of this account's databases, made at random and sealed
   * under the account key on first use (`create`, default true); undefined when none exists and `create` is false.
   * Pass it as `ATTACH … (ENCRYPTION_KEY '…')`; never log it.
   */
  async databaseKey(database: string, options: { create?: boolean } = {}): Promise<string | undefined> {
    const slot = this.databaseSlot(database);
    const read = (reader: Reader): string | undefined => {
      const record = reader.get(T.dbkey, slot) as DatabaseKeyRecord | undefined;
      return record && openJson<string>(this.key, record.key, ad.dbkey(this.accountId, slot));
    };
    const existing = await this.read((_index, reader) => read(reader));
    if (existing !== undefined || options.create === false) return existing;
    return this.write((tx) => {
      const raced = read(tx);
      if (raced !== undefined) return raced;
      const key = Buffer.from(randomBytes(32)).toString('hex');
      const record: DatabaseKeyRecord = {
        account: this.accountId,
        key: sealJson(this.key, key, ad.dbkey(this.accountId, slot)),
      };
      tx.put(T.dbkey, slot, record);
      return key;
    });
  }

  /** Forgets a database's key (after the database was dropped); its file can no longer be opened. */
  async forgetDatabaseKey(database: string): Promise<void> {
    const slot = this.databaseSlot(database);
    await this.write((tx) => tx.delete(T.dbkey, slot));
  }

  /**
   * Moves a database's key to its new name (after a rename), in one write: `to` gets `from`'s key, or none when
   * `from` has none; `from` keeps none. A rename that only changes case is a no-op.
   */
  async moveDatabaseKey(from: string, to: string): Promise<void> {
    const source = this.databaseSlot(from);
    const target = this.databaseSlot(to);
    if (source === target) return;
    await this.write((tx) => {
      const record = tx.get(T.dbkey, source) as DatabaseKeyRecord | undefined;
      tx.delete(T.dbkey, target);
      if (!record) return;
      const key = openJson<string>(this.key, record.key, ad.dbkey(this.accountId, source));
      tx.put(T.dbkey, target, {
        account: this.accountId,
        key: sealJson(this.key, key, ad.dbkey(this.accountId, target)),
      } satisfies DatabaseKeyRecord);
      tx.delete(T.dbkey, source);
    });
  }

  private databaseSlot(database: string): string {
    if (typeof database !== 'string' || database.length === 0) {
      throw new EngineError('INVALID_ARGUMENT', 'A database name is needed.');
    }
    return `${this.accountId}:${this.store.ring.hash('database', `${this.accountId}\0${database.toLowerCase()}`)}`;
  }

  /** @internal */
  async read<R>(fn: (index: AccountIndex, reader: Reader) => R): Promise<R> {
    await this.store.log.refresh();
    this.assertSession();
    return fn(this.store.indexFor(this.accountId, this.key), this.store.log);
  }

  /** @internal */
  async write<R>(fn: (tx: Transaction, index: AccountIndex) => R): Promise<R> {
    return this.store.log.transact((tx) => {
      this.assertSession();
      return fn(tx, this.store.indexFor(this.accountId, this.key));
    });
  }

  private assertSession(): void {
    if (this.store.sessionAccount(this.tokenHash) !== this.accountId) {
      throw new EngineError('NOT_SIGNED_IN', 'Not signed in: this session belongs to another account.');
    }
  }
}
