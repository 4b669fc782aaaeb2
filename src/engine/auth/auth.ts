import * as crypto from 'node:crypto';
import { EngineError } from '../errors.js';
import { DATA_KEY_BYTES, equalBytes, randomBytes, randomId } from '../crypto/seal.js';
import { Account } from '../store/account.js';
import { ad } from '../store/accountIndex.js';
import type { MetadataStore } from '../store/metadataStore.js';
import { AccountRecord, CodeRecord, SessionRecord, sealJson, T } from '../store/records.js';
import type { Transaction } from '../store/sealedLog.js';
import { normalizeEmail } from './email.js';
import type { Mailer } from './mailer.js';

/** Limits of sign-in codes and sessions; defaults follow the security notes. */
export interface AuthOptions {
  /** Code lifetime (default 10 minutes). */
  codeTtlMs?: number;
  /** Wrong tries that invalidate a code (default 5). */
  maxTries?: number;
  /** Minimum time between two codes for one address (default 30 s). */
  resendAfterMs?: number;
  /** Codes per address per hour (default 5). */
  maxPerHour?: number;
  /** Session lifetime (default 30 days). */
  sessionTtlMs?: number;
}

/** What {@link AuthService.requestCode} did. */
export interface CodeRequest {
  /** The normalised address the code went to. */
  email: string;
  expiresAt: number;
  /** The earliest time another code may be requested. */
  resendAt: number;
}

/** A successful sign-in. Keep `token` secret (the CLI stores it with mode 0600); only its hash is stored. */
export interface SignIn {
  token: string;
  expiresAt: number;
  /** True when this sign-in created the account. */
  created: boolean;
  account: Account;
}

const HOUR = 3_600_000;

/**
 * Email-code sign-in over the metadata store. Codes: 6 digits from the CSPRNG, stored as keyed hashes, compared in
 * constant time, single use, expiring; wrong tries and resends are limited per address. Sessions: 256 random bits,
 * stored as keyed hashes, expiring, revocable.
 */
export class AuthService {
  private readonly o: Required<AuthOptions>;

  constructor(
    private readonly store: MetadataStore,
    private readonly mailer: Mailer,
    options: AuthOptions = {},
  ) {
    this.o = {
      codeTtlMs: options.codeTtlMs ?? 10 * 60_000,
      maxTries: options.maxTries ?? 5,
      resendAfterMs: options.resendAfterMs ?? 30_000,
      maxPerHour: options.maxPerHour ?? 5,
      sessionTtlMs: options.sessionTtlMs ?? 30 * 24 * HOUR,
    };
  }

  /**
   * Sends a new sign-in code to `email` (replacing any earlier one). AUTH_EMAIL_INVALID before anything happens for
   * a malformed address; AUTH_RATE_LIMITED (saying when to retry) within 30 s of the last code or after 5 in an
   * hour; MAIL_FAILED when delivery fails, which does not count against the limits.
   */
  async requestCode(email: string): Promise<CodeRequest> {
    const address = normalizeEmail(email);
    const emailHash = this.emailHash(address);
    const log = this.store.log;
    const sentAt = await log.transact((tx) => {
      const now = this.store.now();
      const recent = this.recentSends(tx, emailHash, now);
      const last = recent[recent.length - 1];
      if (last !== undefined && now - last < this.o.resendAfterMs) {
        throw rateLimited(last + this.o.resendAfterMs - now, 'a code was sent moments ago');
      }
      if (recent.length >= this.o.maxPerHour) {
        throw rateLimited(recent[0]! + HOUR - now, `${this.o.maxPerHour} codes were sent in the last hour`);
      }
      // Reserve the slot before sending, so that parallel requests cannot all pass the check.
      tx.put(T.send, emailHash, [...recent, now]);
      return now;
    });
    const code = String(crypto.randomInt(1_000_000)).padStart(6, '0');
    const minutes = Math.round(this.o.codeTtlMs / 60_000);
    try {
      await this.mailer.send({
        to: address,
        subject: `MicroDataWarehouse sign-in code: ${code}`,
        text:
          `Your MicroDataWarehouse sign-in code is ${code}\n\n` +
          `It expires in ${minutes} minutes and works once. If you did not try to sign in, ignore this message.\n`,
      });
    } catch (e) {
      await log.transact((tx) => {
        const times = ((tx.get(T.send, emailHash) as number[] | undefined) ?? []).filter((t) => t !== sentAt);
        if (times.length > 0) tx.put(T.send, emailHash, times);
        else tx.delete(T.send, emailHash);
      });
      throw e;
    }
    const expiresAt = sentAt + this.o.codeTtlMs;
    await log.transact((tx) => {
      const record: CodeRecord = { hash: this.codeHash(emailHash, code), expiresAt, tries: 0, used: false };
      tx.put(T.code, emailHash, record);
    });
    return { email: address, expiresAt, resendAt: sentAt + this.o.resendAfterMs };
  }

  /**
   * Checks a code and signs in, creating the account on its first sign-in. AUTH_CODE_WRONG (tries left, or that
   * the code is now invalid); AUTH_CODE_EXPIRED, with one message, when no code is valid (never sent, expired,
   * replaced or already used).
   */
  async verifyCode(email: string, code: string): Promise<SignIn> {
    const address = normalizeEmail(email);
    const emailHash = this.emailHash(address);
    const typed = String(code).replace(/[\s-]/g, '');
    const outcome = await this.store.log.transact(
      (tx): EngineError | { token: string; created: boolean; expiresAt: number } => {
        const now = this.store.now();
        const pending = tx.get(T.code, emailHash) as CodeRecord | undefined;
        // Never sent, replaced, expired or already used all get one answer: telling "used" apart would show
        // anyone who types an address that its owner signed in moments ago.
        if (!pending || pending.used || now >= pending.expiresAt) {
          if (pending && !pending.used) tx.delete(T.code, emailHash);
          return noValidCode();
        }
        const expected = Buffer.from(pending.hash, 'hex');
        const actual = Buffer.from(
          this.codeHash(emailHash, /^\d{6}$/.test(typed) ? typed : 'malformed'),
          'hex',
        );
        if (!equalBytes(actual, expected)) {
          const tries = pending.tries + 1;
          if (tries >= this.o.maxTries) {
            tx.delete(T.code, emailHash);
            return new EngineError(
              'AUTH_CODE_WRONG',
              `Wrong code. After ${this.o.maxTries} wrong tries this code no longer works: request a new code.`,
            );
          }
          tx.put(T.code, emailHash, { ...pending, tries });
          const left = this.o.maxTries - tries;
          return new EngineError(
            'AUTH_CODE_WRONG',
            `Wrong code; ${left} ${left === 1 ? 'try' : 'tries'} left.`,
          );
        }
        tx.put(T.code, emailHash, { ...pending, used: true });
        this.pruneExpired(tx, now);
        let accountId = tx.get(T.email, emailHash) as string | undefined;
        const created = accountId === undefined;
        if (accountId === undefined) accountId = this.createAccount(tx, address, emailHash, now);
        const token = Buffer.from(randomBytes(32)).toString('base64url');
        const session: SessionRecord = {
          account: accountId,
          createdAt: now,
          expiresAt: now + this.o.sessionTtlMs,
        };
        tx.put(T.session, this.tokenHash(token), session);
        return { token, created, expiresAt: session.expiresAt };
      },
    );
    if (outcome instanceof EngineError) throw outcome;
    const account = await this.resume(outcome.token);
    return { ...outcome, account };
  }

  /** The account of a session token; NOT_SIGNED_IN when the token is unknown, expired or signed out. */
  async resume(token: string): Promise<Account> {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      throw new EngineError('NOT_SIGNED_IN', 'Not signed in: the session token is not valid. Sign in again.');
    }
    await this.store.log.refresh();
    const hash = this.tokenHash(token);
    const accountId = this.store.sessionAccount(hash);
    const { record, key } = this.store.accountKey(accountId);
    return new Account(this.store, accountId, record.space, key, hash);
  }

  /** Ends the session of `token` (no error when it already ended). */
  async signOut(token: string): Promise<void> {
    if (typeof token !== 'string') return;
    const hash = this.tokenHash(token);
    await this.store.log.transact((tx) => tx.delete(T.session, hash));
  }

  private createAccount(tx: Transaction, address: string, emailHash: string, now: number): string {
    const id = randomId();
    const key = randomBytes(DATA_KEY_BYTES);
    const record: AccountRecord = {
      space: `u${randomId().slice(0, 24)}`,
      createdAt: now,
      key: Buffer.from(this.store.ring.wrap(key, id)).toString('base64'),
      email: sealJson(key, address, ad.email(id)),
    };
    key.fill(0);
    tx.put(T.account, id, record);
    tx.put(T.email, emailHash, id);
    return id;
  }

  private recentSends(tx: Transaction, emailHash: string, now: number): number[] {
    const times = (tx.get(T.send, emailHash) as number[] | undefined) ?? [];
    return times.filter((t) => t > now - HOUR && t <= now).sort((a, b) => a - b);
  }

  private pruneExpired(tx: Transaction, now: number): void {
    for (const [hash, value] of tx.entries(T.session)) {
      if ((value as SessionRecord).expiresAt <= now) tx.delete(T.session, hash);
    }
    for (const [hash, value] of tx.entries(T.code)) {
      if ((value as CodeRecord).expiresAt <= now) tx.delete(T.code, hash);
    }
    for (const [hash, value] of tx.entries(T.send)) {
      if ((value as number[]).every((t) => t <= now - HOUR)) tx.delete(T.send, hash);
    }
  }

  private emailHash(address: string): string {
    return this.store.ring.hash('email', address);
  }

  private codeHash(emailHash: string, code: string): string {
    return this.store.ring.hash('code', `${emailHash}:${code}`);
  }

  private tokenHash(token: string): string {
    return this.store.ring.hash('session', token);
  }
}

function rateLimited(waitMs: number, why: string): EngineError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const when =
    seconds < 120 ? `${seconds} second${seconds === 1 ? '' : 's'}` : `${Math.ceil(seconds / 60)} minutes`;
  return new EngineError('AUTH_RATE_LIMITED', `No new code yet: ${why}. Try again in ${when}.`);
}

function noValidCode(): EngineError {
  return new EngineError(
    'AUTH_CODE_EXPIRED',
    'There is no valid code for this address: it expired, was replaced or was already used. Request a new code.',
  );
}
