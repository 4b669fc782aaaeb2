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
const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
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
      while (i < n && text[i] !== '\n') i++;
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
      tokens.push({ kind: 'comment', start, end: i, ...(depth > 0 ? { unterminated: true } : {}) });
    } else if (ch === "'" || ((ch === 'E' || ch === 'e') && next === "'")) {
      const escapes = ch !== "'";
      i += escapes ? 2 : 1;
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
        } else if (escapes && c === '\\' && i + 1 < n) {
          const [decoded, length] = decodeEscape(text, i);
          value += decoded;
          i += length;
        } else {
          value += c;
          i++;
        }
      }
      tokens.push({ kind: 'string', start, end: i, value, ...(closed ? {} : { unterminated: true }) });
    } else if (ch === '"') {
      i++;
      let value = '';
      let closed = false;
      while (i < n) {
        if (text[i] === '"' && text[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          closed = true;
          break;
        } else value += text[i++];
      }
      tokens.push({ kind: 'quoted', start, end: i, value, ...(closed ? {} : { unterminated: true }) });
    } else if (ch === '$') {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(text)?.[0];
      if (tag) {
        const close = text.indexOf(tag, i + tag.length);
        const bodyEnd = close < 0 ? n : close;
        i = close < 0 ? n : close + tag.length;
        tokens.push({
          kind: 'string',
          start,
          end: i,
          value: text.slice(start + tag.length, bodyEnd),
          ...(close < 0 ? { unterminated: true } : {}),
        });
      } else {
        i++;
        while (i < n && /[A-Za-z0-9_\u0080-\uffff]/.test(text[i]!)) i++;
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
    } else if (WORD_START.test(ch)) {
      i++;
      while (i < n && WORD_PART.test(text[i]!)) i++;
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
