import { createHash } from 'node:crypto';
import { databaseKeyOptions } from '../../engine/encryption.js';
import * as vscode from 'vscode';
import { AuthService, type CodeRequest } from '../../engine/auth/auth.js';
import { SmtpMailer, type MailMessage } from '../../engine/auth/mailer.js';
import { EngineError, isEngineError } from '../../engine/errors.js';
import type { Account } from '../../engine/store/account.js';
import { MetadataStore } from '../../engine/store/metadataStore.js';
import { SETTINGS } from '../config.js';
import type { ComponentLogger, Logger } from '../logger.js';
import type { WarehouseService } from '../warehouseService.js';
import { createDelivery } from './mailDelivery.js';
import { SecretKeyProvider } from './secretKeyProvider.js';

/** Context key: true while an account is signed in (views' welcome texts and menus use it). */
export const SIGNED_IN_CONTEXT = 'microDataWarehouse.signedIn';

/** The signed-in account as the UI sees it. */
export interface SignedInAccount {
  account: Account;
  email: string;
  /** A stable, non-secret id of this sign-in (never the token). */
  sessionId: string;
  /** Short tag of the account for URIs: a hash of its id, so documents of two accounts never mix. */
  tag: string;
}

/** What a code request did; `developmentCode` is set when no SMTP server is configured. */
export interface SentCode extends CodeRequest {
  delivery: string;
  developmentMessage?: MailMessage;
}

/**
 * Who is signed in. Owns the metadata store (opened lazily in the warehouse folder with the master key
 * from SecretStorage) and the session token (SecretStorage, one per warehouse folder, so it survives a
 * reload and other windows follow through SecretStorage's change event). Tells the warehouse service
 * the account's space.
 */
export class AccountManager implements vscode.Disposable {
  private store: MetadataStore | undefined;
  private storeFolder: string | undefined;
  private storeOpening: Promise<MetadataStore> | undefined;
  private signedIn: SignedInAccount | undefined;
  private restoring: Promise<SignedInAccount | undefined> = Promise.resolve(undefined);
  private readonly keys: SecretKeyProvider;
  private readonly changed = new vscode.EventEmitter<SignedInAccount | undefined>();
  /** Fired after a sign-in, a sign-out, or a change made by another window. */
  readonly onDidChangeAccount = this.changed.event;

  private constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly service: WarehouseService,
    private readonly log: ComponentLogger,
  ) {
    this.keys = new SecretKeyProvider(secrets);
  }

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    service: WarehouseService,
  ): AccountManager {
    const manager = new AccountManager(context.secrets, service, logger.component('accounts'));
    context.subscriptions.push(
      manager,
      context.secrets.onDidChange((e) => {
        if (e.key === manager.tokenSecret()) void manager.restore('another window changed the session');
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`microDataWarehouse.${SETTINGS.warehouseFolder}`)) {
          void manager.restore('the warehouse folder changed');
        }
      }),
    );
    void vscode.commands.executeCommand('setContext', SIGNED_IN_CONTEXT, false);
    void manager.restore('startup');
    return manager;
  }

  /** The account signed in now, if any (see {@link ready} during startup). */
  get current(): SignedInAccount | undefined {
    return this.signedIn;
  }

  /** Resolves once a session restore in progress has finished. */
  ready(): Promise<SignedInAccount | undefined> {
    return this.restoring;
  }

  /** The signed-in account, or NOT_SIGNED_IN (the command boundary offers Sign In). */
  async require(): Promise<SignedInAccount> {
    await this.restoring.catch(() => undefined);
    const current = this.signedIn;
    if (!current) {
      throw new EngineError(
        'NOT_SIGNED_IN',
        'Sign in to MicroDataWarehouse first (MicroDataWarehouse: Sign In).',
      );
    }
    return current;
  }

  /** Sends a sign-in code to `email`. */
  async requestCode(email: string): Promise<SentCode> {
    const store = await this.openStore();
    const delivery = await createDelivery(this.secrets);
    try {
      const request = await new AuthService(store, delivery.mailer).requestCode(email);
      this.log.info(`sign-in code sent (${delivery.mailer.describe()})`);
      const developmentMessage = delivery.developmentInbox?.[0];
      return {
        ...request,
        delivery: delivery.mailer.describe(),
        ...(developmentMessage ? { developmentMessage } : {}),
      };
    } finally {
      if (delivery.mailer instanceof SmtpMailer) delivery.mailer.close();
    }
  }

  /** Checks a code sent earlier and signs in (ending the session of another account signed in here). */
  async verifyCode(email: string, code: string): Promise<SignedInAccount> {
    const store = await this.openStore();
    const auth = new AuthService(store, { send: async () => undefined, describe: () => 'none' });
    const signIn = await auth.verifyCode(email, code);
    const previous = await this.secrets.get(this.tokenSecret());
    if (previous) await auth.signOut(previous).catch(() => undefined);
    await this.secrets.store(this.tokenSecret(), signIn.token);
    this.log.info(signIn.created ? 'signed in (new account)' : 'signed in');
    return (await this.adopt(signIn.account, signIn.token))!;
  }

  /** Ends this window's session (and every window's on this warehouse folder, through SecretStorage). */
  async signOut(): Promise<void> {
    const token = await this.secrets.get(this.tokenSecret());
    if (token && this.store)
      await new AuthService(this.store, nullMailer).signOut(token).catch(() => undefined);
    await this.secrets.delete(this.tokenSecret());
    this.log.info('signed out');
    await this.adopt(undefined, undefined);
  }

  /** Ends every session of the account (other windows, the command line); returns how many ended. */
  async signOutEverywhere(): Promise<number> {
    const { account } = await this.require();
    const ended = await account.signOutEverywhere();
    await this.secrets.delete(this.tokenSecret());
    this.log.info(`signed out everywhere (${ended} session(s))`);
    await this.adopt(undefined, undefined);
    return ended;
  }

  /**
   * Re-reads the session token of the current warehouse folder and resumes it (a reload, another
   * window, a folder change, or a session that ended elsewhere).
   */
  restore(why: string): Promise<SignedInAccount | undefined> {
    const run = async (): Promise<SignedInAccount | undefined> => {
      const token = await this.secrets.get(this.tokenSecret());
      if (this.storeFolder !== undefined && this.storeFolder !== this.service.folder) this.closeStore();
      if (!token) return this.adopt(undefined, undefined);
      try {
        const store = await this.openStore();
        const account = await new AuthService(store, nullMailer).resume(token);
        if (
          this.signedIn &&
          this.signedIn.account.id === account.id &&
          this.signedIn.sessionId === sessionIdOf(token)
        ) {
          // Same session: still make sure the warehouse service follows it (a restore for another
          // folder may have run in between and signed the service out).
          await this.service.setSpace(account.space, databaseKeyOptions(account));
          return this.signedIn;
        }
        this.log.info(`session resumed (${why})`);
        return await this.adopt(account, token);
      } catch (e) {
        if (isEngineError(e) && e.code === 'NOT_SIGNED_IN') {
          this.log.info(`session ended (${why})`);
          await this.secrets.delete(this.tokenSecret());
        } else {
          this.log.error(`resuming the session failed (${why})`, e);
          void vscode.window.showErrorMessage(
            `MicroDataWarehouse could not restore your sign-in: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        return this.adopt(undefined, undefined);
      }
    };
    const next = this.restoring.catch(() => undefined).then(run);
    this.restoring = next;
    this.service.holdUntil(next);
    return next;
  }

  /** Call with any error from an account call: a session that ended elsewhere signs this window out. */
  noticeError(e: unknown): void {
    if (isEngineError(e) && e.code === 'NOT_SIGNED_IN' && this.signedIn)
      void this.restore('the session ended');
  }

  dispose(): void {
    this.changed.dispose();
    this.closeStore();
  }

  private async adopt(
    account: Account | undefined,
    token: string | undefined,
  ): Promise<SignedInAccount | undefined> {
    const next =
      account && token
        ? { account, email: await account.email(), sessionId: sessionIdOf(token), tag: tagOf(account.id) }
        : undefined;
    if (!next && !this.signedIn) {
      await this.service.setSpace(null);
      return undefined;
    }
    this.signedIn = next;
    await this.service.setSpace(
      next ? next.account.space : null,
      next ? databaseKeyOptions(next.account) : undefined,
    );
    await vscode.commands.executeCommand('setContext', SIGNED_IN_CONTEXT, next !== undefined);
    this.changed.fire(next);
    return next;
  }

  private openStore(): Promise<MetadataStore> {
    const folder = this.service.folder;
    if (this.store && this.storeFolder === folder) return Promise.resolve(this.store);
    if (this.storeFolder !== folder) this.closeStore();
    this.storeFolder = folder;
    this.storeOpening ??= MetadataStore.open(folder, this.keys)
      .then((store) => {
        this.store = store;
        this.log.info('metadata store opened');
        return store;
      })
      .finally(() => {
        this.storeOpening = undefined;
      });
    return this.storeOpening;
  }

  private closeStore(): void {
    this.store?.close();
    this.store = undefined;
    this.storeFolder = undefined;
  }

  /** One token per warehouse folder: a token only means something to the store it came from. */
  private tokenSecret(): string {
    return `microDataWarehouse.session.${createHash('sha256').update(this.service.folder).digest('hex').slice(0, 32)}`;
  }
}

const nullMailer = { send: async (): Promise<void> => undefined, describe: () => 'none' };

function sessionIdOf(token: string): string {
  return createHash('sha256').update(`session:${token}`).digest('base64url').slice(0, 22);
}

/** A short stable tag of an account id (for `mdw://<tag>/…` URIs). */
export function tagOf(accountId: string): string {
  return createHash('sha256').update(`account:${accountId}`).digest('hex').slice(0, 12);
}
