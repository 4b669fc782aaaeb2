import * as readline from 'node:readline';
import { AuthService } from '../../engine/auth/auth.js';
import { DevelopmentMailer } from '../../engine/auth/mailer.js';
import { EngineError } from '../../engine/errors.js';
import { mailerFrom, savedToken, saveToken } from '../account.js';
import { positionals, str, type Command, type CommandContext } from '../command.js';

/** Reads one line from standard input (prompting on a terminal); undefined at end of input. */
function readLine(ctx: CommandContext, prompt: string): Promise<string | undefined> {
  const input = ctx.stdin as NodeJS.ReadStream;
  return new Promise((resolve) => {
    const rl = readline.createInterface({
      input,
      output: input.isTTY ? (ctx.stderr as NodeJS.WriteStream) : undefined,
      terminal: input.isTTY === true,
    });
    let answered = false;
    rl.on('line', (line) => {
      answered = true;
      rl.close();
      resolve(line.trim());
    });
    rl.on('close', () => {
      if (!answered) resolve(undefined);
    });
    if (input.isTTY) {
      rl.setPrompt(prompt);
      rl.prompt();
    }
  });
}

async function finish(ctx: CommandContext, auth: AuthService, email: string, code: string): Promise<number> {
  const signIn = await auth.verifyCode(email, code);
  saveToken(ctx.env, ctx.warehouseDir, signIn.token);
  const shown = await signIn.account.email();
  ctx.stdout.write(`signed in as ${shown}${signIn.created ? ' (new account)' : ''}\n`);
  return 0;
}

/** `mdw signin`, `mdw signout`, `mdw whoami`. */
export const authCommands: Command[] = [
  {
    name: 'signin',
    summary: 'sign in with a code sent by email',
    usage: 'mdw [--warehouse DIR] signin EMAIL [--code CODE]',
    help: `Sends a 6-digit code to EMAIL, then reads it from the terminal or standard input. With
--code, checks a code sent earlier and sends nothing. The first sign-in creates the account.

Mail goes through $MDW_SMTP_URL (smtp://user:pass@host:port for STARTTLS, smtps://… for TLS) from
$MDW_MAIL_FROM; $MDW_SMTP_CA_FILE trusts a private certificate authority. Without $MDW_SMTP_URL the
message is printed on stderr, labelled as development delivery. Codes expire after 10 minutes and
work once; a new code can be sent 30 s after the last, at most 5 an hour.

  --code CODE   the code you received`,
    options: { code: { type: 'string' } },
    async run(ctx) {
      const [email] = positionals(ctx, 1, 1);
      const store = await ctx.openStore();
      const given = str(ctx, 'code');
      if (given !== undefined) {
        return finish(ctx, new AuthService(store, new DevelopmentMailer(() => undefined)), email!, given);
      }
      const mailer = mailerFrom(ctx.env, ctx.stderr);
      const auth = new AuthService(store, mailer);
      try {
        const sent = await auth.requestCode(email!);
        ctx.stderr.write(
          `A sign-in code was sent to ${sent.email}; it expires at ${new Date(sent.expiresAt).toLocaleTimeString()}.\n`,
        );
      } finally {
        if ('close' in mailer && typeof mailer.close === 'function') (mailer.close as () => void)();
      }
      for (let attempt = 0; attempt < 3; attempt++) {
        const code = await readLine(ctx, 'Code: ');
        if (code === undefined || code === '') {
          ctx.stderr.write(`No code was entered. When it arrives, run: mdw signin ${email} --code CODE\n`);
          return 0;
        }
        try {
          return await finish(ctx, auth, email!, code);
        } catch (e) {
          if (
            !(e instanceof EngineError) ||
            e.code !== 'AUTH_CODE_WRONG' ||
            !(ctx.stdin as NodeJS.ReadStream).isTTY
          )
            throw e;
          ctx.stderr.write(`${e.message}\n`);
        }
      }
      return 1;
    },
  },
  {
    name: 'signout',
    summary: 'sign out (--everywhere ends every session of the account)',
    usage: 'mdw [--warehouse DIR] signout [--everywhere]',
    help: "Ends this command line's session. --everywhere ends every session of the account, in VS Code too.",
    options: { everywhere: { type: 'boolean' } },
    async run(ctx) {
      positionals(ctx, 0, 0);
      const token = savedToken(ctx.env, ctx.warehouseDir);
      if (!token) {
        ctx.stdout.write('not signed in\n');
        return 0;
      }
      const store = await ctx.openStore();
      if (ctx.values.everywhere === true) {
        const account = await ctx.account();
        const n = await account.signOutEverywhere();
        ctx.stdout.write(`signed out everywhere (${n} ${n === 1 ? 'session' : 'sessions'} ended)\n`);
      } else {
        await new AuthService(store, new DevelopmentMailer(() => undefined)).signOut(token);
        ctx.stdout.write('signed out\n');
      }
      saveToken(ctx.env, ctx.warehouseDir, undefined);
      return 0;
    },
  },
  {
    name: 'whoami',
    summary: 'show the signed-in account',
    usage: 'mdw [--warehouse DIR] whoami',
    help: 'Prints the email address of the signed-in account.',
    options: {},
    async run(ctx) {
      positionals(ctx, 0, 0);
      const account = await ctx.account();
      ctx.stdout.write(`${await account.email()}\n`);
      return 0;
    },
  },
];
