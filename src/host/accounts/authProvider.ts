import * as vscode from 'vscode';
import type { AccountManager, SignedInAccount } from './accountManager.js';

/** Id and label of the authentication provider (declared in package.json). */
export const AUTH_PROVIDER_ID = 'microdatawarehouse';
export const AUTH_PROVIDER_LABEL = 'MicroDataWarehouse';

/**
 * Puts the MicroDataWarehouse account in VS Code's Accounts menu. The session token never leaves the
 * extension: `accessToken` is an opaque id, since the store can only be used here with the master key.
 */
export class MdwAuthenticationProvider implements vscode.AuthenticationProvider, vscode.Disposable {
  private readonly changed =
    new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.changed.event;
  private last: vscode.AuthenticationSession | undefined;

  private constructor(
    private readonly manager: AccountManager,
    private readonly signIn: () => Promise<SignedInAccount | undefined>,
  ) {}

  static register(
    context: vscode.ExtensionContext,
    manager: AccountManager,
    signIn: () => Promise<SignedInAccount | undefined>,
  ): MdwAuthenticationProvider {
    const provider = new MdwAuthenticationProvider(manager, signIn);
    context.subscriptions.push(
      provider,
      vscode.authentication.registerAuthenticationProvider(AUTH_PROVIDER_ID, AUTH_PROVIDER_LABEL, provider, {
        supportsMultipleAccounts: false,
      }),
      manager.onDidChangeAccount((account) => provider.update(account)),
    );
    return provider;
  }

  async getSessions(): Promise<vscode.AuthenticationSession[]> {
    await this.manager.ready();
    const current = this.manager.current;
    return current ? [sessionOf(current)] : [];
  }

  async createSession(): Promise<vscode.AuthenticationSession> {
    const account = await this.signIn();
    if (!account) throw new Error('Sign-in was cancelled.');
    return sessionOf(account);
  }

  async removeSession(): Promise<void> {
    await this.manager.signOut();
  }

  dispose(): void {
    this.changed.dispose();
  }

  private update(account: SignedInAccount | undefined): void {
    const next = account && sessionOf(account);
    const removed = this.last && this.last.id !== next?.id ? [this.last] : [];
    const added = next && this.last?.id !== next.id ? [next] : [];
    this.last = next;
    if (removed.length || added.length) this.changed.fire({ added, removed, changed: [] });
  }
}

function sessionOf(account: SignedInAccount): vscode.AuthenticationSession {
  return {
    id: account.sessionId,
    accessToken: account.sessionId,
    account: { id: account.tag, label: account.email },
    scopes: [],
  };
}
