import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { keywordCompletionSource, SQLDialect } from '@codemirror/lang-sql';
import type { CatalogItem } from '../../../src/shared/protocol.js';
import { FUNCTIONS, KEYWORDS, TYPES } from './duckdbWords.js';
// Replaced by the engine's language service (next commit).

const keywordSet = new Set(KEYWORDS.split(' '));
const functionSet = new Set(FUNCTIONS.split(' '));

const DuckDBDialect = SQLDialect.define({
  keywords: KEYWORDS,
  types: TYPES,
  builtin: FUNCTIONS.split(' ')
    .filter((f) => !keywordSet.has(f))
    .join(' '),
  operatorChars: '*+-%<>!=&|~^/:',
  specialVar: '$?',
  identifierQuotes: '"',
  doubleDollarQuotedStrings: true,
  caseInsensitiveIdentifiers: true,
});

const keywordList = keywordCompletionSource(DuckDBDialect, true, (label, type) => {
  const lower = label.toLowerCase();
  if (functionSet.has(lower) && !keywordSet.has(lower))
    return { label: lower, type: 'function', detail: 'function', apply: `${lower}(`, boost: -2 };
  return { label, type, boost: -1 };
});

/** Keyword, type and function names (not after a `.`); functions complete as `name(`. */
export const keywordSource = (context: CompletionContext): ReturnType<typeof keywordList> => {
  const word = context.matchBefore(/[\w$]*/);
  if (context.state.sliceDoc((word?.from ?? context.pos) - 1, word?.from ?? context.pos) === '.') return null;
  return keywordList(context);
};

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_][\w$]*)`;
const QUALIFIED = new RegExp(String.raw`((?:${IDENT}\s*\.\s*){1,3})("(?:[^"]|"")*|[\w$]*)$`);
const REFERENCE = new RegExp(
  String.raw`\b(?:from|join)\s+(${IDENT}(?:\s*\.\s*${IDENT}){0,2})(?:\s+(?:as\s+)?(${IDENT}))?`,
  'gi',
);
const NOT_ALIAS = new Set(
  'where join on using left right inner outer full cross natural anti semi asof positional group order limit offset having window qualify union except intersect as sample using set returning'.split(
    ' ',
  ),
);

function unquote(name: string): string {
  return name.startsWith('"')
    ? name.slice(1, name.endsWith('"') && name.length > 1 ? -1 : undefined).replaceAll('""', '"')
    : name;
}

function names(dotted: string): string[] {
  return [...dotted.matchAll(new RegExp(IDENT, 'g'))].map((m) => unquote(m[0]));
}

/** A name as SQL: quoted unless it is a plain lower-case identifier that is no keyword. */
export function sqlName(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !keywordSet.has(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** The text of the statement around `pos` (between semicolons; good enough for aliases). */
function statementAround(doc: string, pos: number): string {
  const start = doc.lastIndexOf(';', pos - 1) + 1;
  const end = doc.indexOf(';', pos);
  return doc.slice(start, end < 0 ? doc.length : end);
}

/** Table references of a statement: alias (or table name), lower-cased, to its dotted path. */
export function tableReferences(statement: string): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  for (const m of statement.matchAll(REFERENCE)) {
    const path = names(m[1]!);
    if (path.length === 0) continue;
    refs.set(path.at(-1)!.toLowerCase(), path);
    const alias = m[2];
    if (alias && !NOT_ALIAS.has(alias.toLowerCase())) refs.set(unquote(alias).toLowerCase(), path);
  }
  return refs;
}

const KIND_TYPE: Record<CatalogItem['kind'], string> = {
  database: 'namespace',
  schema: 'namespace',
  table: 'class',
  view: 'class',
  column: 'property',
};

function toCompletion(item: CatalogItem, boost: number): Completion {
  return {
    label: item.label,
    type: KIND_TYPE[item.kind],
    detail: item.detail ? `${item.kind} · ${item.detail}` : item.kind,
    apply: sqlName(item.label),
    boost,
  };
}

/** Catalog names from the host: after FROM/JOIN (and similar), and after `name.` (aliases resolved). */
export function catalogSource(
  complete: (path: string[]) => Promise<CatalogItem[]>,
): (context: CompletionContext) => Promise<CompletionResult | null> {
  return async (context) => {
    const before = context.state.sliceDoc(Math.max(0, context.pos - 2000), context.pos);
    const qualified = QUALIFIED.exec(before);
    if (qualified) {
      let path = names(qualified[1]!);
      if (path.length === 1) {
        const doc = context.state.doc.toString();
        const target = tableReferences(statementAround(doc, context.pos)).get(path[0]!.toLowerCase());
        if (target) path = target;
      }
      const items = await complete(path);
      if (context.aborted) return null;
      return {
        from: context.pos - qualified[2]!.length,
        options: items.map((i) => toCompletion(i, 10)),
        validFor: /^("(?:[^"]|"")*|[\w$]*)$/,
      };
    }
    const word = context.matchBefore(/[\w$]*/);
    const afterTableKeyword =
      /\b(?:from|join|into|update|table|describe|summarize)\s+(?:[\w$."]+\s*,\s*)*[\w$]*$/i.test(before);
    if (!afterTableKeyword) {
      if (!word || (word.from === word.to && !context.explicit)) return null;
      // Columns of the tables the statement reads, next to keywords and functions.
      const doc = context.state.doc.toString();
      const refs = [
        ...new Map(
          [...tableReferences(statementAround(doc, context.pos)).values()].map((p) => [p.join('.'), p]),
        ).values(),
      ];
      const items = (await Promise.all(refs.slice(0, 8).map((p) => complete(p)))).flat();
      if (context.aborted) return null;
      const columns = items.filter((i) => i.kind === 'column');
      if (columns.length === 0) return null;
      return { from: word.from, options: columns.map((i) => toCompletion(i, 5)), validFor: /^[\w$]*$/ };
    }
    const items = await complete([]);
    if (context.aborted) return null;
    return {
      from: word?.from ?? context.pos,
      options: items.map((i) => toCompletion(i, i.kind === 'table' || i.kind === 'view' ? 10 : 8)),
      validFor: /^[\w$]*$/,
    };
  };
}
