import type { Transaction } from './sealedLog.js';
import { T } from './records.js';

/** One ordered step of the store's schema; `up` runs inside one transaction, so it applies wholly or not at all. */
export interface Migration {
  version: number;
  description: string;
  up(tx: Transaction, now: number): void;
}

/** The store's migrations in order; the last version is the schema this code reads and writes. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'accounts, sessions, codes, worksheet tree, revisions, history',
    up(tx, now) {
      tx.put(T.meta, 'createdAt', now);
    },
  },
];
