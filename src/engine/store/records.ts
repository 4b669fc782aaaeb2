import { EngineError } from '../errors.js';
import { seal, unseal } from '../crypto/seal.js';

/** Tables of the metadata store's key-value state. Every value lives inside frames sealed under the store key. */
export const T = {
  meta: 'meta',
  /** accountId -> AccountRecord */
  account: 'account',
  /** keyed hash of the email -> accountId */
  email: 'email',
  /** keyed hash of the email -> CodeRecord */
  code: 'code',
  /** keyed hash of the email -> send times (ms) of the last hour */
  send: 'send',
  /** keyed hash of the token -> SessionRecord */
  session: 'session',
  /** nodeId -> NodeRecord */
  node: 'node',
  /** revisionId -> RevisionRecord */
  rev: 'rev',
  /** entryId -> HistoryRecord */
  hist: 'hist',
  /** accountId + keyed hash of the database name -> DatabaseKeyRecord */
  dbkey: 'dbkey',
} as const;

/** An account: random ids, its key wrapped under the master key, its email sealed under its own key. */
export interface AccountRecord {
  space: string;
  createdAt: number;
  /** base64: account key sealed by KeyRing.wrap */
  key: string;
  /** base64: email sealed under the account key */
  email: string;
}

/** A pending sign-in code: only its keyed hash. */
export interface CodeRecord {
  hash: string;
  expiresAt: number;
  tries: number;
  used: boolean;
}

/** A session: keyed by the token's hash. */
export interface SessionRecord {
  account: string;
  createdAt: number;
  expiresAt: number;
}

/** A folder or worksheet; `name` and `body` are sealed under the account key. */
export interface NodeRecord {
  account: string;
  parent: string | null;
  kind: 'folder' | 'worksheet';
  position: number;
  createdAt: number;
  updatedAt: number;
  name: string;
  body?: string;
  /** A worksheet's chart settings per result position (sealed JSON); absent: none kept. */
  charts?: string;
}

/** A kept worksheet revision; `body` sealed under the account key. */
export interface RevisionRecord {
  account: string;
  worksheet: string;
  savedAt: number;
  body: string;
}

/** A query history entry; `body` sealed under the account key. */
export interface HistoryRecord {
  account: string;
  worksheet: string | null;
  startedAt: number;
  body: string;
}

/** A user database's DuckDB encryption key, sealed under the account key. */
export interface DatabaseKeyRecord {
  account: string;
  key: string;
}

/** Seals a JSON value under `key`, bound to `ad`, as base64. */
export function sealJson(key: Uint8Array, value: unknown, ad: string): string {
  return Buffer.from(seal(key, JSON.stringify(value), ad)).toString('base64');
}

/** Opens a value made by {@link sealJson}; STORE_CORRUPT when it does not authenticate. */
export function openJson<V>(key: Uint8Array, sealed: string, ad: string): V {
  const plain = unseal(key, Buffer.from(sealed, 'base64'), ad);
  if (!plain)
    throw new EngineError(
      'STORE_CORRUPT',
      'A record of the metadata store does not authenticate (damaged or moved).',
    );
  return JSON.parse(Buffer.from(plain).toString('utf8')) as V;
}
