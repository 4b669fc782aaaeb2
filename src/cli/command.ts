import type { ParseArgsConfig } from 'node:util';
import type { EncryptionMode } from '../engine/encryption.js';
import type { Engine } from '../engine/service/engine.js';
import type { Account } from '../engine/store/account.js';
import type { MetadataStore } from '../engine/store/metadataStore.js';
import type { Warehouse } from '../engine/warehouse.js';

/** A usage mistake: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What a command gets: parsed options, positionals, streams and the warehouse it acts on. */
export interface CommandContext {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  warehouseDir: string;
  readOnly: boolean;
  /** The encryption setting (--encryption, else $MDW_ENCRYPTION, else whenAvailable). */
  encryption: EncryptionMode;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  /**
   * The engine for the signed-in account: the warehouse service's client (starting the service when none runs),
   * or with --no-service or --read-only the warehouse in this process. Closed by the CLI when the command ends.
   */
  engine(): Promise<Engine>;
  /** Opens the warehouse in this process (the signed-in account's space); closed by the CLI when the command ends. */
  openWarehouse(): Promise<Warehouse>;
  /** Opens the encrypted metadata store; closed by the CLI when the command ends. */
  openStore(): Promise<MetadataStore>;
  /** The signed-in account (NOT_SIGNED_IN when nobody is). */
  account(): Promise<Account>;
}

/** One `mdw` command (or sub-command): its options, help and handler. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CommandContext): Promise<number>;
}

/** Reads all of standard input as text. */
export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The single option value `name` as a string, or undefined. */
export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Checks the positional count, else a UsageError. */
export function positionals(ctx: CommandContext, min: number, max: number): string[] {
  const p = ctx.positionals;
  if (p.length < min) throw new UsageError('missing arguments');
  if (p.length > max) throw new UsageError(`unexpected argument "${p[max]}"`);
  return p;
}
