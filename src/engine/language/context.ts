import { isName, keywordOf, lex, type SqlToken } from '../../shared/sqlLexer.js';

/** A table or view a statement names, with its alias. */
export interface RelationRef {
  /** The dotted name as written, unquoted: ["db", "s", "t"], ["s", "t"] or ["t"]. */
  parts: string[];
  alias?: string;
  start: number;
  end: number;
}

/** Where the cursor is, as completion needs it. */
export interface CursorContext {
  /** Inside a string, comment or number: nothing to complete. */
  inert: boolean;
  /** What the user typed of the name at the cursor (without an opening quote). */
  prefix: string;
  /** The typed name is inside double quotes. */
  quoted: boolean;
  /** Range the completion replaces (the typed name, quotes included). */
  replaceStart: number;
  replaceEnd: number;
  /** Names before the cursor joined by dots: `db.s.` gives ["db", "s"]. */
  qualifier: string[];
  /** A table position (after FROM, JOIN, INTO, UPDATE…) or an expression. */
  clause: 'relation' | 'expression';
  /** The statement around the cursor: its tokens without comments. */
  tokens: SqlToken[];
  relations: RelationRef[];
  /** Names of the statement's common table expressions. */
  ctes: string[];
}

/** Keywords after which a table name comes. */
const RELATION_KEYWORDS = new Set([
  'FROM',
  'JOIN',
  'INTO',
  'UPDATE',
  'TABLE',
  'VIEW',
  'DESCRIBE',
  'SUMMARIZE',
  'TRUNCATE',
]);

/** Words that end a relation or cannot be its alias. */
const CLAUSE_WORDS = new Set([
  'AS',
  'AT',
  'ANTI',
  'ASOF',
  'BY',
  'CROSS',
  'EXCEPT',
  'FETCH',
  'FROM',
  'FULL',
  'GROUP',
  'HAVING',
  'INNER',
  'INTERSECT',
  'JOIN',
  'LATERAL',
  'LEFT',
  'LIMIT',
  'NATURAL',
  'OFFSET',
  'ON',
  'ORDER',
  'OUTER',
  'PIVOT',
  'POSITIONAL',
  'QUALIFY',
  'RETURNING',
  'RIGHT',
  'SAMPLE',
  'SELECT',
  'SEMI',
  'SET',
  'TABLESAMPLE',
  'UNION',
  'UNPIVOT',
  'USING',
  'VALUES',
  'WHERE',
  'WINDOW',
  'WITH',
  'DEFAULT',
  'BEFORE',
  'BY',
  'AND',
  'OR',
  'NOT',
]);

/** Keywords that start a clause: walking back from a comma, the first one says where the comma is. */
const CLAUSES = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'QUALIFY',
  'ON',
  'USING',
  'SET',
  'VALUES',
  'RETURNING',
  'BY',
  'JOIN',
  'WINDOW',
  'LIMIT',
  'INTO',
]);

/** The tokens (comments left out) of the statement around `offset`, split at top-level semicolons. */
export function statementTokens(tokens: SqlToken[], offset: number): SqlToken[] {
  let from = 0;
  let to = tokens.length;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'semicolon') continue;
    if (t.end <= offset) from = i + 1;
    else {
      to = i;
      break;
    }
  }
  return tokens.slice(from, to).filter((t) => t.kind !== 'comment');
}

/** The tables and views a statement names (subqueries included) and its CTE names. */
export function relationsOf(tokens: SqlToken[]): { relations: RelationRef[]; ctes: string[] } {
  const relations: RelationRef[] = [];
  const ctes: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const kw = keywordOf(tokens[i]);
    if (kw === 'WITH') {
      let j = i + 1;
      if (keywordOf(tokens[j]) === 'RECURSIVE') j++;
      while (isName(tokens[j])) {
        ctes.push(tokens[j]!.value!);
        j++;
        if (tokens[j]?.kind === 'open') j = skipGroup(tokens, j);
        if (keywordOf(tokens[j]) === 'AS') j++;
        if (keywordOf(tokens[j]) === 'NOT') j++;
        if (keywordOf(tokens[j]) === 'MATERIALIZED') j++;
        if (tokens[j]?.kind === 'open') j = skipGroup(tokens, j);
        if (tokens[j]?.kind !== 'comma') break;
        j++;
      }
    } else if (RELATION_KEYWORDS.has(kw)) {
      let j = i + 1;
      for (;;) {
        const parsed = relationAt(tokens, j);
        if (parsed.relation) relations.push(parsed.relation);
        j = parsed.next;
        if (kw !== 'FROM' || tokens[j]?.kind !== 'comma') break;
        j++;
      }
    }
  }
  return { relations, ctes };
}

/** Index just past the group opened at `open` (or the end). */
function skipGroup(tokens: SqlToken[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    if (tokens[j]!.kind === 'open') depth++;
    else if (tokens[j]!.kind === 'close' && --depth === 0) return j + 1;
  }
  return tokens.length;
}

function relationAt(tokens: SqlToken[], at: number): { relation?: RelationRef; next: number } {
  let j = at;
  if (tokens[j]?.kind === 'open') j = skipGroup(tokens, j);
  else {
    const parts: string[] = [];
    const start = tokens[j]?.start ?? 0;
    while (isName(tokens[j]) && !(tokens[j]!.kind === 'word' && CLAUSE_WORDS.has(keywordOf(tokens[j])))) {
      parts.push(tokens[j]!.value!);
      j++;
      if (tokens[j]?.kind !== 'dot') break;
      j++;
    }
    if (parts.length === 0) return { next: j };
    const end = tokens[j - 1]!.end;
    if (tokens[j]?.kind === 'open') {
      // a table function: its alias names no catalog object
      j = skipGroup(tokens, j);
      return { next: skipAlias(tokens, j).next };
    }
    const { alias, next } = skipAlias(tokens, j);
    return { relation: { parts, ...(alias ? { alias } : {}), start, end }, next };
  }
  return { next: skipAlias(tokens, j).next };
}

function skipAlias(tokens: SqlToken[], at: number): { alias?: string; next: number } {
  let j = at;
  if (keywordOf(tokens[j]) === 'AS') j++;
  const t = tokens[j];
  if (isName(t) && !(t.kind === 'word' && CLAUSE_WORDS.has(keywordOf(t)))) {
    j++;
    if (tokens[j]?.kind === 'open') j = skipGroup(tokens, j); // column aliases: t(a, b)
    return { alias: t.value, next: j };
  }
  return { next: j };
}

/** The dotted names ending just before token `index` (which follows a dot), outermost first. */
export function qualifierBefore(tokens: SqlToken[], index: number): { names: string[]; first: number } {
  const names: string[] = [];
  let j = index;
  while (tokens[j - 1]?.kind === 'dot' && isName(tokens[j - 2])) {
    names.unshift(tokens[j - 2]!.value!);
    j -= 2;
  }
  return { names, first: j };
}

/** Analyzes the cursor at `offset` of `text` for completion. */
export function cursorContext(text: string, offset: number): CursorContext {
  const all = lex(text);
  const containing = all.find(
    (t) =>
      t.start < offset &&
      (offset < t.end || (offset === t.end && (t.unterminated === true || text.startsWith('--', t.start)))),
  );
  const inertKinds = new Set(['string', 'comment', 'number']);
  const tokens = statementTokens(all, offset);
  const { relations, ctes } = relationsOf(tokens);
  const base = { tokens, relations, ctes };
  if (containing && inertKinds.has(containing.kind)) {
    return {
      ...base,
      inert: true,
      prefix: '',
      quoted: false,
      replaceStart: offset,
      replaceEnd: offset,
      qualifier: [],
      clause: 'expression',
    };
  }
  // The name being typed ends at the cursor (or the cursor sits inside it).
  let index = tokens.findIndex((t) => t.start < offset && offset <= t.end && isName(t));
  let prefix = '';
  let quoted = false;
  let replaceStart = offset;
  let replaceEnd = offset;
  if (index >= 0) {
    const t = tokens[index]!;
    quoted = t.kind === 'quoted';
    prefix = quoted ? text.slice(t.start + 1, offset).replaceAll('""', '"') : text.slice(t.start, offset);
    replaceStart = t.start;
    replaceEnd = t.end;
  } else {
    index = tokens.findIndex((t) => t.start >= offset);
    if (index < 0) index = tokens.length;
  }
  const { names: qualifier, first } = qualifierBefore(tokens, index);
  return {
    ...base,
    inert: false,
    prefix,
    quoted,
    replaceStart,
    replaceEnd,
    qualifier,
    clause: clauseBefore(tokens, first),
  };
}

function clauseBefore(tokens: SqlToken[], index: number): 'relation' | 'expression' {
  const prev = tokens[index - 1];
  if (RELATION_KEYWORDS.has(keywordOf(prev))) return 'relation';
  if (prev?.kind !== 'comma') return 'expression';
  let depth = 0;
  for (let j = index - 2; j >= 0; j--) {
    const t = tokens[j]!;
    if (t.kind === 'close') depth++;
    else if (t.kind === 'open') {
      if (depth === 0) return 'expression';
      depth--;
    } else if (depth === 0 && CLAUSES.has(keywordOf(t)))
      return keywordOf(t) === 'FROM' ? 'relation' : 'expression';
  }
  return 'expression';
}

/** The enclosing call at `offset`: the function's name, where its `(` is, and which argument the cursor is in. */
export function callAt(
  text: string,
  offset: number,
): { name: string; open: number; argument: number } | undefined {
  const tokens = statementTokens(lex(text), offset).filter((t) => t.end <= offset || t.start < offset);
  let depth = 0;
  let commas = 0;
  for (let j = tokens.length - 1; j >= 0; j--) {
    const t = tokens[j]!;
    if (t.end > offset) continue;
    if (t.kind === 'close') depth++;
    else if (t.kind === 'open') {
      if (depth > 0) {
        depth--;
        continue;
      }
      const name = tokens[j - 1];
      if (text[t.start] !== '(' || !isName(name)) return undefined;
      return { name: name.value!, open: t.start, argument: commas };
    } else if (t.kind === 'comma' && depth === 0) commas++;
  }
  return undefined;
}
