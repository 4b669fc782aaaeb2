import type { DuckDBConnection } from '@duckdb/node-api';
import type { CatalogColumn, CatalogObject } from '../catalog.js';
import { EngineError, type EngineErrorCode } from '../errors.js';
import { quoteIdent, quoteQualified } from '../names.js';
import { sqlError } from '../query/sqlError.js';
import type {
  CompletionEntry,
  CompletionKind,
  CompletionResult,
  HoverResult,
  SignatureHelpResult,
  SqlDiagnostic,
} from '../../shared/language.js';
import type { Warehouse } from '../warehouse.js';
import {
  callAt,
  cursorContext,
  qualifierBefore,
  relationsOf,
  statementTokens,
  type RelationRef,
} from './context.js';
import {
  isName,
  keywordOf,
  lex,
  splitStatements,
  type SqlToken,
  type StatementRange,
} from '../../shared/sqlLexer.js';
import {
  loadFunctions,
  loadKeywords,
  parameterLabel,
  type FunctionInfo,
  type KeywordInfo,
} from './metadata.js';

export type {
  CompletionEntry,
  CompletionKind,
  CompletionResult,
  HoverResult,
  SignatureHelpResult,
  SignatureInfo,
} from '../../shared/language.js';

/** The database and schema unqualified names resolve in (a session's USE); default: the first database, main. */
export interface LanguageScope {
  database?: string;
  schema?: string;
}

/** A problem found without running anything, with the engine's error code. */
export interface LanguageDiagnostic extends SqlDiagnostic {
  code: EngineErrorCode;
}

/** Most suggestions returned at once; more are cut to those matching the typed prefix. */
export const MAX_COMPLETIONS = 2000;
/** Statements beyond this many are not checked (a huge script is checked in its first part). */
export const MAX_DIAGNOSED_STATEMENTS = 500;

/** Table functions that read nothing outside DuckDB, so binding a query over them is harmless. */
const SAFE_TABLE_FUNCTION =
  /^(range|generate_series|unnest|duckdb_\w+|pragma_\w+|test_all_types|sql_auto_complete)$/i;

const SORT = {
  column: '0',
  alias: '1',
  table: '2',
  view: '2',
  tableFunction: '3',
  schema: '3',
  database: '3',
  function: '4',
  keyword: '5',
};

/**
 * Completion, hover, signature help and diagnostics for DuckDB SQL over a warehouse's catalog. Plain
 * Node: the VS Code providers are thin adapters. Diagnostics parse (and for SELECTs bind) on a
 * dedicated connection; nothing is ever executed.
 */
export class LanguageService {
  private functionList?: Promise<Map<string, FunctionInfo>>;
  private keywordList?: Promise<KeywordInfo>;
  private connection?: Promise<DuckDBConnection>;
  private queue: Promise<unknown> = Promise.resolve();
  private usedScope = '';
  private closed = false;
  private readonly subscription: { dispose(): void };

  /** Made over an open warehouse; nothing is loaded until first use. */
  constructor(private readonly warehouse: Warehouse) {
    // Macros come and go with DDL; the function list is cheap to reload.
    this.subscription = warehouse.onCatalogChanged(() => {
      this.functionList = undefined;
    });
  }

  /** Functions by lower-case name (built-ins, extensions' and the user's macros). */
  functions(): Promise<Map<string, FunctionInfo>> {
    this.functionList ??= this.exclusive(loadFunctions).catch((e: unknown) => {
      this.functionList = undefined;
      throw e;
    });
    return this.functionList;
  }

  /** DuckDB's keywords. */
  keywords(): Promise<KeywordInfo> {
    this.keywordList ??= this.exclusive(loadKeywords).catch((e: unknown) => {
      this.keywordList = undefined;
      throw e;
    });
    return this.keywordList;
  }

  /** Loads what completion needs (functions, keywords, the catalog's tables) ahead of the first request. */
  async warm(scope: LanguageScope = {}): Promise<void> {
    const { database, schema } = await this.scope(scope);
    await Promise.all([this.functions(), this.keywords(), database ? this.objectsOf(database, schema) : []]);
  }

  /** Suggestions at `offset` of `text`. */
  async complete(text: string, offset: number, scopeIn: LanguageScope = {}): Promise<CompletionResult> {
    const ctx = cursorContext(text, offset);
    const result = (items: CompletionEntry[]): CompletionResult =>
      this.limit(items, ctx.prefix, ctx.replaceStart, ctx.replaceEnd);
    if (ctx.inert) return result([]);
    const scope = await this.scope(scopeIn);
    const keywords = await this.keywords();
    const name = (n: string): string => (ctx.quoted ? quoteIdent(n) : this.identifier(n, keywords));
    const items: CompletionEntry[] = [];
    const push = (label: string, kind: CompletionKind, detail?: string, documentation?: string): void => {
      items.push({
        label,
        kind,
        insertText:
          kind === 'keyword' || kind === 'function' || kind === 'tableFunction' ? label : name(label),
        ...(detail ? { detail } : {}),
        ...(documentation ? { documentation } : {}),
        sortText: SORT[kind],
      });
    };
    const pushObjects = (objects: CatalogObject[]): void => {
      for (const o of objects) push(o.name, o.kind, objectDetail(o), o.comment ?? undefined);
    };
    const pushColumns = (columns: CatalogColumn[], owner: string): void => {
      for (const c of columns) push(c.name, 'column', `${c.type} · ${owner}`);
    };
    const q = ctx.qualifier;
    if (q.length > 0) {
      const owner = q.length === 1 ? findRelation(ctx.relations, q[0]!) : undefined;
      const relation = owner
        ? await this.resolve(owner.parts, scope)
        : ctx.clause === 'expression'
          ? await this.resolve(q, scope)
          : undefined;
      if (relation && ctx.clause === 'expression') {
        pushColumns(await this.columnsOf(relation), relation.name);
      }
      if (q.length === 1) {
        const db = await this.findDatabase(q[0]!);
        if (db) {
          for (const s of await this.catalogCall(() => this.warehouse.catalog.schemas(db), [])) {
            push(s.name, 'schema', `schema in ${db}`);
          }
          pushObjects(await this.objectsOf(db, 'main'));
        } else if (scope.database) {
          pushObjects(await this.objectsOf(scope.database, q[0]!));
        }
      } else if (q.length === 2) {
        const db = await this.findDatabase(q[0]!);
        if (db) pushObjects(await this.objectsOf(db, q[1]!));
      }
    } else if (ctx.clause === 'relation') {
      for (const cte of ctx.ctes) push(cte, 'table', 'common table expression');
      if (scope.database) {
        pushObjects(await this.objectsOf(scope.database, scope.schema));
        for (const s of await this.catalogCall(() => this.warehouse.catalog.schemas(scope.database!), [])) {
          push(s.name, 'schema', `schema in ${scope.database}`);
        }
      }
      for (const d of await this.catalogCall(() => this.warehouse.catalog.databases(), [])) {
        push(d.name, 'database', d.path ?? 'database');
      }
      for (const f of (await this.functions()).values()) {
        if (f.kind === 'table')
          push(f.name, 'tableFunction', f.signatures[0]?.label, f.description ?? undefined);
      }
    } else {
      const seen = new Set<string>();
      for (const r of ctx.relations) {
        const label = r.alias ?? r.parts.at(-1)!;
        if (!seen.has(label.toLowerCase())) {
          seen.add(label.toLowerCase());
          push(label, 'alias', r.alias ? `alias of ${r.parts.join('.')}` : 'table');
        }
        const relation = await this.resolve(r.parts, scope);
        if (relation) pushColumns(await this.columnsOf(relation), label);
      }
      for (const f of (await this.functions()).values()) {
        if (f.kind !== 'table') push(f.name, 'function', f.signatures[0]?.label, f.description ?? undefined);
      }
      for (const k of keywords.all) push(k, 'keyword');
    }
    return result(dedupe(items));
  }

  /** Hover text for the name at `offset`: a table's columns and rows, a column's type, a function's signatures. */
  async hover(text: string, offset: number, scopeIn: LanguageScope = {}): Promise<HoverResult | undefined> {
    const tokens = statementTokens(lex(text), offset);
    const index = tokens.findIndex((t) => t.start <= offset && offset <= t.end && isName(t));
    if (index < 0) return undefined;
    const token = tokens[index]!;
    if (token.kind === 'word' && (await this.keywords()).reserved.has(token.value!.toUpperCase()))
      return undefined;
    const range = { start: token.start, end: token.end };
    const scope = await this.scope(scopeIn);
    const parts = [...qualifierBefore(tokens, index).names, token.value!];
    const functions = await this.functions();
    const fn = parts.length === 1 ? functions.get(token.value!.toLowerCase()) : undefined;
    if (fn && tokens[index + 1]?.kind === 'open') return { ...range, markdown: functionMarkdown(fn) };
    const { relations } = relationsOf(tokens);
    if (parts.length === 1) {
      const own = findRelation(relations, parts[0]!);
      const relation = own ? await this.resolve(own.parts, scope) : undefined;
      if (relation) return { ...range, markdown: await this.tableMarkdown(relation) };
      for (const r of relations) {
        const rel = await this.resolve(r.parts, scope);
        const column = rel ? (await this.columnsOf(rel)).find((c) => same(c.name, parts[0]!)) : undefined;
        if (rel && column) return { ...range, markdown: columnMarkdown(column, rel) };
      }
    } else {
      const owner = parts.slice(0, -1);
      const own = owner.length === 1 ? findRelation(relations, owner[0]!) : undefined;
      const rel = await this.resolve(own ? own.parts : owner, scope);
      const column = rel ? (await this.columnsOf(rel)).find((c) => same(c.name, parts.at(-1)!)) : undefined;
      if (rel && column) return { ...range, markdown: columnMarkdown(column, rel) };
    }
    const relation = await this.resolve(parts, scope);
    if (relation) return { ...range, markdown: await this.tableMarkdown(relation) };
    if (parts.length === 1) {
      const db = await this.findDatabase(parts[0]!);
      if (db) return { ...range, markdown: `**database** ${code(db)}` };
    }
    if (fn) return { ...range, markdown: functionMarkdown(fn) };
    return undefined;
  }

  /** Signature help for the function call around `offset`. */
  async signatureHelp(text: string, offset: number): Promise<SignatureHelpResult | undefined> {
    const call = callAt(text, offset);
    if (!call) return undefined;
    const fn = (await this.functions()).get(call.name.toLowerCase());
    if (!fn || fn.signatures.length === 0) return undefined;
    const signatures = fn.signatures.map((s) => {
      const parameters: { label: [number, number] }[] = [];
      let at = s.label.indexOf('(') + 1;
      for (const p of s.parameters) {
        const label = parameterLabel(p);
        parameters.push({ label: [at, at + label.length] });
        at += label.length + 2;
      }
      if (s.varargs) parameters.push({ label: [at, at + s.varargs.length + 3] });
      return { label: s.label, ...(fn.description ? { documentation: fn.description } : {}), parameters };
    });
    let active = fn.signatures.findIndex((s) => s.parameters.length > call.argument || s.varargs !== null);
    if (active < 0) active = signatures.length - 1;
    const count = signatures[active]!.parameters.length;
    return {
      signatures,
      activeSignature: active,
      activeParameter: Math.min(call.argument, Math.max(0, count - 1)),
    };
  }

  /**
   * Syntax errors of every statement (errors), then, for SELECTs over catalog tables, binder and
   * catalog errors such as unknown tables or columns (warnings). Parses and prepares only: nothing
   * runs, and queries over files or table functions that read outside DuckDB are not bound.
   */
  async diagnose(
    text: string,
    scopeIn: LanguageScope = {},
    isCancelled: () => boolean = () => false,
  ): Promise<LanguageDiagnostic[]> {
    const tokens = lex(text);
    const statements = splitStatements(text, tokens).slice(0, MAX_DIAGNOSED_STATEMENTS);
    if (statements.length === 0) return [];
    const scope = await this.scope(scopeIn);
    return this.exclusive(async (c) => {
      await this.useScope(c, scope);
      const found: LanguageDiagnostic[] = [];
      const created = new Set<string>();
      for (const statement of statements) {
        if (isCancelled() || this.closed) break;
        const madeHere = createdName(statement);
        try {
          await c.extractStatements(statement.text);
        } catch (e) {
          found.push(this.diagnostic(e, text, tokens, statement, 'error'));
          continue;
        }
        // Databases still to be attached on first use are attached, so binding sees them.
        await this.warehouse.attachReferenced(statement.text).catch(() => undefined);
        // Failing to tell whether binding is safe means not binding.
        const check = await bindable(c, statement.text, created).catch(() => false);
        if (madeHere) created.add(madeHere);
        if (!check) continue;
        try {
          const prepared = await c.prepare(statement.text);
          prepared.destroySync();
        } catch (e) {
          const d = this.diagnostic(e, text, tokens, statement, 'warning');
          if (d.code === 'SQL_CATALOG' || d.code === 'SQL_BINDER') found.push(d);
        }
      }
      return found;
    });
  }

  /** Releases the dedicated connection. Idempotent. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.dispose();
    void this.connection?.then((c) => this.warehouse.release(c)).catch(() => undefined);
  }

  private diagnostic(
    e: unknown,
    text: string,
    tokens: SqlToken[],
    statement: StatementRange,
    severity: 'error' | 'warning',
  ): LanguageDiagnostic {
    const error = sqlError(e, text, statement.text, statement.start);
    const message = error.message
      .replace(/ \(line \d+, column \d+\)$/, '')
      .replace(/\s*\n+\s*/g, ' ')
      .trim();
    let start = error.position?.offset;
    if (start === undefined) {
      const name = /with name "?([^\s"!]+)"? does not exist/.exec(message)?.[1];
      const hit = name
        ? tokens.find(
            (t) => t.start >= statement.start && t.end <= statement.end && isName(t) && same(t.value!, name),
          )
        : undefined;
      start = hit?.start ?? statement.start;
    }
    const token = tokens.find((t) => t.start <= start && start < t.end && t.kind !== 'comment');
    const end =
      token && token.start === start ? token.end : Math.min(start + 1, Math.max(statement.end, start + 1));
    return { start, end, severity, message, code: error.code };
  }

  private limit(
    items: CompletionEntry[],
    prefix: string,
    replaceStart: number,
    replaceEnd: number,
  ): CompletionResult {
    if (items.length <= MAX_COMPLETIONS) return { items, replaceStart, replaceEnd, incomplete: false };
    const lower = prefix.toLowerCase();
    const matching = lower ? items.filter((i) => i.label.toLowerCase().startsWith(lower)) : items;
    return {
      items: matching.slice(0, MAX_COMPLETIONS),
      replaceStart,
      replaceEnd,
      incomplete: true,
    };
  }

  private identifier(name: string, keywords: KeywordInfo): string {
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !keywords.reserved.has(name.toUpperCase())
      ? name
      : quoteIdent(name);
  }

  private async scope(scope: LanguageScope): Promise<{ database?: string; schema: string }> {
    const schema = scope.schema ?? 'main';
    if (scope.database) return { database: scope.database, schema };
    const first = (await this.catalogCall(() => this.warehouse.catalog.databases(), []))[0];
    return first ? { database: first.name, schema } : { schema };
  }

  private async useScope(c: DuckDBConnection, scope: { database?: string; schema: string }): Promise<void> {
    if (!scope.database) return;
    const target = quoteQualified([scope.database, scope.schema]);
    if (target === this.usedScope) return;
    try {
      await this.warehouse.ensureAttached([scope.database]);
      await c.run(`USE ${target}`);
      this.usedScope = target;
    } catch {
      // an unknown database or schema: names resolve where they did
    }
  }

  /** The catalog object `parts` names from `scope`: [t], [schema, t] or [db, t] (DuckDB's order), [db, s, t]. */
  private async resolve(
    parts: string[],
    scope: { database?: string; schema: string },
  ): Promise<CatalogObject | undefined> {
    if (parts.length >= 3) return this.findObject(parts.at(-3)!, parts.at(-2)!, parts.at(-1)!);
    if (parts.length === 2) {
      return (
        (scope.database ? await this.findObject(scope.database, parts[0]!, parts[1]!) : undefined) ??
        (await this.findObject(parts[0]!, 'main', parts[1]!))
      );
    }
    if (parts.length === 1 && scope.database) return this.findObject(scope.database, scope.schema, parts[0]!);
    return undefined;
  }

  private async findObject(
    database: string,
    schema: string,
    name: string,
  ): Promise<CatalogObject | undefined> {
    return (await this.objectsOf(database, schema)).find((o) => same(o.name, name));
  }

  private async findDatabase(name: string): Promise<string | undefined> {
    return (await this.catalogCall(() => this.warehouse.catalog.databases(), [])).find((d) =>
      same(d.name, name),
    )?.name;
  }

  private objectsOf(database: string, schema: string): Promise<CatalogObject[]> {
    return this.catalogCall(() => this.warehouse.catalog.objects(database, schema), []);
  }

  private columnsOf(o: CatalogObject): Promise<CatalogColumn[]> {
    return this.catalogCall(() => this.warehouse.catalog.columns(o.database, o.schema, o.name), []);
  }

  /** A catalog lookup where "not found" means "nothing to suggest". */
  private async catalogCall<T>(load: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await load();
    } catch (e) {
      if (e instanceof EngineError && ['NOT_FOUND', 'DATABASE_NOT_FOUND'].includes(e.code)) return fallback;
      throw e;
    }
  }

  private async tableMarkdown(o: CatalogObject): Promise<string> {
    const columns = await this.columnsOf(o);
    const rows = o.estimatedRows === null ? '' : ` · ~${o.estimatedRows.toLocaleString('en-US')} rows`;
    const lines = [
      `**${o.kind}** ${code(`${o.database}.${o.schema}.${o.name}`)}${rows}`,
      '',
      ...(o.comment ? [escapeMarkdown(o.comment), ''] : []),
      '| column | type |',
      '| --- | --- |',
      ...columns.slice(0, 60).map((c) => `| ${cell(c.name)}${c.primaryKey ? ' 🔑' : ''} | ${cell(c.type)} |`),
    ];
    if (columns.length > 60) lines.push(`| … ${columns.length - 60} more | |`);
    return lines.join('\n');
  }

  /** Runs `fn` on the service's own connection, one call at a time. */
  private exclusive<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new EngineError('WAREHOUSE_CLOSED', 'The language service is closed.');
      // Attaches what a statement names before binding it (see diagnose()), not every database at first.
      this.connection ??= this.warehouse.connect({ attachOnUse: true });
      return fn(await this.connection);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Statement ranges of a script, for CodeLens and folding (the engine's own splitter). */
export function statementRanges(text: string): StatementRange[] {
  return splitStatements(text);
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function findRelation(relations: RelationRef[], name: string): RelationRef | undefined {
  return (
    relations.find((r) => r.alias !== undefined && same(r.alias, name)) ??
    relations.find((r) => r.alias === undefined && same(r.parts.at(-1)!, name))
  );
}

function dedupe(items: CompletionEntry[]): CompletionEntry[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = `${i.kind}\0${i.label}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function objectDetail(o: CatalogObject): string {
  const rows = o.estimatedRows === null ? '' : `, ~${o.estimatedRows.toLocaleString('en-US')} rows`;
  return `${o.kind} in ${o.database}.${o.schema}${rows}`;
}

/** The name a CREATE statement makes (lower case, last part), so later statements may use it. */
function createdName(statement: StatementRange): string | undefined {
  const t = lex(statement.text).filter((x) => x.kind !== 'comment');
  if (keywordOf(t[0]) !== 'CREATE') return undefined;
  let i = 1;
  while (['OR', 'REPLACE', 'TEMP', 'TEMPORARY', 'PERSISTENT', 'SECRET', 'UNIQUE'].includes(keywordOf(t[i])))
    i++;
  if (
    !['TABLE', 'VIEW', 'MACRO', 'FUNCTION', 'SEQUENCE', 'TYPE', 'SCHEMA', 'INDEX'].includes(keywordOf(t[i]))
  )
    return undefined;
  i++;
  if (keywordOf(t[i]) === 'IF') i += 3;
  let name: string | undefined;
  while (isName(t[i])) {
    name = t[i]!.value!;
    if (t[i + 1]?.kind !== 'dot') break;
    i += 2;
  }
  return name?.toLowerCase();
}

/**
 * True when a statement is a SELECT that can be bound without reading outside DuckDB and without
 * naming what an earlier statement of the script creates.
 */
async function bindable(c: DuckDBConnection, sql: string, created: Set<string>): Promise<boolean> {
  const reader = await c.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const json = String(reader.getRows()[0]?.[0] ?? '');
  let tree: unknown;
  try {
    tree = JSON.parse(json);
  } catch {
    return false;
  }
  if (!tree || typeof tree !== 'object' || (tree as { error?: boolean }).error !== false) return false;
  let ok = true;
  const walk = (node: unknown): void => {
    if (!ok || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    const o = node as Record<string, unknown>;
    if (o.type === 'BASE_TABLE' && typeof o.table_name === 'string') {
      // Names like 'data.csv' or 's3://…' are replacement scans: binding them reads files.
      if (/[./\\*:]/.test(o.table_name) || created.has(o.table_name.toLowerCase())) ok = false;
    } else if (o.type === 'TABLE_FUNCTION') {
      const f = o.function as { function_name?: unknown } | undefined;
      if (typeof f?.function_name !== 'string' || !SAFE_TABLE_FUNCTION.test(f.function_name)) ok = false;
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(tree);
  return ok;
}

/** Inline code that survives backticks and table pipes in the name. */
function code(text: string): string {
  const safe = text.replaceAll('|', '\\|').replace(/[\r\n]+/g, ' ');
  return safe.includes('`') ? `\`\` ${safe} \`\`` : `\`${safe}\``;
}

function cell(text: string): string {
  return code(text);
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

function columnMarkdown(c: CatalogColumn, o: CatalogObject): string {
  const flags = [c.nullable ? '' : 'NOT NULL', c.primaryKey ? 'PRIMARY KEY' : ''].filter(Boolean).join(', ');
  return [
    `**column** ${code(c.name)} ${code(c.type)}${flags ? ` · ${flags}` : ''}`,
    '',
    `of ${o.kind} ${code(`${o.database}.${o.schema}.${o.name}`)}`,
  ].join('\n');
}

function functionMarkdown(f: FunctionInfo): string {
  const kind = f.kind === 'scalar' ? 'function' : `${f.kind} function`;
  const lines = [`**${kind}** ${code(f.name)}`, '', '```sql', ...f.signatures.map((s) => s.label), '```'];
  if (f.description) lines.push('', f.description);
  if (f.examples.length > 0) lines.push('', 'Examples:', '```sql', ...f.examples, '```');
  return lines.join('\n');
}
