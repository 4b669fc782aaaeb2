import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatabaseInfo } from '../../engine/databases.js';
import {
  DEFAULT_INSTALL_TIMEOUT_MS,
  installCrypto,
  probeCrypto,
  type EncryptionMode,
} from '../../engine/encryption.js';
import { EngineError } from '../../engine/errors.js';
import { positionals, str, UsageError, type Command, type CommandContext } from '../command.js';
import { formatTable } from '../format.js';

function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

const MODE_NAMES: Record<EncryptionMode, string> = {
  required: 'required',
  whenAvailable: 'when-available',
  off: 'off',
};

function encryptedColumn(d: DatabaseInfo): string {
  if (!d.encrypted) return 'no';
  if (!d.attached) return 'yes (not attached)';
  return d.readOnly ? 'yes (read-only)' : 'yes';
}

function seconds(ctx: CommandContext): number {
  const given = str(ctx, 'timeout');
  if (given === undefined) return DEFAULT_INSTALL_TIMEOUT_MS;
  const value = Number(given);
  if (!Number.isFinite(value) || value <= 0 || value > 3600) {
    throw new UsageError(`--timeout must be a number of seconds from 1 to 3600, not "${given}"`);
  }
  return value * 1000;
}

/** `mdw db …`: create, list, rename and drop databases. */
export const dbCommands: Command[] = [
  {
    name: 'db create',
    summary: 'create a database',
    usage: 'mdw [--warehouse DIR] db create NAME',
    help: 'Creates an empty database NAME. Names use letters, digits, "_" and "-" and are unique\nregardless of case.',
    options: {},
    async run(ctx) {
      const [name] = positionals(ctx, 1, 1);
      const db = await (await ctx.engine()).databases.create(name!);
      ctx.stdout.write(
        `created ${db.encrypted ? 'encrypted' : 'unencrypted'} database ${db.name} (${db.path})\n`,
      );
      if (db.encryptionNote) ctx.stderr.write(`note: ${db.encryptionNote}\n`);
      return 0;
    },
  },
  {
    name: 'db list',
    summary: 'list databases',
    usage: 'mdw [--warehouse DIR] db list [--format table|json]',
    help: `Lists the databases of the warehouse with their size on disk and whether each is encrypted.
An encrypted database is read-only while DuckDB's OpenSSL crypto is not installed, and not attached
when its key is missing or wrong; notes below the table say why.`,
    options: { format: { type: 'string' } },
    async run(ctx) {
      positionals(ctx, 0, 0);
      const format = ctx.values.format ?? 'table';
      const { databases: dbs, encryption } = await (await ctx.engine()).databases.list();
      if (format === 'json') {
        ctx.stdout.write(JSON.stringify({ databases: dbs }, null, 2) + '\n');
      } else if (format === 'table') {
        if (dbs.length === 0) {
          ctx.stdout.write('no databases yet: create one with "mdw db create NAME"\n');
        } else {
          ctx.stdout.write(
            formatTable(
              [
                { name: 'name', type: 'VARCHAR', kind: 'text' },
                { name: 'encrypted', type: 'VARCHAR', kind: 'text' },
                { name: 'size', type: 'VARCHAR', kind: 'text' },
                { name: 'file', type: 'VARCHAR', kind: 'text' },
              ],
              dbs.map((d) => [d.name, encryptedColumn(d), size(d.sizeBytes), d.path]),
              200,
            ),
          );
          for (const d of dbs) {
            // "is not encrypted" for every plain database would drown the notes that matter.
            if (d.encryptionNote && d.encrypted) ctx.stdout.write(`note: ${d.encryptionNote}\n`);
          }
          if (dbs.some((d) => !d.encrypted) && encryption.mode !== 'off' && !encryption.available) {
            ctx.stdout.write(
              `note: databases marked "no" are not encrypted: ${encryption.detail} See "mdw db encryption".\n`,
            );
          }
        }
      } else {
        throw new EngineError('INVALID_ARGUMENT', `--format must be table or json, not "${String(format)}".`);
      }
      return 0;
    },
  },
  {
    name: 'db rename',
    summary: 'rename a database',
    usage: 'mdw [--warehouse DIR] db rename OLD NEW',
    help: 'Renames database OLD to NEW (its file is renamed too).',
    options: {},
    async run(ctx) {
      const [from, to] = positionals(ctx, 2, 2);
      const db = await (await ctx.engine()).databases.rename(from!, to!);
      ctx.stdout.write(`renamed database ${from} to ${db.name}\n`);
      return 0;
    },
  },
  {
    name: 'db drop',
    summary: 'drop a database (deletes its file)',
    usage: 'mdw [--warehouse DIR] db drop NAME --yes',
    help: 'Detaches database NAME and deletes its file. --yes confirms; without it nothing happens.',
    options: { yes: { type: 'boolean', short: 'y' } },
    async run(ctx) {
      const [name] = positionals(ctx, 1, 1);
      if (ctx.values.yes !== true) {
        ctx.stderr.write(
          `mdw db drop: dropping "${name}" deletes its file and all its tables; add --yes to confirm.\n`,
        );
        return 2;
      }
      await (await ctx.engine()).databases.drop(name!);
      ctx.stdout.write(`dropped database ${name}\n`);
      return 0;
    },
  },
  {
    name: 'db encryption',
    summary: 'show or enable encryption of databases',
    usage:
      'mdw [--warehouse DIR] [--encryption MODE] db encryption [--install [--from SOURCE] [--timeout S]]',
    help: `Shows whether new databases are encrypted. Databases are encrypted with DuckDB's own encryption
(a random key per database, kept sealed in your account) when DuckDB's OpenSSL crypto, the httpfs
extension, is installed in the warehouse's extensions folder. It is never downloaded on its own.

  --install         download and install httpfs into the warehouse (needs the network once)
  --from SOURCE     install from an extension repository URL (a mirror of extensions.duckdb.org)
                    or from a local httpfs.duckdb_extension file; signatures are checked
  --timeout S       give up after S seconds (default ${DEFAULT_INSTALL_TIMEOUT_MS / 1000})

The setting (--encryption or $MDW_ENCRYPTION): when-available (default) encrypts new databases when
it can and otherwise creates them unencrypted with a note; required refuses to create a database it
cannot encrypt; off creates unencrypted ones. Encrypted databases always open with their key; without
httpfs they open read-only.`,
    options: {
      install: { type: 'boolean' },
      from: { type: 'string' },
      timeout: { type: 'string' },
    },
    async run(ctx) {
      positionals(ctx, 0, 0);
      const extensionsDir = path.join(ctx.warehouseDir, 'extensions');
      const install = ctx.values.install === true;
      if (!install && (ctx.values.from !== undefined || ctx.values.timeout !== undefined)) {
        throw new UsageError('--from and --timeout go with --install');
      }
      if (install) {
        if (!fs.existsSync(path.join(ctx.warehouseDir, 'warehouse.json'))) {
          throw new EngineError(
            'WAREHOUSE_INVALID',
            `${path.resolve(ctx.warehouseDir)} is not a warehouse yet: sign in to it first ("mdw signin EMAIL").`,
          );
        }
        const timeoutMs = seconds(ctx);
        ctx.stderr.write(
          `installing httpfs into ${extensionsDir} (giving up after ${timeoutMs / 1000} s)...\n`,
        );
        const status = await installCrypto(extensionsDir, { timeoutMs, source: str(ctx, 'from') });
        ctx.stdout.write(`installed: ${status.detail}\n`);
        ctx.stdout.write('New databases will be encrypted; encrypted ones are writable when next opened.\n');
        return 0;
      }
      const status = await probeCrypto(extensionsDir);
      const mode = ctx.encryption;
      const outcome =
        mode === 'off'
          ? 'created unencrypted (encryption is off)'
          : status.available
            ? 'encrypted'
            : mode === 'required'
              ? 'refused (encryption is required but not available)'
              : 'created unencrypted, with a note';
      ctx.stdout.write(
        `setting:        ${MODE_NAMES[mode]}\nOpenSSL crypto: ${status.available ? 'available' : 'not available'}: ${status.detail}\nnew databases:  ${outcome}\n`,
      );
      if (!status.available) {
        ctx.stdout.write(
          'To enable encryption, run "mdw db encryption --install" (needs the network once).\n',
        );
      }
      return 0;
    },
  },
];
