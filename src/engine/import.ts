import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBResultReader } from '@duckdb/node-api';
import { checkObjectName } from './catalog.js';
import { duckdb } from './duckdb.js';
import { instanceConfig } from './encryption.js';
import { EngineError, errorMessage } from './errors.js';
import { INTERNAL_PREFIX, quoteIdent, quoteQualified, quoteString } from './names.js';
import type { Warehouse } from './warehouse.js';

/** File formats {@link importFile} reads. */
export type ImportFormat = 'csv' | 'parquet' | 'json' | 'ndjson';

/** Where an import goes. */
export interface ImportTarget {
  database: string;
  /** Default "main". Created if missing. */
  schema?: string;
  table: string;
}

/** Options for {@link importFile}. */
export interface ImportOptions {
  /** Default: from the file's extension (.csv .tsv .txt, .parquet .pq, .json, .ndjson .jsonl; also .gz/.zst). */
  format?: ImportFormat;
  /** Append to an existing table (columns matched by name, values type-checked) instead of creating it. */
  append?: boolean;
  /** Aborting interrupts the import; nothing is written. */
  signal?: AbortSignal;
}

/** What an import did. */
export interface ImportResult {
  /** Rows written. */
  rows: number;
  /** True when the table was created, false when rows were appended. */
  created: boolean;
  format: ImportFormat;
  target: Required<ImportTarget>;
}

const EXTENSIONS: Record<string, ImportFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
};

/** The format implied by a file name, or undefined. */
export function formatFromFileName(file: string): ImportFormat | undefined {
  const base = path
    .basename(file)
    .toLowerCase()
    .replace(/\.(gz|zst)$/, '');
  return EXTENSIONS[path.extname(base)];
}

/**
 * Parses `db.schema.table` or `db.table` (schema "main"); parts may be double-quoted, with `""` for a
 * quote, so names with dots or spaces can be given: `sales."my schema"."a.b"`.
 */
export function parseTableName(text: string): Required<ImportTarget> {
  const parts: string[] = [];
  let i = 0;
  const bad = (why: string): EngineError =>
    new EngineError(
      'NAME_INVALID',
      `"${text}" is not a table name (${why}). Use DB.SCHEMA.TABLE or DB.TABLE; double-quote parts that contain dots, spaces or quotes.`,
    );
  while (i <= text.length) {
    let part = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw bad('unclosed quote');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i++];
      }
      if (i < text.length && text[i] !== '.') throw bad('text after a closing quote');
    } else {
      const end = text.indexOf('.', i);
      part = text.slice(i, end === -1 ? text.length : end);
      if (part.includes('"')) throw bad('a quote inside an unquoted part');
      i = end === -1 ? text.length : end;
    }
    if (part.length === 0) throw bad('an empty part');
    parts.push(part);
    i++;
  }
  if (parts.length === 2) return { database: parts[0]!, schema: 'main', table: parts[1]! };
  if (parts.length === 3) return { database: parts[0]!, schema: parts[1]!, table: parts[2]! };
  throw bad(`${parts.length} part${parts.length === 1 ? '' : 's'}`);
}

/**
 * Imports `file` into a new table, or appends to an existing one with `append`; returns the row count. The file may
 * lie outside the folders the space's SQL may use: Import File… is the user's own choice of one file, so it is read
 * by a separate in-memory DuckDB instance that may open that file and nothing else, and its chunks are appended
 * into the warehouse's (sandboxed) instance. Files of the warehouse itself, the key and config folders are refused.
 */
export async function importFile(
  w: Warehouse,
  file: string,
  target: ImportTarget | string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  w.assertWritable('import a file');
  const to = typeof target === 'string' ? parseTableName(target) : { schema: 'main', ...target };
  checkObjectName(to.schema, 'schema');
  checkObjectName(to.table, 'table');
  const source = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new EngineError('FILE_NOT_FOUND', `The file ${source} does not exist.`);
  }
  if (!stat.isFile()) throw new EngineError('IMPORT_FAILED', `${source} is not a file.`);
  w.fileAccess.assertNotProtected(source, 'import');
  const format = options.format ?? formatFromFileName(source);
  if (!format) {
    throw new EngineError(
      'IMPORT_FAILED',
      `Cannot tell the format of ${path.basename(source)} from its extension; choose csv, parquet, json or ndjson.`,
    );
  }
  if (!(format in READERS))
    throw new EngineError('INVALID_ARGUMENT', `Unknown import format "${String(format)}".`);
  const reader = READERS[format](source);
  const signal = options.signal;
  if (signal?.aborted) throw interrupted();

  const fileReader = await FileReader.open(w, source);
  let c: DuckDBConnection | undefined;
  const onAbort = (): void => {
    c?.interrupt();
    fileReader.connection.interrupt();
  };
  signal?.addEventListener('abort', onAbort);
  try {
    // Attaches only the target database (below), not every database of the space.
    c = await w.connect({ attachOnUse: true });
    const target_ = c;
    // interrupt() stops only the running statement: check between statements too.
    const run = async (sql: string): Promise<DuckDBResultReader> => {
      if (signal?.aborted) throw interrupted();
      try {
        return await target_.runAndReadAll(sql);
      } catch (e) {
        throw importError(e, source, format);
      }
    };
    const copy = async (into: CopyTarget): Promise<number> => {
      try {
        return await fileReader.copyInto(reader, target_, into, signal);
      } catch (e) {
        throw importError(e, source, format);
      }
    };
    // The sniffer reads the file: on the reader's instance, the only one allowed to.
    if (format === 'csv')
      await checkCsvSniff(async (sql) => {
        if (signal?.aborted) throw interrupted();
        try {
          return await fileReader.connection.runAndReadAll(sql);
        } catch (e) {
          throw importError(e, source, format);
        }
      }, source);
    await w.ensureAttached([to.database]);
    const database = await resolveDatabase(c, to.database);
    const resolved = { database, schema: to.schema, table: to.table };
    const table = quoteQualified([database, to.schema, to.table]);
    const existing = await tableColumns(c, resolved);
    let rows: number;
    if (existing === 'view') {
      throw new EngineError('TABLE_EXISTS', `${table} is a view; import into a table.`);
    } else if (existing && !options.append) {
      throw new EngineError(
        'TABLE_EXISTS',
        `Table ${table} already exists; choose append to add the file's rows to it, or another table name.`,
      );
    } else if (existing) {
      // The file's rows go to a temporary table first, so that its columns can be checked against the table's.
      const staged = {
        catalog: 'temp',
        schema: 'main',
        table: `${INTERNAL_PREFIX}import_${randomUUID().replaceAll('-', '')}`,
      };
      const stagedName = quoteQualified([staged.catalog, staged.schema, staged.table]);
      try {
        await copy(staged);
        const sourceColumns = (await run(`DESCRIBE SELECT * FROM ${stagedName}`))
          .getRows()
          .map(([name, type]) => ({ name: String(name), type: String(type) }));
        await checkAppend(run, stagedName, table, sourceColumns, existing);
        rows = (await run(`INSERT INTO ${table} BY NAME SELECT * FROM ${stagedName}`)).rowsChanged;
      } finally {
        await c.run(`DROP TABLE IF EXISTS ${stagedName}`).catch(() => undefined);
      }
    } else if (options.append) {
      throw new EngineError('NOT_FOUND', `Table ${table} does not exist, so there is nothing to append to.`);
    } else {
      await run('BEGIN TRANSACTION');
      try {
        await run(`CREATE SCHEMA IF NOT EXISTS ${quoteQualified([database, to.schema])}`);
        rows = await copy({ catalog: database, schema: to.schema, table: to.table });
        await run('COMMIT');
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }
    w.notifyCatalogChanged({ databases: [database] });
    return { rows, created: !existing, format, target: resolved };
  } catch (e) {
    if (signal?.aborted) throw interrupted(e);
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (c) w.release(c);
    fileReader.close();
  }
}

/** A table the file's rows are appended into. */
interface CopyTarget {
  catalog: string;
  schema: string;
  table: string;
}

/**
 * A throw-away in-memory DuckDB instance that may open exactly one file (DuckDB's allowed_paths, then external
 * access off and the configuration locked): the reader of Import File…. No extension is installed or loaded.
 */
class FileReader {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async open(w: Warehouse, file: string): Promise<FileReader> {
    const config: Record<string, string> = { ...instanceConfig(w.extensionsDir), temp_directory: '' };
    if (w.options.threads !== undefined) config.threads = String(w.options.threads);
    if (w.options.memoryLimit !== undefined) config.memory_limit = w.options.memoryLimit.trim();
    const instance = await duckdb().DuckDBInstance.create(':memory:', config);
    try {
      const connection = await instance.connect();
      await connection.run(`SET allowed_paths = [${quoteString(file)}]`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
      return new FileReader(instance, connection);
    } catch (e) {
      instance.closeSync();
      throw e;
    }
  }

  /**
   * Creates `into` with the columns and types of `SELECT * FROM reader` (a NULL-typed column becomes INTEGER, as
   * CREATE TABLE AS makes it) and appends every chunk into it on connection `c` (inside c's transaction, if any).
   */
  async copyInto(
    reader: string,
    c: DuckDBConnection,
    into: CopyTarget,
    signal?: AbortSignal,
  ): Promise<number> {
    const described = (await this.connection.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`)).getRows();
    const select = described
      .map(([name, type]) =>
        String(type) === 'NULL'
          ? `CAST(${quoteIdent(String(name))} AS INTEGER) AS ${quoteIdent(String(name))}`
          : quoteIdent(String(name)),
      )
      .join(', ');
    const result = await this.connection.stream(`SELECT ${select} FROM ${reader}`);
    const names = result.columnNames();
    const types = result.columnTypes();
    const columns = names.map((n, i) => `${quoteIdent(n)} ${types[i]!.toString()}`).join(', ');
    const temp = into.catalog === 'temp' ? 'TEMP ' : '';
    const table = temp ? quoteIdent(into.table) : quoteQualified([into.catalog, into.schema, into.table]);
    await c.run(`CREATE ${temp}TABLE ${table} (${columns})`);
    // Types must match exactly: a chunk appended into a column of another type crashes the process.
    const appender = await c.createAppender(into.table, into.schema, into.catalog);
    let rows = 0;
    try {
      for (;;) {
        if (signal?.aborted) throw interrupted();
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        appender.appendDataChunk(chunk);
        rows += chunk.rowCount;
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    return rows;
  }

  close(): void {
    try {
      this.connection.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }
}

const READERS: Record<ImportFormat, (file: string) => string> = {
  // DuckDB's COPY writes an empty string as "" and NULL as an empty field; keep them apart on the way in.
  csv: (f) => `read_csv_auto(${quoteString(f)}, allow_quoted_nulls = false)`,
  parquet: (f) => `read_parquet(${quoteString(f)})`,
  json: (f) => `read_json_auto(${quoteString(f)})`,
  ndjson: (f) => `read_json_auto(${quoteString(f)}, format = 'newline_delimited')`,
};

interface Column {
  name: string;
  type: string;
}

/** Characters files use as CSV delimiters, with the names a message gives them. */
const DELIMITERS: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'bar' };

/**
 * Refuses a CSV file whose columns DuckDB's sniffer could not find: when rows have different numbers of
 * fields or a quote is never closed, the sniffer falls back to one column (`a,b\n1,2\n3\n"x,4` reads as
 * one column named "a,b"), and the import would succeed with the wrong shape. The message says what the
 * sniffer found. A one-column file whose lines hold no usual delimiter imports as before.
 */
async function checkCsvSniff(
  run: (sql: string) => Promise<DuckDBResultReader>,
  source: string,
): Promise<void> {
  const file = quoteString(source);
  const sniff = (
    await run(`SELECT Delimiter, Quote, HasHeader, len(Columns), Columns[1].name FROM sniff_csv(${file})`)
  ).getRows()[0];
  if (!sniff || Number(sniff[3]) !== 1) return;
  const [delimiter, quote, hasHeader, , name] = sniff.map((v) => (v === null ? '' : String(v)));
  const sample = (await run(`SELECT #1::VARCHAR FROM read_csv_auto(${file}) LIMIT 20`))
    .getRows()
    .map(([v]) => (v === null ? '' : String(v)));
  const texts = hasHeader === 'true' ? [name!, ...sample] : sample;
  const found = Object.keys(DELIMITERS).find(
    (d) =>
      d !== delimiter && texts.length > 0 && texts.filter((t) => t.includes(d)).length * 2 >= texts.length,
  );
  if (found === undefined) return;
  const shown = (s: string | undefined) => (!s || s === '(empty)' ? 'none' : JSON.stringify(s));
  throw new EngineError(
    'IMPORT_FAILED',
    `Could not import ${path.basename(source)}: DuckDB's CSV sniffer found no consistent columns. It would ` +
      `read the file as one column${hasHeader === 'true' ? ` named ${JSON.stringify(name)}` : ''} (delimiter ` +
      `${shown(delimiter)}, quote ${shown(quote)}), yet most lines contain a ${DELIMITERS[found]} (${JSON.stringify(found)}): ` +
      `some rows have a different number of fields, or a quote is not closed. Nothing was imported. Fix the ` +
      `file, or read it in SQL with explicit options, e.g. read_csv('…', delim = ${quoteString(found)}, ` +
      `null_padding = true) or strict_mode = false.`,
  );
}

async function resolveDatabase(c: DuckDBConnection, name: string): Promise<string> {
  const reader = await c.runAndReadAll(
    `SELECT database_name FROM duckdb_databases() WHERE NOT internal AND lower(database_name) = lower($1)`,
    [name],
  );
  const found = reader.getRows()[0]?.[0];
  if (found === undefined || String(found).toLowerCase().startsWith(INTERNAL_PREFIX)) {
    throw new EngineError('DATABASE_NOT_FOUND', `There is no database named "${name}".`);
  }
  return String(found);
}

/** The table's columns, 'view' if it is a view, or undefined if there is no such object. */
async function tableColumns(
  c: DuckDBConnection,
  target: Required<ImportTarget>,
): Promise<Column[] | 'view' | undefined> {
  const table = quoteQualified([target.database, target.schema, target.table]);
  let rows: unknown[][];
  try {
    rows = (await c.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE ${table})`)).getRows();
  } catch (e) {
    if (/does not exist/i.test(errorMessage(e))) return undefined;
    throw new EngineError('SQL_ERROR', errorMessage(e), undefined, { cause: e });
  }
  // DESCRIBE answers for views too; a view cannot take rows.
  const views = await c.runAndReadAll(
    `SELECT 1 FROM duckdb_views() WHERE database_name = $1 AND lower(schema_name) = lower($2) AND lower(view_name) = lower($3)`,
    [target.database, target.schema, target.table],
  );
  if (views.currentRowCount > 0) return 'view';
  return rows.map(([name, type]) => ({ name: String(name), type: String(type) }));
}

/**
 * Appending matches columns by name. A column whose type differs is accepted only if every value
 * converts (checked with TRY_CAST over the file), so the error can name each column that does not.
 */
async function checkAppend(
  run: (sql: string) => Promise<DuckDBResultReader>,
  reader: string,
  table: string,
  source: Column[],
  target: Column[],
): Promise<void> {
  const byName = new Map(target.map((col) => [col.name.toLowerCase(), col]));
  const unknown = source.filter((col) => !byName.has(col.name.toLowerCase()));
  if (unknown.length > 0) {
    throw new EngineError(
      'IMPORT_MISMATCH',
      `The file has column${unknown.length === 1 ? '' : 's'} ${unknown.map((col) => quoteIdent(col.name)).join(', ')} that ${table} does not have. Its columns are ${target.map((col) => quoteIdent(col.name)).join(', ')}.`,
    );
  }
  const differing = source.filter((col) => byName.get(col.name.toLowerCase())!.type !== col.type);
  if (differing.length === 0) return;
  const checks = differing.map(
    (col, i) =>
      `count(*) FILTER (WHERE ${quoteIdent(col.name)} IS NOT NULL AND TRY_CAST(${quoteIdent(col.name)} AS ${byName.get(col.name.toLowerCase())!.type}) IS NULL) AS ${quoteIdent(`c${i}`)}`,
  );
  const result = await run(`SELECT ${checks.join(', ')} FROM ${reader}`);
  const counts = result.getRows()[0] ?? [];
  const bad = differing
    .map((col, i) => ({ col, failures: Number(counts[i] ?? 0) }))
    .filter((x) => x.failures > 0)
    .map(
      ({ col, failures }) =>
        `${quoteIdent(col.name)} (file: ${col.type}, table: ${byName.get(col.name.toLowerCase())!.type}, ${failures} value${failures === 1 ? '' : 's'} do not convert)`,
    );
  if (bad.length > 0) {
    throw new EngineError(
      'IMPORT_MISMATCH',
      `Cannot append to ${table}: mismatched column types ${bad.join('; ')}.`,
    );
  }
}

function interrupted(cause?: unknown): EngineError {
  return new EngineError('INTERRUPTED', 'The import was cancelled; nothing was written.', undefined, {
    cause,
  });
}

function importError(e: unknown, file: string, format: ImportFormat): EngineError {
  if (e instanceof EngineError) return e;
  const message = errorMessage(e);
  if (/^INTERRUPT/i.test(message)) return interrupted(e);
  const first = message.split('\n')[0]!;
  if (/^Constraint Error/i.test(message)) {
    return new EngineError(
      'SQL_CONSTRAINT',
      `Importing ${path.basename(file)} broke a constraint: ${first}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  if (/^Conversion Error/i.test(message)) {
    return new EngineError(
      'IMPORT_MISMATCH',
      `A value of ${path.basename(file)} does not fit the table: ${first}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  return new EngineError(
    'IMPORT_FAILED',
    `Could not import ${path.basename(file)} as ${format.toUpperCase()}: ${first}`,
    undefined,
    { cause: e },
  );
}
