import * as fs from 'node:fs';
import { EngineError, errorMessage } from '../../engine/errors.js';
import type { Engine } from '../../engine/service/engine.js';
import type { HistoryInput } from '../../engine/store/history.js';
import { positionals, readStdin, str, UsageError, type Command, type CommandContext } from '../command.js';
import type { OutputFormat } from '../format.js';
import { ResultWriter } from '../output.js';

const FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json', 'ndjson'];

/** The SQL of a command: the positional text, `-f FILE`, or `-` for standard input. */
export async function scriptFrom(ctx: CommandContext, positional: string | undefined): Promise<string> {
  const file = str(ctx, 'file');
  if (file !== undefined && positional !== undefined) throw new UsageError('give SQL or -f FILE, not both');
  if (file !== undefined) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new EngineError(
        'FILE_NOT_FOUND',
        `Cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      );
    }
  }
  if (positional === undefined)
    throw new UsageError('missing SQL (give it as an argument, with -f FILE, or - for standard input)');
  return positional === '-' ? readStdin(ctx.stdin) : positional;
}

function outputFormat(ctx: CommandContext): OutputFormat {
  const f = str(ctx, 'format') ?? 'table';
  if (!(FORMATS as readonly string[]).includes(f))
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  return f as OutputFormat;
}

/**
 * Records a run in the account's history. A read-only run (a read-only mount, a copy being inspected) has
 * done its work when the store cannot be written: that is a warning, not a failure.
 */
async function addToHistory(ctx: CommandContext, engine: Engine, entry: HistoryInput): Promise<void> {
  try {
    await engine.addHistory(entry);
  } catch (e) {
    if (!ctx.readOnly) throw e;
    ctx.stderr.write(`mdw: warning: the run was not added to the history: ${errorMessage(e)}\n`);
  }
}

/** Runs `script` in a new session and prints every statement's outcome; 1 if a statement failed. */
export async function runAndPrint(
  ctx: CommandContext,
  script: string,
  database: string | undefined,
  worksheetId: string | null = null,
): Promise<number> {
  const engine = await ctx.engine();
  const startedAt = Date.now();
  let rows = 0;
  const format = outputFormat(ctx);
  const session = await engine.openSession(database ? { database } : {});
  const writer = new ResultWriter(ctx.stdout, format);
  let failed: EngineError | undefined;
  let notRun = 0;
  try {
    writer.begin();
    for await (const outcome of session.runIter(script)) {
      if (outcome.status === 'rows') {
        await writer.rows(outcome.sql, outcome.result);
        rows += outcome.result.rowCount;
      } else if (outcome.status === 'changes') {
        writer.done(outcome.sql, outcome.changes);
        rows += outcome.changes;
      } else if (outcome.status === 'ok') writer.done(outcome.sql, undefined);
      else if (outcome.status === 'error') failed = outcome.error;
      else notRun++;
    }
    writer.end();
  } finally {
    await session.close();
    await addToHistory(ctx, engine, {
      worksheetId,
      sql: script,
      startedAt,
      durationMs: Date.now() - startedAt,
      rows,
      status: failed ? (failed.code === 'INTERRUPTED' ? 'cancelled' : 'error') : 'ok',
      error: failed?.message ?? null,
    });
  }
  if (failed) {
    const where =
      failed.position && !failed.message.includes('(line ')
        ? ` (line ${failed.position.line}, column ${failed.position.column})`
        : '';
    const skipped =
      notRun > 0 ? `\n${notRun} later ${notRun === 1 ? 'statement was' : 'statements were'} not run.` : '';
    ctx.stderr.write(`mdw: error${where}: ${failed.message}${skipped}\n`);
    return 1;
  }
  return 0;
}

/** `mdw query`: run SQL and print the results. */
export const queryCommand: Command = {
  name: 'query',
  summary: 'run SQL and print the results',
  usage: 'mdw [--warehouse DIR] query [--db NAME] [--format table|csv|json|ndjson] (SQL | -f FILE | -)',
  help: `Runs one or more SQL statements in one session and prints each result in order.

  --db NAME        the database unqualified names refer to (default: the first database)
  --format F       table (default), csv, json (one document) or ndjson (one row per line)
  -f, --file FILE  read the SQL from FILE; "-" as the SQL reads standard input

Exit status: 0 on success, 1 on an SQL or data error (message on stderr with line and column),
2 on a usage error.`,
  options: { db: { type: 'string' }, format: { type: 'string' }, file: { type: 'string', short: 'f' } },
  async run(ctx) {
    const [sql] = positionals(ctx, 0, 1);
    const script = await scriptFrom(ctx, sql);
    return runAndPrint(ctx, script, str(ctx, 'db'));
  },
};

/** `mdw export`: write a query's rows to a file. */
export const exportCommand: Command = {
  name: 'export',
  summary: 'write a query result to a CSV, Parquet or JSON file',
  usage: 'mdw [--warehouse DIR] export [--db NAME] (SQL | -f FILE) OUTFILE',
  help: `Runs one query and writes its rows with DuckDB's COPY; the format comes from OUTFILE's
extension: .csv, .parquet, .json (one array), .ndjson or .jsonl (one object per line).`,
  options: { db: { type: 'string' }, file: { type: 'string', short: 'f' } },
  async run(ctx) {
    const args = positionals(ctx, 1, 2);
    const out = args[args.length - 1]!;
    const sql = args.length === 2 ? args[0] : undefined;
    const script = await scriptFrom(ctx, sql);
    const db = str(ctx, 'db');
    const session = await (await ctx.engine()).openSession(db ? { database: db } : {});
    try {
      const r = await session.export(script, out);
      ctx.stdout.write(`exported ${r.rows} ${r.rows === 1 ? 'row' : 'rows'} to ${r.file}\n`);
    } finally {
      await session.close();
    }
    return 0;
  },
};
