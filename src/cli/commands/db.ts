import { EngineError } from '../../engine/errors.js';
import { positionals, type Command } from '../command.js';
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
      const w = await ctx.openWarehouse();
      const db = await w.createDatabase(name!);
      ctx.stdout.write(`created database ${db.name} (${db.path})\n`);
      return 0;
    },
  },
  {
    name: 'db list',
    summary: 'list databases',
    usage: 'mdw [--warehouse DIR] db list [--format table|json]',
    help: 'Lists the databases of the warehouse with their size on disk.',
    options: { format: { type: 'string' } },
    async run(ctx) {
      positionals(ctx, 0, 0);
      const format = ctx.values.format ?? 'table';
      const w = await ctx.openWarehouse();
      const dbs = await w.listDatabases();
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
                { name: 'size', type: 'VARCHAR', kind: 'text' },
                { name: 'file', type: 'VARCHAR', kind: 'text' },
              ],
              dbs.map((d) => [d.name, size(d.sizeBytes), d.path]),
              200,
            ),
          );
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
      const w = await ctx.openWarehouse();
      const db = await w.renameDatabase(from!, to!);
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
      const w = await ctx.openWarehouse();
      await w.dropDatabase(name!, { confirm: true });
      ctx.stdout.write(`dropped database ${name}\n`);
      return 0;
    },
  },
];
