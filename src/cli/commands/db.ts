import { EngineError } from '../../engine/errors.js';
import { positionals, type Command } from '../command.js';

/** `mdw db …`: create, list, rename and drop databases. */
export const dbCommands: Command[] = [
  {
    name: 'db create',
    summary: 'create a database',
    usage: 'mdw [--warehouse DIR] db create NAME',
    help: 'Creates an empty database NAME (letters, digits, "_" and "-").',
    options: {},
    async run(ctx) {
      const [name] = positionals(ctx, 1, 1);
      const w = await ctx.openWarehouse();
      await w.withConnection(async (c) => {
        await c.run(`ATTACH '${w.databaseFile(name!)}' AS "${name}"`);
      });
      ctx.stdout.write(`created database ${name}\n`);
      return 0;
    },
  },
  {
    name: 'db list',
    summary: 'list databases',
    usage: 'mdw [--warehouse DIR] db list',
    help: 'Lists the databases of the warehouse.',
    options: {},
    async run(ctx) {
      positionals(ctx, 0, 0);
      throw new EngineError('INVALID_ARGUMENT', 'not yet');
    },
  },
];
