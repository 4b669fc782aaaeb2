// The one SQL lexer: statement splitting (engine), the language service (engine) and the worksheet
// editor (webview) all read DuckDB SQL through it, so they agree on where strings, comments and
// statements start and end. Imports nothing: it runs in Node and in the browser.

/** Kind of a lexical token of DuckDB SQL. Whitespace makes no token. */
export type SqlTokenKind =
  | 'word'
  | 'quoted'
  | 'string'
  | 'number'
  | 'parameter'
  | 'operator'
  | 'dot'
  | 'comma'
  | 'open'
  | 'close'
  | 'semicolon'
  | 'comment';

/** A token: its kind and character range (end exclusive). */
export interface SqlToken {
  kind: SqlTokenKind;
  start: number;
  end: number;
  /**
   * A word as written, a quoted name without its quotes (`""` undone), a string's value (escapes of
   * E'' strings decoded, `''` undone, a dollar-quoted string's body).
   */
  value?: string;
  /** True for a string, quoted name or block comment that runs to the end of the text. */
  unterminated?: boolean;
}

/** One statement of a script: its character range (without the `;`) and its text. */
export interface StatementRange {
  /** Offset of the statement's first token in the script. */
  start: number;
  /** Offset just after the statement's last token (before any `;`). */
  end: number;
  /** Offset just after the terminating `;`, or `end` when the statement has none. */
  terminatorEnd: number;
  text: string;
}

/** A string literal of a script with its decoded value. */
export interface StringLiteral {
  start: number;
  end: number;
  value: string;
}

// DuckDB's scanner (from PostgreSQL's): identifiers start with a letter, `_` or any non-ASCII
// character and go on with those, digits and `$`. Dollar-quote tags are the same without `$`.
function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x80;
}

function isWordPart(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
}

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const NUMBER =
  /(?:0[xX][0-9A-Fa-f_]+|0[bB][01_]+|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?)/y;
const OPERATORS = [
  '->>',
  '<=>',
  '::',
  '->',
  '**',
  '//',
  '||',
  '<=',
  '>=',
  '<>',
  '!=',
  '==',
  '=>',
  '~~',
  '!~',
  '^@',
  '@>',
  '<@',
  '<<',
  '>>',
  '&&',
];

/** True for the characters DuckDB skips between tokens (a byte-order mark included). */
export function isSqlSpace(ch: string): boolean {
  return (
    ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v' || ch === '\uFEFF'
  );
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/** Index just past the quote that closes a `quote`-quoted run starting at `from` (a doubled quote continues it), or -1. */
function closingQuote(text: string, from: number, quote: string): number {
  let i = from;
  for (;;) {
    const at = text.indexOf(quote, i);
    if (at < 0) return -1;
    if (text[at + 1] !== quote) return at + 1;
    i = at + 2;
  }
}

function token(
  kind: SqlTokenKind,
  start: number,
  end: number,
  value?: string,
  unterminated = false,
): SqlToken {
  const t: SqlToken = { kind, start, end };
  if (value !== undefined) t.value = value;
  if (unterminated) t.unterminated = true;
  return t;
}

/**
 * Tokenizes DuckDB SQL without ever failing: strings ('' with `''` escapes, E'' with backslash
 * escapes, $tag$…$tag$ with tags of letters, digits, `_` and non-ASCII characters), quoted names with
 * `""` escapes, numbers, parameters (?, ?1, $1, $name), operators, `--` and nested block comments.
 * An unterminated string, name or comment runs to the end of the text.
 */
export function lex(text: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const start = i;
    const ch = text[i]!;
    const next = text[i + 1];
    if (isSqlSpace(ch)) {
      i++;
      continue;
    }
    if (ch === '-' && next === '-') {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? n : eol;
      tokens.push({ kind: 'comment', start, end: i });
    } else if (ch === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (text[i] === '*' && text[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      tokens.push(token('comment', start, i, undefined, depth > 0));
    } else if (ch === "'") {
      const close = closingQuote(text, i + 1, "'");
      i = close < 0 ? n : close;
      const value = text.slice(start + 1, close < 0 ? n : close - 1).replaceAll("''", "'");
      tokens.push(token('string', start, i, value, close < 0));
    } else if ((ch === 'E' || ch === 'e') && next === "'") {
      i += 2;
      let value = '';
      let closed = false;
      while (i < n) {
        const c = text[i]!;
        if (c === "'" && text[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (c === "'") {
          i++;
          closed = true;
          break;
        } else if (c === '\\' && i + 1 < n) {
          const [decoded, length] = decodeEscape(text, i);
          value += decoded;
          i += length;
        } else {
          value += c;
          i++;
        }
      }
      tokens.push(token('string', start, i, value, !closed));
    } else if (ch === '"') {
      const close = closingQuote(text, i + 1, '"');
      i = close < 0 ? n : close;
      const value = text.slice(start + 1, close < 0 ? n : close - 1).replaceAll('""', '"');
      tokens.push(token('quoted', start, i, value, close < 0));
    } else if (ch === '$') {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(text)?.[0];
      if (tag) {
        const close = text.indexOf(tag, i + tag.length);
        const bodyEnd = close < 0 ? n : close;
        i = close < 0 ? n : close + tag.length;
        tokens.push(token('string', start, i, text.slice(start + tag.length, bodyEnd), close < 0));
      } else {
        i++;
        while (i < n && isWordPart(text.charCodeAt(i)) && text[i] !== '$') i++;
        tokens.push({ kind: 'parameter', start, end: i });
      }
    } else if (ch === '?') {
      i++;
      while (i < n && isDigit(text[i])) i++;
      tokens.push({ kind: 'parameter', start, end: i });
    } else if (isDigit(ch) || (ch === '.' && isDigit(next))) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      i += m ? m[0].length : 1;
      tokens.push({ kind: 'number', start, end: i });
    } else if (isWordStart(text.charCodeAt(i))) {
      i++;
      while (i < n && isWordPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'word', start, end: i, value: text.slice(start, i) });
    } else if (ch === '.') {
      i++;
      tokens.push({ kind: 'dot', start, end: i });
    } else if (ch === ',') {
      i++;
      tokens.push({ kind: 'comma', start, end: i });
    } else if (ch === '(' || ch === '[' || ch === '{') {
      i++;
      tokens.push({ kind: 'open', start, end: i });
    } else if (ch === ')' || ch === ']' || ch === '}') {
      i++;
      tokens.push({ kind: 'close', start, end: i });
    } else if (ch === ';') {
      i++;
      tokens.push({ kind: 'semicolon', start, end: i });
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      i += op ? op.length : 1;
      tokens.push({ kind: 'operator', start, end: i });
    }
  }
  return tokens;
}

/** The character a backslash escape of an E'' string stands for, and the escape's length. */
function decodeEscape(s: string, i: number): [string, number] {
  const c = s[i + 1]!;
  const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  if (c in simple) return [simple[c]!, 2];
  const hex = /^x([0-9A-Fa-f]{1,2})/.exec(s.slice(i + 1, i + 4));
  if (hex) return [String.fromCharCode(parseInt(hex[1]!, 16)), 1 + hex[0].length];
  const uni = /^(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})/.exec(s.slice(i + 1, i + 10));
  if (uni) {
    const code = parseInt(uni[0].slice(1), 16);
    return [code <= 0x10ffff ? String.fromCodePoint(code) : '', 1 + uni[0].length];
  }
  const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4));
  if (oct) return [String.fromCharCode(parseInt(oct[0], 8)), 1 + oct[0].length];
  return [c, 2];
}

/** True when a token is a word or quoted name (something that can name a table or column). */
export function isName(token: SqlToken | undefined): token is SqlToken & { value: string } {
  return token !== undefined && (token.kind === 'word' || token.kind === 'quoted');
}

/** The upper-cased word of a token, or '' for anything else (quoted names are never keywords). */
export function keywordOf(token: SqlToken | undefined): string {
  return token?.kind === 'word' ? token.value!.toUpperCase() : '';
}

/**
 * Splits a script at its top-level semicolons into statement ranges, from its tokens (`lex(script)`
 * when not given). Empty statements (only whitespace and comments) are left out. A script DuckDB
 * cannot parse still splits: an unterminated string, name or block comment belongs to the last
 * statement and runs to the end, so running it reports DuckDB's error instead of skipping the rest.
 */
export function splitStatements(script: string, tokens: SqlToken[] = lex(script)): StatementRange[] {
  const ranges: StatementRange[] = [];
  let first = -1;
  let last = -1;
  for (const t of tokens) {
    if (t.kind === 'semicolon') {
      if (first >= 0)
        ranges.push({ start: first, end: last, terminatorEnd: t.end, text: script.slice(first, last) });
      first = last = -1;
    } else if (t.kind !== 'comment' || t.unterminated) {
      if (first < 0) first = t.start;
      last = t.end;
    }
  }
  if (first >= 0)
    ranges.push({ start: first, end: last, terminatorEnd: last, text: script.slice(first, last) });
  return ranges;
}

/**
 * The statement to run for a cursor at `offset`: the one containing it (its `;` included), else the
 * one ending earlier on the same line, else the next one, else the last one. Undefined for a script
 * without statements.
 */
export function statementAt(script: string, offset: number): StatementRange | undefined {
  const ranges = splitStatements(script);
  const inside = ranges.find((r) => r.start <= offset && offset <= r.terminatorEnd);
  if (inside) return inside;
  const before = ranges.filter((r) => r.terminatorEnd <= offset).at(-1);
  if (before && !script.slice(before.terminatorEnd, offset).includes('\n')) return before;
  return ranges.find((r) => r.start >= offset) ?? ranges.at(-1);
}

/** The string literals of a script ('…', E'…', $tag$…$tag$) with their decoded values. */
export function stringLiterals(script: string): StringLiteral[] {
  return lex(script)
    .filter((t) => t.kind === 'string')
    .map((t) => ({ start: t.start, end: t.end, value: t.value ?? '' }));
}

/** The names of a script (words and quoted names, unquoted), each with whether a `.` follows it. */
export function identifiers(script: string): { value: string; qualifies: boolean }[] {
  const tokens = lex(script).filter((t) => t.kind !== 'comment');
  return tokens
    .map((t, i) => ({ t, next: tokens[i + 1] }))
    .filter(({ t }) => isName(t))
    .map(({ t, next }) => ({ value: t.value ?? '', qualifies: next?.kind === 'dot' }));
}

/**
 * The names a script may use as a database: every name followed by `.` (`db.t`, `db.s.t`, and schema or
 * table qualifiers too), and the name after USE or DETACH [DATABASE] [IF EXISTS]. It over-approximates on
 * purpose: callers keep only the names of known databases. Each name once, in order of first use.
 */
export function databaseReferences(script: string): string[] {
  const tokens = lex(script).filter((t) => t.kind !== 'comment');
  const names = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (isName(t) && tokens[i + 1]?.kind === 'dot') names.add(t.value);
    const keyword = keywordOf(t);
    if (keyword !== 'USE' && keyword !== 'DETACH') continue;
    let j = i + 1;
    if (keywordOf(tokens[j]) === 'DATABASE') j++;
    if (keywordOf(tokens[j]) === 'IF' && keywordOf(tokens[j + 1]) === 'EXISTS') j += 2;
    const name = tokens[j];
    if (isName(name)) names.add(name.value);
  }
  return [...names];
}
