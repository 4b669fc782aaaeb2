import type { AccountIndex } from './accountIndex.js';
import type { Transaction } from './sealedLog.js';

/** Reads raw records: committed ones, or inside a write the transaction's view. */
export interface Reader {
  get(table: string, key: string): unknown;
}

/** What account-scoped services need from the signed-in account (internal). */
export interface AccountScope {
  readonly accountId: string;
  readonly key: Uint8Array;
  now(): number;
  readonly limits: { revisions: number; history: number };
  /** Refreshes, checks the session, and reads. */
  read<R>(fn: (index: AccountIndex, reader: Reader) => R): Promise<R>;
  /** Checks the session and commits what `fn` writes as one transaction; a throw writes nothing. */
  write<R>(fn: (tx: Transaction, index: AccountIndex) => R): Promise<R>;
}
