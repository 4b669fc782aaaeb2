import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { codeIn, startSmtp, type TestSmtp } from '../support/smtp.js';
import { mdw, type CliRun } from '../support/cli.js';

/** The extension under test, as published in package.json. */
export const EXTENSION_ID = 'microdatawarehouse.microdatawarehouse';

/** Prints a line into the test report, between mocha's own lines. */
export function note(message: string): void {
  Mocha.reporters.Base.consoleLog(`      · ${message}`);
}

/** The extension under test; fails the test when VS Code did not load it. */
export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
  return ext;
}

/** The package.json the extension host loaded the extension from. */
export interface Manifest {
  activationEvents?: string[];
  contributes: {
    commands?: { command: string }[];
    views?: Record<string, { id: string; type?: string }[]>;
    viewsContainers?: Record<string, { id: string }[]>;
    customEditors?: { viewType: string }[];
  };
}

export function manifest(): Manifest {
  return JSON.parse(
    fs.readFileSync(path.join(extension().extensionPath, 'package.json'), 'utf8'),
  ) as Manifest;
}

/** A real SMTP server on 127.0.0.1 for this test run, started on first use (see test/support/smtp.ts). */
let smtp: Promise<TestSmtp> | undefined;

/** Points the `microDataWarehouse.smtp.*` settings (User settings: they are application-scoped and read from the user level only) at the test server. */
export async function testSmtp(): Promise<TestSmtp> {
  smtp ??= startSmtp({ tls: 'none' });
  const server = await smtp;
  const config = vscode.workspace.getConfiguration('microDataWarehouse');
  const global = vscode.ConfigurationTarget.Global;
  await config.update('smtp.host', '127.0.0.1', global);
  await config.update('smtp.port', server.port, global);
  await config.update('smtp.security', 'none', global);
  await config.update('smtp.from', 'MicroDataWarehouse tests <mdw@example.test>', global);
  return server;
}

/** Stops the test SMTP server and clears the settings (suites call it in their teardown; a later suite starts another). */
export async function stopTestSmtp(): Promise<void> {
  const running = smtp;
  smtp = undefined;
  await (await running)?.close();
  const config = vscode.workspace.getConfiguration('microDataWarehouse');
  for (const key of ['smtp.host', 'smtp.port', 'smtp.security', 'smtp.from']) {
    await config.update(key, undefined, vscode.ConfigurationTarget.Global);
  }
}

/**
 * Signs in as a user would, through the Sign In command: the code goes to the real SMTP server, is read
 * from the mail there and entered through the command's arguments (the prompt it opened closes itself).
 */
export async function signIn(email: string): Promise<string> {
  const server = await testSmtp();
  const { parts } = (await extension().activate()) as {
    parts: { accountCommands: { onDidShowCodePrompt: vscode.Event<string> } };
  };
  // The code is stored once the prompt opens; the mail may arrive a moment earlier.
  const shown = new Promise<void>((resolve) => {
    const listener = parts.accountCommands.onDidShowCodePrompt((to) => {
      if (to !== email) return;
      listener.dispose();
      resolve();
    });
  });
  const prompting = vscode.commands.executeCommand('microDataWarehouse.account.signIn', { email });
  await shown;
  const code = codeIn(await server.next(email));
  await vscode.commands.executeCommand('microDataWarehouse.account.signIn', { email, code });
  const account = (await prompting) as { email: string } | undefined;
  assert.equal(account?.email, email, 'the sign-in prompt closed with the account');
  return code;
}

/** Polls `check` every 50 ms until it returns something other than undefined/false; fails after `ms`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Signs `mdw` (in its own process, with `env`) in to `warehouse` as `email`, which this window signed in as
 * moments ago: a new code for the address may be sent when the message says; development delivery prints it.
 */
export async function signInCli(warehouse: string, email: string, env: NodeJS.ProcessEnv): Promise<void> {
  const cli = (...args: string[]): Promise<CliRun> => mdw(['--warehouse', warehouse, ...args], { env });
  let sent = await cli('signin', email);
  for (let tries = 0; sent.code !== 0 && tries < 3; tries++) {
    const wait = /Try again in (\d+) seconds?/.exec(sent.stderr)?.[1];
    assert.ok(wait, sent.stderr);
    await new Promise((r) => setTimeout(r, (Number(wait) + 1) * 1000));
    sent = await cli('signin', email);
  }
  assert.equal(sent.code, 0, sent.stderr);
  const code = /code is (\d{6})/.exec(sent.stderr)?.[1];
  assert.ok(code, sent.stderr);
  const done = await cli('signin', email, '--code', code);
  assert.equal(done.code, 0, done.stderr);
}
