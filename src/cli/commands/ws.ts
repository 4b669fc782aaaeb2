import { EngineError } from '../../engine/errors.js';
import type { Account } from '../../engine/store/account.js';
import { formatPath, parsePath, type TreeNode } from '../../engine/store/worksheets.js';
import { positionals, str, UsageError, type Command, type CommandContext } from '../command.js';
import { formatTable } from '../format.js';
import { runAndPrint, scriptFrom } from './query.js';

const text = (name: string) => ({ name, type: 'VARCHAR', kind: 'text' as const });
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

async function nodeAt(account: Account, path: string): Promise<TreeNode> {
  const node = await account.worksheets.resolve(path);
  if (!node)
    throw new EngineError('INVALID_ARGUMENT', 'That is the root folder; give a path like /Reports/revenue.');
  return node;
}

async function worksheetAt(account: Account, path: string): Promise<TreeNode> {
  const node = await nodeAt(account, path);
  if (node.kind !== 'worksheet')
    throw new EngineError('INVALID_ARGUMENT', `${formatPath(parsePath(path))} is a folder, not a worksheet.`);
  return node;
}

async function sqlOption(ctx: CommandContext): Promise<string | undefined> {
  const sql = str(ctx, 'sql');
  if (sql !== undefined && str(ctx, 'file') !== undefined)
    throw new UsageError('give --sql or -f FILE, not both');
  if (sql !== undefined) return sql;
  if (str(ctx, 'file') !== undefined) return scriptFrom(ctx, undefined);
  return undefined;
}

/** `mdw ws …`: the signed-in account's worksheet folder tree. */
export const wsCommands: Command[] = [
  {
    name: 'ws ls',
    summary: 'list a folder of worksheets',
    usage: 'mdw [--warehouse DIR] ws ls [PATH]',
    help: 'Lists the folders (ending in /) and worksheets in PATH (default: the root, /).',
    options: {},
    async run(ctx) {
      const [path = '/'] = positionals(ctx, 0, 1);
      const account = await ctx.account();
      const parent = await account.worksheets.resolve(path);
      if (parent && parent.kind !== 'folder') {
        ctx.stdout.write(`${parent.name}\n`);
        return 0;
      }
      for (const n of await account.worksheets.children(parent?.id ?? null)) {
        ctx.stdout.write(`${n.name}${n.kind === 'folder' ? '/' : ''}\n`);
      }
      return 0;
    },
  },
  {
    name: 'ws mkdir',
    summary: 'create a folder (and missing parents)',
    usage: 'mdw [--warehouse DIR] ws mkdir PATH',
    help: 'Creates the folder PATH, e.g. /Reports/2026, with any missing parent folders.',
    options: {},
    async run(ctx) {
      const [path] = positionals(ctx, 1, 1);
      const account = await ctx.account();
      await account.worksheets.mkdir(path!, { parents: true });
      ctx.stdout.write(`created ${formatPath(parsePath(path!))}/\n`);
      return 0;
    },
  },
  {
    name: 'ws new',
    summary: 'create a worksheet',
    usage: 'mdw [--warehouse DIR] ws new PATH [--sql SQL | -f FILE] [--db NAME] [--schema NAME]',
    help: `Creates worksheet PATH (its folder must exist) holding SQL from --sql or -f FILE.
  --db, --schema   the default database and schema its statements run in`,
    options: {
      sql: { type: 'string' },
      file: { type: 'string', short: 'f' },
      db: { type: 'string' },
      schema: { type: 'string' },
    },
    async run(ctx) {
      const [path] = positionals(ctx, 1, 1);
      const account = await ctx.account();
      const sql = (await sqlOption(ctx)) ?? '';
      await account.worksheets.createAt(path!, {
        sql,
        database: str(ctx, 'db') ?? null,
        schema: str(ctx, 'schema') ?? null,
      });
      ctx.stdout.write(`created ${formatPath(parsePath(path!))}\n`);
      return 0;
    },
  },
  {
    name: 'ws save',
    summary: "replace a worksheet's SQL (keeps a revision)",
    usage: 'mdw [--warehouse DIR] ws save PATH (--sql SQL | -f FILE)',
    help: "Replaces the worksheet's SQL; the previous text stays available as a revision.",
    options: { sql: { type: 'string' }, file: { type: 'string', short: 'f' } },
    async run(ctx) {
      const [path] = positionals(ctx, 1, 1);
      const sql = await sqlOption(ctx);
      if (sql === undefined) throw new UsageError('give --sql SQL or -f FILE');
      const account = await ctx.account();
      const node = await worksheetAt(account, path!);
      await account.worksheets.save(node.id, { sql });
      ctx.stdout.write(`saved ${formatPath(parsePath(path!))}\n`);
      return 0;
    },
  },
  {
    name: 'ws cat',
    summary: "print a worksheet's SQL",
    usage: 'mdw [--warehouse DIR] ws cat PATH',
    help: "Prints the worksheet's SQL text.",
    options: {},
    async run(ctx) {
      const [path] = positionals(ctx, 1, 1);
      const account = await ctx.account();
      const ws = await account.worksheets.open((await worksheetAt(account, path!)).id);
      ctx.stdout.write(ws.sql.endsWith('\n') || ws.sql === '' ? ws.sql : `${ws.sql}\n`);
      return 0;
    },
  },
  {
    name: 'ws mv',
    summary: 'move or rename a folder or worksheet',
    usage: 'mdw [--warehouse DIR] ws mv SRC DEST',
    help: `Moves SRC into the folder DEST when DEST is an existing folder; otherwise moves it to DEST's
folder under DEST's last name. A folder cannot move into itself or its own subfolders.`,
    options: {},
    async run(ctx) {
      const [src, dest] = positionals(ctx, 2, 2);
      const account = await ctx.account();
      const node = await nodeAt(account, src!);
      const names = parsePath(dest!);
      let target: TreeNode | null | undefined;
      try {
        target = await account.worksheets.resolve(dest!);
      } catch (e) {
        if (!(e instanceof EngineError && e.code === 'NOT_FOUND')) throw e;
      }
      if (target === null || target?.kind === 'folder') {
        await account.worksheets.move(node.id, target?.id ?? null);
      } else if (target) {
        throw new EngineError('NAME_TAKEN', `${formatPath(names)} already exists.`);
      } else {
        const parent = await account.worksheets.resolve(formatPath(names.slice(0, -1)));
        if (parent && parent.kind !== 'folder')
          throw new EngineError('MOVE_INVALID', `${parent.name} is a worksheet, not a folder.`);
        const newName = names[names.length - 1]!;
        if (newName !== node.name) await account.worksheets.rename(node.id, newName);
        if ((parent?.id ?? null) !== node.parentId)
          await account.worksheets.move(node.id, parent?.id ?? null);
      }
      ctx.stdout.write(
        `moved ${formatPath(parsePath(src!))} to ${await account.worksheets.pathOf(node.id)}\n`,
      );
      return 0;
    },
  },
  {
    name: 'ws rm',
    summary: 'delete a worksheet or a folder with everything in it',
    usage: 'mdw [--warehouse DIR] ws rm PATH --yes',
    help: 'Deletes PATH; a folder goes with all its subfolders and worksheets. --yes confirms.',
    options: { yes: { type: 'boolean', short: 'y' } },
    async run(ctx) {
      const [path] = positionals(ctx, 1, 1);
      const account = await ctx.account();
      const node = await nodeAt(account, path!);
      if (ctx.values.yes !== true) {
        ctx.stderr.write(
          `mdw ws rm: add --yes to delete ${formatPath(parsePath(path!))}${node.kind === 'folder' ? ' and everything in it' : ''}.\n`,
        );
        return 2;
      }
      const r = await account.worksheets.delete(node.id);
      ctx.stdout.write(
        `deleted ${r.folders} ${r.folders === 1 ? 'folder' : 'folders'} and ${r.worksheets} ${r.worksheets === 1 ? 'worksheet' : 'worksheets'}\n`,
      );
      return 0;
    },
  },
  {
    name: 'ws run',
    summary: 'run a worksheet',
    usage: 'mdw [--warehouse DIR] ws run PATH [--format table|csv|json|ndjson]',
    help: 'Runs every statement of the worksheet in its default database and records the run in history.',
    options: { format: { type: 'string' } },
    async run(ctx) {
      const [path] = positionals(ctx, 1, 1);
      const account = await ctx.account();
      const ws = await account.worksheets.open((await worksheetAt(account, path!)).id);
      return runAndPrint(ctx, ws.sql, ws.database ?? undefined, ws.id);
    },
  },
  {
    name: 'ws history',
    summary: 'show recent runs',
    usage: 'mdw [--warehouse DIR] ws history [PATH] [--search TEXT] [--limit N]',
    help: 'Lists recent runs (of one worksheet with PATH), newest first; --search filters by SQL text.',
    options: { search: { type: 'string' }, limit: { type: 'string' } },
    async run(ctx) {
      const [path] = positionals(ctx, 0, 1);
      const account = await ctx.account();
      const limit = Number(str(ctx, 'limit') ?? '20');
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit takes a whole number ≥ 1');
      const query = { limit, ...(path ? { worksheetId: (await worksheetAt(account, path)).id } : {}) };
      const search = str(ctx, 'search');
      const entries = search
        ? await account.history.search(search, query)
        : await account.history.list(query);
      if (entries.length === 0) {
        ctx.stdout.write('(no runs)\n');
        return 0;
      }
      ctx.stdout.write(
        formatTable(
          [
            text('started'),
            text('status'),
            { name: 'ms', type: 'BIGINT', kind: 'integer' },
            { name: 'rows', type: 'BIGINT', kind: 'integer' },
            text('sql'),
          ],
          entries.map((e) => [
            when(e.startedAt),
            e.status,
            e.durationMs,
            e.rows,
            e.sql.replace(/\s+/g, ' ').trim(),
          ]),
          80,
        ),
      );
      return 0;
    },
  },
  {
    name: 'ws revisions',
    summary: "list a worksheet's saved revisions",
    usage: 'mdw [--warehouse DIR] ws revisions PATH',
    help: 'Lists the last 20 saved states of the worksheet, newest first, with the ids restore takes.',
    options: {},
    async run(ctx) {
      const [path] = positionals(ctx, 1, 1);
      const account = await ctx.account();
      const revs = await account.worksheets.revisions((await worksheetAt(account, path!)).id);
      ctx.stdout.write(
        formatTable(
          [text('revision'), text('saved'), text('sql')],
          revs.map((r) => [r.id, when(r.savedAt), r.sql.replace(/\s+/g, ' ').trim()]),
          60,
        ),
      );
      return 0;
    },
  },
  {
    name: 'ws restore',
    summary: 'restore a revision of a worksheet',
    usage: 'mdw [--warehouse DIR] ws restore PATH REVISION',
    help: 'Makes the worksheet hold REVISION again (the current text becomes a revision too).',
    options: {},
    async run(ctx) {
      const [path, revision] = positionals(ctx, 2, 2);
      const account = await ctx.account();
      await account.worksheets.restore((await worksheetAt(account, path!)).id, revision!);
      ctx.stdout.write(`restored ${formatPath(parsePath(path!))} to revision ${revision}\n`);
      return 0;
    },
  },
];
