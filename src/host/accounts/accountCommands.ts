import * as vscode from 'vscode';
import { isEngineError } from '../../engine/errors.js';
import { registerCommand, SIGN_IN_COMMAND } from '../commands.js';
import { SHOW_LOGS_COMMAND, type ComponentLogger, type Logger } from '../logger.js';
import type { AccountManager, SentCode, SignedInAccount } from './accountManager.js';
import { MdwAuthenticationProvider } from './authProvider.js';
import { codeOf, SMTP_PASSWORD_SECRET } from './mailDelivery.js';
import { within } from '../within.js';

/** The account commands (declared in package.json). */
export const ACCOUNT_COMMANDS = {
  signIn: SIGN_IN_COMMAND,
  signOut: 'microDataWarehouse.account.signOut',
  signOutEverywhere: 'microDataWarehouse.account.signOutEverywhere',
  setSmtpPassword: 'microDataWarehouse.account.setSmtpPassword',
  manage: 'microDataWarehouse.account.manage',
} as const;

/** Arguments of Sign In for scripts and tests: both skip the prompts (a code alone checks one sent earlier). */
export interface SignInArgs {
  email?: string;
  code?: string;
}

/** Errors about the code itself: the prompt stays open to try again or resend. */
const CODE_ERRORS = new Set(['AUTH_CODE_WRONG', 'AUTH_CODE_EXPIRED', 'AUTH_CODE_USED', 'AUTH_RATE_LIMITED']);
/** Longest a step of the code prompt may keep it busy (SMTP and store steps have shorter limits). */
const SIGN_IN_MS = 60_000;

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SMTP_SETTINGS_QUERY = 'microDataWarehouse.smtp';

/** Sign In (email, code sent, code with Resend), Sign Out, Sign Out Everywhere, SMTP password, account menu. */
export class AccountCommands {
  private readonly prompted = new vscode.EventEmitter<string>();
  private readonly failed = new vscode.EventEmitter<string>();
  /** Fired with the address when the code prompt opens (the code is stored by then). */
  readonly onDidShowCodePrompt = this.prompted.event;
  /** Fired with the message shown when a sign-in cannot go on (the prompt is closed by then). */
  readonly onDidFailSignIn = this.failed.event;

  private constructor(
    private readonly manager: AccountManager,
    private readonly secrets: vscode.SecretStorage,
    private readonly log: ComponentLogger,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    logger: Logger,
    manager: AccountManager,
  ): AccountCommands {
    const log = logger.component('signin');
    const commands = new AccountCommands(manager, context.secrets, log);
    const command = (id: string, handler: (...args: never[]) => unknown): void =>
      registerCommand(context, log, id, handler);
    command(ACCOUNT_COMMANDS.signIn, (args?: SignInArgs) => commands.signIn(args));
    command(ACCOUNT_COMMANDS.signOut, () => commands.signOut());
    command(ACCOUNT_COMMANDS.signOutEverywhere, () => commands.signOutEverywhere());
    command(ACCOUNT_COMMANDS.setSmtpPassword, (password?: string) => commands.setSmtpPassword(password));
    command(ACCOUNT_COMMANDS.manage, () => commands.manage());
    MdwAuthenticationProvider.register(context, manager, () => commands.signIn());
    context.subscriptions.push(commands.prompted, commands.failed);
    return commands;
  }

  /**
   * Signs in: asks for the email, sends a code, asks for the code (Resend, clear messages for a wrong or
   * expired code). With `email` and `code`, checks a code sent earlier and sends nothing.
   */
  async signIn(args: SignInArgs = {}): Promise<SignedInAccount | undefined> {
    if (args.email !== undefined && args.code !== undefined) {
      const account = await this.manager.verifyCode(args.email, args.code);
      this.welcome(account);
      return account;
    }
    let email = args.email;
    let note: string | undefined;
    for (;;) {
      email ??= await vscode.window.showInputBox({
        title: 'Sign in to MicroDataWarehouse',
        prompt: 'Your email address: a 6-digit sign-in code will be sent to it.',
        placeHolder: 'name@example.com',
        ignoreFocusOut: true,
        ...(note ? { value: note } : {}),
        validateInput: (v) =>
          EMAIL_SHAPE.test(v.trim()) ? undefined : 'Enter an email address like name@example.com.',
      });
      if (!email) return undefined;
      email = email.trim();
      const sent = await this.send(email);
      if (sent === 'retype') {
        note = email;
        email = undefined;
        continue;
      }
      if (sent === 'cancel') return undefined;
      const account = await this.promptCode(email, sent);
      if (account) this.welcome(account);
      return account;
    }
  }

  async signOut(): Promise<void> {
    const current = this.manager.current;
    await this.manager.signOut();
    vscode.window.setStatusBarMessage(
      current ? `MicroDataWarehouse: signed out ${current.email}.` : 'MicroDataWarehouse: signed out.',
      5000,
    );
  }

  async signOutEverywhere(): Promise<number> {
    const ended = await this.manager.signOutEverywhere();
    void vscode.window.showInformationMessage(
      `MicroDataWarehouse: signed out everywhere (${ended} session${ended === 1 ? '' : 's'} ended).`,
    );
    return ended;
  }

  /** Keeps the SMTP password in SecretStorage (an empty one removes it); never in settings. */
  async setSmtpPassword(password?: string): Promise<void> {
    const value =
      typeof password === 'string'
        ? password
        : await vscode.window.showInputBox({
            title: 'MicroDataWarehouse: SMTP password',
            prompt: `Password of the SMTP user (microDataWarehouse.smtp.user). Kept in VS Code's secret storage, never in settings. Leave empty to remove it.`,
            password: true,
            ignoreFocusOut: true,
          });
    if (value === undefined) return;
    if (value === '') await this.secrets.delete(SMTP_PASSWORD_SECRET);
    else await this.secrets.store(SMTP_PASSWORD_SECRET, value);
    vscode.window.setStatusBarMessage(
      value === ''
        ? 'MicroDataWarehouse: SMTP password removed.'
        : 'MicroDataWarehouse: SMTP password saved.',
      5000,
    );
  }

  /** The status bar's menu: who is signed in, and what can be done about it. */
  async manage(): Promise<void> {
    const current = await this.manager.ready().then(() => this.manager.current);
    if (!current) {
      await vscode.commands.executeCommand(ACCOUNT_COMMANDS.signIn);
      return;
    }
    const items: (vscode.QuickPickItem & { command: string })[] = [
      { label: '$(sign-out) Sign Out', command: ACCOUNT_COMMANDS.signOut },
      {
        label: '$(sign-out) Sign Out Everywhere',
        description: 'every window and the mdw command line',
        command: ACCOUNT_COMMANDS.signOutEverywhere,
      },
      { label: '$(account) Sign In with Another Account', command: ACCOUNT_COMMANDS.signIn },
      { label: '$(key) Set SMTP Password', command: ACCOUNT_COMMANDS.setSmtpPassword },
      { label: '$(output) Show Logs', command: SHOW_LOGS_COMMAND },
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: `MicroDataWarehouse: signed in as ${current.email}`,
    });
    if (picked) await vscode.commands.executeCommand(picked.command);
  }

  /** Sends a code; 'retype' for a malformed address, 'cancel' when the user gives up after an error. */
  private async send(email: string): Promise<SentCode | { rateLimited: string } | 'retype' | 'cancel'> {
    for (;;) {
      try {
        return await within(this.manager.requestCode(email), SIGN_IN_MS, 'sending the code');
      } catch (e) {
        if (!isEngineError(e)) throw e;
        if (e.code === 'AUTH_EMAIL_INVALID') {
          void vscode.window.showErrorMessage(e.message);
          return 'retype';
        }
        // The code sent a moment ago still works: go on to enter it.
        if (e.code === 'AUTH_RATE_LIMITED') return { rateLimited: e.message };
        this.log.error('sending the sign-in code failed', e);
        const smtp = e.code === 'MAIL_FAILED' || e.code === 'INVALID_ARGUMENT';
        if (!smtp) {
          // The store or its key (missing, wrong, locked, damaged): retrying here cannot help, so the
          // sign-in ends now with the cause; the message stays until dismissed.
          this.fail(e.message);
          return 'cancel';
        }
        const choice = await vscode.window.showErrorMessage(
          e.message,
          'Retry',
          'Open SMTP Settings',
          'Show Logs',
        );
        if (choice === 'Retry') continue;
        if (choice === 'Open SMTP Settings') {
          void vscode.commands.executeCommand('workbench.action.openSettings', SMTP_SETTINGS_QUERY);
        } else if (choice === 'Show Logs') {
          void vscode.commands.executeCommand(SHOW_LOGS_COMMAND);
        }
        return 'cancel';
      }
    }
  }

  private promptCode(
    email: string,
    first: SentCode | { rateLimited: string },
  ): Promise<SignedInAccount | undefined> {
    const box = vscode.window.createInputBox();
    box.title = `Sign in to MicroDataWarehouse as ${email}`;
    box.placeholder = '6-digit code';
    box.ignoreFocusOut = true;
    const resend: vscode.QuickInputButton = {
      iconPath: new vscode.ThemeIcon('mail'),
      tooltip: 'Resend the code',
    };
    box.buttons = [resend];
    box.prompt = this.describe(first);
    const disposables: vscode.Disposable[] = [box];
    return new Promise<SignedInAccount | undefined>((resolve) => {
      let done = false;
      const finish = (account: SignedInAccount | undefined): void => {
        if (done) return;
        done = true;
        resolve(account);
        disposables.forEach((d) => d.dispose());
      };
      const busy = (on: boolean): void => {
        box.busy = on;
        box.enabled = !on;
      };
      disposables.push(
        box.onDidAccept(async () => {
          const code = box.value.replace(/[\s-]/g, '');
          if (!/^\d{6}$/.test(code)) {
            box.validationMessage = 'The code has 6 digits.';
            return;
          }
          busy(true);
          try {
            finish(await within(this.manager.verifyCode(email, code), SIGN_IN_MS, 'signing in'));
          } catch (e) {
            this.log.info(`code not accepted: ${isEngineError(e) ? e.code : 'error'}`);
            const message = e instanceof Error ? e.message : String(e);
            if (isEngineError(e) && CODE_ERRORS.has(e.code)) {
              const stale = e.code !== 'AUTH_CODE_WRONG';
              box.validationMessage = stale ? `${message} Use the mail button (Resend) above.` : message;
            } else {
              // Not the code's fault (the store, its key, a step that did not end): the prompt closes
              // and the message says why.
              this.log.error('signing in failed', e);
              finish(undefined);
              this.fail(message);
            }
          } finally {
            busy(false);
          }
        }),
        box.onDidTriggerButton(async (button) => {
          if (button !== resend) return;
          busy(true);
          try {
            const sent = await within(this.manager.requestCode(email), SIGN_IN_MS, 'sending the code');
            box.value = '';
            box.validationMessage = undefined;
            box.prompt = `A new code was sent. ${this.describe(sent)}`;
          } catch (e) {
            this.log.info(`resend refused: ${isEngineError(e) ? e.code : 'error'}`);
            box.validationMessage = e instanceof Error ? e.message : String(e);
          } finally {
            busy(false);
          }
        }),
        box.onDidHide(() => finish(undefined)),
        // Signed in by other means meanwhile (another window, a script): this prompt is no longer needed.
        this.manager.onDidChangeAccount((account) => {
          if (account) finish(account);
        }),
      );
      box.show();
      this.prompted.fire(email);
    });
  }

  /** Ends a sign-in that cannot go on: the message names the cause (never awaited: nothing stays busy). */
  private fail(message: string): void {
    this.failed.fire(message);
    void vscode.window.showErrorMessage(`Sign-in failed: ${message}`, 'Show Logs').then((choice) => {
      if (choice === 'Show Logs') void vscode.commands.executeCommand(SHOW_LOGS_COMMAND);
    });
  }

  private describe(sent: SentCode | { rateLimited: string }): string {
    if ('rateLimited' in sent) return `${sent.rateLimited} Enter the code sent earlier.`;
    const minutes = Math.max(1, Math.round((sent.expiresAt - Date.now()) / 60_000));
    if (sent.developmentMessage) {
      const code = codeOf(sent.developmentMessage) ?? '(see the message)';
      void vscode.window.showInformationMessage(
        `MicroDataWarehouse development delivery (no SMTP server configured): the sign-in code for ${sent.email} is ${code}.`,
      );
      return `Development delivery (no SMTP server configured, nothing was mailed): your code is ${code}. It expires in ${minutes} minutes.`;
    }
    return `A code was sent to ${sent.email}. Enter it here; it expires in ${minutes} minutes.`;
  }

  private welcome(account: SignedInAccount): void {
    vscode.window.setStatusBarMessage(`MicroDataWarehouse: signed in as ${account.email}.`, 5000);
  }
}
