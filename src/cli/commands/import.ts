import { parseTableName } from '../../engine/import.js';
import { positionals, str, UsageError, type Command } from '../command.js';

const FORMATS = ['csv', 'parquet', 'json', 'ndjson'] as const;

/** `mdw import`: load a file into a table. */
export const importCommand: Command = {
  name: 'import',
  summary: 'load a CSV, Parquet or JSON file into a table',
  usage: 'mdw [--warehouse DIR] import FILE DB.SCHEMA.TABLE [--append] [--format csv|parquet|json|ndjson]',
  help: `Creates table DB.SCHEMA.TABLE from FILE (or appends to it with --append, checking that the
columns match). The format comes from the file extension unless --format is given. Quote parts that
contain dots: sales.main."odd.name".`,
  options: { append: { type: 'boolean' }, format: { type: 'string' } },
  async run(ctx) {
    const [file, target] = positionals(ctx, 2, 2);
    const format = str(ctx, 'format');
    if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    }
    const r = await (
      await ctx.engine()
    ).databases.importFile(file!, parseTableName(target!), {
      append: ctx.values.append === true,
      ...(format ? { format: format as (typeof FORMATS)[number] } : {}),
    });
    const t = r.target;
    ctx.stdout.write(
      `${r.created ? 'created' : 'appended to'} ${t.database}.${t.schema}.${t.table}: ${r.rows} ${r.rows === 1 ? 'row' : 'rows'} from ${file} (${r.format})\n`,
    );
    return 0;
  },
};
