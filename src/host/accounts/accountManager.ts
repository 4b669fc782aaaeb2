import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { AuthService, type CodeRequest } from '../../engine/auth/auth.js';
import { SmtpMailer, type MailMessage } from '../../engine/auth/mailer.js';
import { EngineError, errorLogText, isEngineError } from '../../engine/errors.js';
import type { Account } from '../../engine/store/account.js';
import { MetadataStore, type ExternalChange } from '../../engine/store/metadataStore.js';
import { SETTINGS } from '../config.js';
import type { ComponentLogger, Logger } from '../logger.js';
import type { WarehouseService } from '../warehouseService.js';
import { createDelivery } from './mailDelivery.js';
import { SecretKeyProvider } from './secretKeyProvider.js';
import { within } from '../within.js';

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

/**
 * An account is about to be left (Sign In with Another Account, Sign Out): its session still works, so
 * listeners can save what is unsaved. `waitUntil` promises are awaited, each for a bounded time.
 */
export interface AccountLeaveEvent {
  readonly previous: SignedInAccount;
  waitUntil(work: Promise<unknown>): void;
}

/** How long one listener may take to save or close what belongs to the account being left. */
const LEAVE_STEP_MS = 5_000;
/** How long the old space may take to close before the new account's views load anyway. */
const SPACE_SWITCH_MS = 10_000;

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
  private storeWatch: { dispose(): void } | undefined;
  private signedIn: SignedInAccount | undefined;
  private restoring: Promise<SignedInAccount | undefined> = Promise.resolve(undefined);
  private readonly keys: SecretKeyProvider;
  /** The session token this window wrote last (its own SecretStorage change is no news to it). */
  private ownToken: string | undefined;
  /** Account changes, one at a time. */
  private switching: Promise<unknown> = Promise.resolve();
  private readonly changed = new vscode.EventEmitter<SignedInAccount | undefined>();
  private readonly willLeave = new vscode.EventEmitter<AccountLeaveEvent>();
  private readonly left = new vscode.EventEmitter<AccountLeaveEvent>();
  private readonly storeChanged = new vscode.EventEmitter<ExternalChange>();
  /** Fired after a sign-in, a sign-out, or a change made by another window. */
  readonly onDidChangeAccount = this.changed.event;
  /** Fired before this window leaves an account on purpose, while its session still works (save here). */
  readonly onWillLeaveAccount = this.willLeave.event;
  /**
   * Fired once an account is no longer the current one, before the next one's views load: close and
   * clear everything of it here (editors, results, panels).
   */
  readonly onDidLeaveAccount = this.left.event;
  /**
   * Fired when another process (another window, the `mdw` command line) committed to the metadata store;
   * names the tables it touched. The store has read the changes already: the next read sees them.
   */
  readonly onDidChangeStore = this.storeChanged.event;

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
        if (e.key !== manager.tokenSecret()) return;
        void context.secrets.get(e.key).then((token) => {
          // This window's own write (a sign-in or sign-out here) is handled where it was made.
          if (token !== manager.ownToken) void manager.restore('another window changed the session');
        });
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

  /** The account signed in once a session restore in progress has finished. */
  ready(): Promise<SignedInAccount | undefined> {
    // Not the restore's own result: a sign-in or sign-out may have come after it.
    return this.restoring.then(
      () => this.signedIn,
      () => this.signedIn,
    );
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
    const previous = this.signedIn;
    if (previous && previous.account.id !== signIn.account.id) await this.leaving(previous);
    const previousToken = await within(this.secrets.get(this.tokenSecret()), 5_000, 'reading the session');
    if (previousToken) await auth.signOut(previousToken).catch(() => undefined);
    this.ownToken = signIn.token;
    await within(this.secrets.store(this.tokenSecret(), signIn.token), 5_000, 'keeping the session');
    this.log.info(signIn.created ? 'signed in (new account)' : 'signed in');
    return (await this.adopt(signIn.account, signIn.token))!;
  }

  /** Ends this window's session (and every window's on this warehouse folder, through SecretStorage). */
  async signOut(): Promise<void> {
    if (this.signedIn) await this.leaving(this.signedIn);
    const token = await within(this.secrets.get(this.tokenSecret()), 5_000, 'reading the session');
    if (token && this.store)
      await new AuthService(this.store, nullMailer).signOut(token).catch(() => undefined);
    this.ownToken = undefined;
    await within(this.secrets.delete(this.tokenSecret()), 5_000, 'removing the session');
    this.log.info('signed out');
    await this.adopt(undefined, undefined);
  }

  /** Ends every session of the account (other windows, the command line); returns how many ended. */
  async signOutEverywhere(): Promise<number> {
    const current = await this.require();
    await this.leaving(current);
    const ended = await current.account.signOutEverywhere();
    this.ownToken = undefined;
    await within(this.secrets.delete(this.tokenSecret()), 5_000, 'removing the session');
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
          await this.follow(this.signedIn, token);
          return this.signedIn;
        }
        this.log.info(`session resumed (${why})`);
        return await this.adopt(account, token);
      } catch (e) {
        if (isEngineError(e) && e.code === 'NOT_SIGNED_IN') {
          this.log.info(`session ended (${why})`);
          this.ownToken = undefined;
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
    this.willLeave.dispose();
    this.left.dispose();
    this.closeStore();
    this.storeChanged.dispose();
  }

  /** Lets listeners save what is unsaved of `previous` while its session still works. */
  private async leaving(previous: SignedInAccount): Promise<void> {
    await this.settle(this.willLeave, previous, 'saving');
  }

  /** Fires `emitter` and waits for its listeners' work, each for at most LEAVE_STEP_MS. */
  private async settle(
    emitter: vscode.EventEmitter<AccountLeaveEvent>,
    previous: SignedInAccount,
    what: string,
  ): Promise<void> {
    const work: Promise<unknown>[] = [];
    emitter.fire({ previous, waitUntil: (p) => void work.push(p) });
    await Promise.all(
      work.map((p) =>
        within(p, LEAVE_STEP_MS, what).catch((e: unknown) =>
          this.log.warn(`${what} for the account being left: ${e instanceof Error ? e.message : String(e)}`),
        ),
      ),
    );
  }

  /**
   * Makes `account` (undefined: nobody) the current one: the old account's editors, results and
   * panels are closed first, then the warehouse follows, then the views reload. One change at a time;
   * every step has a time limit, so a sign-in or sign-out never waits forever.
   */
  private adopt(
    account: Account | undefined,
    token: string | undefined,
  ): Promise<SignedInAccount | undefined> {
    const run = async (): Promise<SignedInAccount | undefined> => {
      const next =
        account && token
          ? {
              account,
              email: await account.email(),
              sessionId: sessionIdOf(token),
              tag: tagOf(account.id),
            }
          : undefined;
      const previous = this.signedIn;
      if (!next && !previous) {
        await this.follow(undefined, undefined);
        return undefined;
      }
      this.signedIn = next;
      if (next) this.ownToken = token;
      if (previous && previous.tag !== next?.tag) await this.settle(this.left, previous, 'closing');
      await this.follow(next, token);
      await vscode.commands.executeCommand('setContext', SIGNED_IN_CONTEXT, next !== undefined);
      this.changed.fire(next);
      return next;
    };
    const result = this.switching.then(run, run);
    this.switching = result.catch(() => undefined);
    return result;
  }

  /** Points the warehouse service at the account's space (null: nothing opens). */
  private async follow(next: SignedInAccount | undefined, token: string | undefined): Promise<void> {
    const switched = this.service.setSpace(
      next ? next.account.space : null,
      next && token ? { sessionToken: token, keys: this.keys } : undefined,
    );
    // The new space applies at once; closing the old one may take long (a checkpoint) and goes on.
    await within(switched, SPACE_SWITCH_MS, 'closing the previous warehouse').catch((e: unknown) =>
      this.log.warn(e instanceof Error ? e.message : String(e)),
    );
  }

  private openStore(): Promise<MetadataStore> {
    const folder = this.service.folder;
    if (this.store && this.storeFolder === folder) return Promise.resolve(this.store);
    if (this.storeFolder !== folder) this.closeStore();
    this.storeFolder = folder;
    this.storeOpening ??= MetadataStore.open(folder, this.keys)
      .then((store) => {
        this.store = store;
        this.storeWatch = store.onDidChangeExternally({
          changed: (change) => this.storeChanged.fire(change),
          // Only the error's class, code and frames (errorLogText): a message may quote a path or worse.
          failed: (e) =>
            this.log.warn(`watching the metadata store for other windows failed: ${errorLogText(e)}`),
        });
        this.log.info('metadata store opened');
        return store;
      })
      .finally(() => {
        this.storeOpening = undefined;
      });
    return this.storeOpening;
  }

  private closeStore(): void {
    this.storeWatch?.dispose();
    this.storeWatch = undefined;
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
