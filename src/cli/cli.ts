import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfigDir, FileKeyProvider } from '../engine/crypto/keys.js';
import { databaseKeyOptions, parseEncryptionMode, type EncryptionMode } from '../engine/encryption.js';
import { EngineError, errorMessage } from '../engine/errors.js';
import { checkAllowedFolders, protectedPathsFor } from '../engine/fileAccess.js';
import type { Account } from '../engine/store/account.js';
import type { MetadataStore } from '../engine/store/metadataStore.js';
import { Warehouse } from '../engine/warehouse.js';
import { RemoteEngine, LocalEngine, type Engine } from '../engine/service/engine.js';
import { answering, servicePaths } from '../engine/service/paths.js';
import { openStore, savedToken, saveToken, signedInAccount } from './account.js';
import { UsageError, type Command, type CommandContext } from './command.js';
import { commands } from './commands.js';
import { defaultWarehouseDir } from './paths.js';

/** Streams and environment the CLI runs against (a test passes its own). */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

const GLOBAL_OPTIONS = {
  warehouse: { type: 'string' },
  'read-only': { type: 'boolean' },
  encryption: { type: 'string' },
  allow: { type: 'string', multiple: true },
  'no-service': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How a user allows another folder, for FILE_NOT_ALLOWED messages. */
const ALLOW_HINT = 'run mdw with --allow DIR (repeatable; without it, the current directory is allowed)';

const GLOBAL_HELP = `  --warehouse DIR   the warehouse folder (default: $MDW_WAREHOUSE, else the per-user data folder)
  --read-only       open every database read-only
  --encryption MODE encryption of new databases: required, when-available (default) or off
                    (default: $MDW_ENCRYPTION); see "mdw db encryption --help"
  --allow DIR       a folder SQL may read and write files in (repeatable; default: the current
                    directory, unless it contains the warehouse or the configuration folder)
  --no-service      run the engine in this process instead of the warehouse service (which the
                    commands use by default, starting it when none runs; see the README)
  -h, --help        show help`;

/** Global options that take a value: their value is not a command word. */
const VALUE_OPTIONS = new Set(['--warehouse', '--encryption', '--allow']);

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`).join('\n');
  return `mdw — MicroDataWarehouse on the command line

usage: mdw [--warehouse DIR] <command> [options]

commands:
${list}

options:
${GLOBAL_HELP}

Run "mdw <command> --help" for a command's options.
`;
}

function commandHelp(c: Command): string {
  return `usage: ${c.usage}\n\n${c.help.trimEnd()}\n\noptions:\n${GLOBAL_HELP}\n`;
}

/** Finds the command named by the leading words of argv (e.g. ["db", "create", …]). */
function findCommand(words: string[]): { command: Command; rest: string[] } | undefined {
  for (const c of commands) {
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p)) return { command: c, rest: words.slice(parts.length) };
  }
  return undefined;
}

/** Runs the `mdw` command line with `argv` (without node and script) and resolves to the exit status. */
export async function runCli(argv: string[], io: CliIo = process): Promise<number> {
  const { stdout, stderr } = io;
  // Words that name the command: not options, nor the value of a global option (`--warehouse DIR`).
  const words = argv.filter(
    (a, i) => !a.startsWith('-') && (i === 0 || !VALUE_OPTIONS.has(argv[i - 1] ?? '')),
  );
  const group = words[0];
  const found = findCommand(words);
  if (!found) {
    const wantsHelp = argv.includes('--help') || argv.includes('-h') || argv.length === 0;
    const sub = commands.filter((c) => c.name.startsWith(`${group} `));
    if (group && sub.length > 0) {
      (wantsHelp ? stdout : stderr).write(
        `usage:\n${sub.map((c) => `  ${c.usage}`).join('\n')}\n\n${sub.map((c) => `  ${c.name.padEnd(14)} ${c.summary}`).join('\n')}\n`,
      );
      return wantsHelp ? 0 : 2;
    }
    if (wantsHelp && (!group || group === 'help')) {
      stdout.write(mainHelp());
      return 0;
    }
    stderr.write(
      group === undefined
        ? 'mdw: no command given. Run "mdw --help" for the list.\n'
        : `mdw: unknown command "${group}". Run "mdw --help" for the list.\n`,
    );
    return 2;
  }
  const { command } = found;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    stderr.write(`mdw ${command.name}: ${errorMessage(e)}\nusage: ${command.usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    stdout.write(commandHelp(command));
    return 0;
  }
  const positionalsAfter = parsed.positionals.slice(command.name.split(' ').length);
  const warehouseDir =
    typeof parsed.values.warehouse === 'string' ? parsed.values.warehouse : defaultWarehouseDir(io.env);
  const readOnly = parsed.values['read-only'] === true;
  const encryptionSetting =
    typeof parsed.values.encryption === 'string'
      ? parsed.values.encryption
      : io.env.MDW_ENCRYPTION || undefined;
  let encryption: EncryptionMode;
  try {
    encryption = parseEncryptionMode(encryptionSetting ?? 'whenAvailable');
  } catch (e) {
    const from = typeof parsed.values.encryption === 'string' ? '--encryption' : '$MDW_ENCRYPTION';
    stderr.write(`mdw ${command.name}: ${from}: ${errorMessage(e)}\nusage: ${command.usage}\n`);
    return 2;
  }
  // SQL never reaches the warehouse, the configuration folder or the key file, whatever is allowed.
  const protectedPaths = [defaultConfigDir(io.env), new FileKeyProvider({ env: io.env }).file];
  const allowFlags = (parsed.values.allow as string[] | undefined) ?? [];
  if (allowFlags.length > 0) {
    const { refused } = checkAllowedFolders(
      allowFlags,
      protectedPathsFor(path.resolve(warehouseDir), protectedPaths),
    );
    if (refused.length > 0) {
      stderr.write(
        `mdw ${command.name}: --allow: ${refused.map((r) => `${r.folder} cannot be allowed: ${r.reason}`).join('; ')}. Allow a folder that holds only your data files.\nusage: ${command.usage}\n`,
      );
      return 2;
    }
  }
  const allowedFolders = allowFlags.length > 0 ? allowFlags : [process.cwd()];
  let warehouse: Warehouse | undefined;
  let store: MetadataStore | undefined;
  let account: Account | undefined;
  let engine: Engine | undefined;
  const useService = parsed.values['no-service'] !== true && !readOnly;
  const connectService = async (): Promise<Engine> => {
    const signInHint = `Nobody is signed in to the warehouse ${path.resolve(warehouseDir)}: run "mdw signin EMAIL" first.`;
    const sessionToken = savedToken(io.env, warehouseDir);
    if (!sessionToken) throw new EngineError('NOT_SIGNED_IN', signInHint);
    try {
      return await RemoteEngine.connect({
        warehouseDir,
        env: io.env,
        masterKey: () => new FileKeyProvider({ env: io.env }).getMasterKey({ create: false }),
        sessionToken,
        space: {
          encryption,
          allowedFolders: allowedFolders.map((f) => path.resolve(f)),
          protectedPaths,
          allowHint: ALLOW_HINT,
          cwd: process.cwd(),
        },
      });
    } catch (e) {
      if (e instanceof EngineError && (e.code === 'NOT_SIGNED_IN' || e.code === 'NOT_FOUND')) {
        saveToken(io.env, warehouseDir, undefined);
        throw new EngineError('NOT_SIGNED_IN', `Your session has ended. ${signInHint}`);
      }
      throw e;
    }
  };
  const ctx: CommandContext = {
    values: parsed.values as CommandContext['values'],
    positionals: positionalsAfter,
    warehouseDir,
    readOnly,
    encryption,
    env: io.env,
    stdout,
    stderr,
    stdin: io.stdin,
    openStore: async () => {
      store ??= await openStore(io.env, warehouseDir);
      return store;
    },
    account: async () => {
      account ??= (await signedInAccount(await ctx.openStore(), io.env, warehouseDir)).account;
      return account;
    },
    openWarehouse: async () => {
      if (!warehouse) {
        const signedIn = await ctx.account();
        try {
          warehouse = await Warehouse.open(warehouseDir, {
            readOnly,
            space: signedIn.space,
            encryption,
            ...databaseKeyOptions(signedIn),
            allowedFolders,
            protectedPaths,
            allowHint: ALLOW_HINT,
          });
        } catch (e) {
          if (
            e instanceof EngineError &&
            e.code === 'WAREHOUSE_LOCKED' &&
            (await answering(servicePaths(warehouseDir, io.env).socket))
          ) {
            throw new EngineError(
              'WAREHOUSE_LOCKED',
              useService
                ? `${e.message} The warehouse service holds it for VS Code or another mdw; "mdw ${command.name}" does not go through the service yet, so run it once they have closed the warehouse.`
                : `${e.message} The warehouse service holds it for VS Code or another mdw; without --no-service, mdw uses the service too.`,
              undefined,
              { cause: e },
            );
          }
          throw e;
        }
      }
      return warehouse;
    },
    engine: async () => {
      engine ??= useService
        ? await connectService()
        : new LocalEngine(await ctx.openWarehouse(), await ctx.account());
      return engine;
    },
  };
  try {
    return await command.run(ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`mdw ${command.name}: ${e.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    if (e instanceof EngineError) {
      const where =
        e.position && !e.message.includes('(line ')
          ? ` (line ${e.position.line}, column ${e.position.column})`
          : '';
      stderr.write(`mdw: error${where}: ${e.message}\n`);
      return 1;
    }
    stderr.write(`mdw: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  } finally {
    // The service closes this account's space at once when no other client uses it.
    if (engine instanceof RemoteEngine) await engine.close({ release: true });
    else await engine?.close();
    await warehouse?.close();
    await store?.close();
  }
}
