import { EngineError } from '../../engine/errors.js';
import { parseTableName } from '../../engine/import.js';
import type { Cell, ResultColumn } from '../../shared/results.js';
import { positionals, str, UsageError, type Command } from '../command.js';
import { formatTable } from '../format.js';

const text = (name: string): ResultColumn => ({ name, type: 'VARCHAR', kind: 'text' });
const int = (name: string): ResultColumn => ({ name, type: 'BIGINT', kind: 'integer' });

/** Splits DB[.SCHEMA[.TABLE]] honouring double quotes. */
function pathParts(arg: string): string[] {
  const dots = (arg.match(/\./g) ?? []).length;
  if (!arg.includes('"') && dots === 0) return [arg];
  if (!arg.includes('"') && dots === 1) return arg.split('.');
  const t = parseTableName(arg);
  return [t.database, t.schema, t.table];
}

/** `mdw catalog`: browse databases, schemas, tables and columns. */
export const catalogCommand: Command = {
  name: 'catalog',
  summary: 'list databases, schemas, tables or columns',
  usage: 'mdw [--warehouse DIR] catalog [DB[.SCHEMA[.TABLE]]] [--format table|json]',
  help: `Without a path lists the databases; DB lists its schemas; DB.SCHEMA its tables and views
(kind and estimated rows); DB.SCHEMA.TABLE its columns (type, nullability, default).`,
  options: { format: { type: 'string' } },
  async run(ctx) {
    const [arg] = positionals(ctx, 0, 1);
    const format = str(ctx, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError('--format must be table or json');
    const parts = arg ? pathParts(arg) : [];
    const c = (await ctx.engine()).catalog;
    let json: unknown;
    let columns: ResultColumn[];
    let rows: Cell[][];
    if (parts.length === 0) {
      const dbs = await c.databases();
      json = { databases: dbs };
      columns = [text('database'), text('encrypted'), text('file')];
      rows = dbs.map((d) => [d.name, d.encrypted ? 'yes' : 'no', d.path]);
    } else if (parts.length === 1) {
      const schemas = await c.schemas(parts[0]!);
      json = { schemas };
      columns = [text('schema')];
      rows = schemas.map((s) => [s.name]);
    } else if (parts.length === 2) {
      const objects = await c.objects(parts[0]!, parts[1]!);
      json = { objects };
      columns = [text('name'), text('kind'), int('estimated rows'), int('columns')];
      rows = objects.map((o) => [o.name, o.kind, o.estimatedRows, o.columnCount]);
    } else if (parts.length === 3) {
      const cols = await c.columns(parts[0]!, parts[1]!, parts[2]!);
      json = { columns: cols };
      columns = [text('column'), text('type'), text('nullable'), text('default')];
      rows = cols.map((k) => [k.name, k.type, k.nullable ? 'yes' : 'no', k.default]);
    } else {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `"${arg}" has too many parts: use DB, DB.SCHEMA or DB.SCHEMA.TABLE.`,
      );
    }
    if (format === 'json') ctx.stdout.write(JSON.stringify(json, null, 2) + '\n');
    else if (rows.length === 0) ctx.stdout.write('(none)\n');
    else ctx.stdout.write(formatTable(columns, rows, 120));
    return 0;
  },
};
