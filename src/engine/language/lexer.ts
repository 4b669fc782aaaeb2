/** Kind of a lexical token of DuckDB SQL, as the language services need them. */
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

/** A token: its kind, character range (end exclusive) and, for words and quoted names, the name. */
export interface SqlToken {
  kind: SqlTokenKind;
  start: number;
  end: number;
  /** Identifier value: a word as written, a quoted name without its quotes. */
  value?: string;
  /** True for a string, quoted name or block comment that runs to the end of the text. */
  unterminated?: boolean;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
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

/**
 * Tokenizes DuckDB SQL without ever failing: strings ('', E'' with backslash escapes, $tag$…$tag$),
 * quoted identifiers, numbers, parameters (?, $1, $name), operators and nested block comments. An
 * unterminated string, name or comment runs to the end of the text.
 */
export function lex(text: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const start = i;
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v') {
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
      let closed = false;
      while (i < n) {
        const c = text[i]!;
        if (escapes && c === '\\') i += 2;
        else if (c === "'" && text[i + 1] === "'") i += 2;
        else if (c === "'") {
          i++;
          closed = true;
          break;
        } else i++;
      }
      i = Math.min(i, n);
      tokens.push({ kind: 'string', start, end: i, ...(closed ? {} : { unterminated: true }) });
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
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 200));
      if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
        tokens.push({ kind: 'string', start, end: i, ...(close < 0 ? { unterminated: true } : {}) });
      } else {
        i++;
        while (i < n && /[A-Za-z0-9_]/.test(text[i]!)) i++;
        tokens.push({ kind: 'parameter', start, end: i });
      }
    } else if (ch === '?') {
      i++;
      while (i < n && /[0-9]/.test(text[i]!)) i++;
      tokens.push({ kind: 'parameter', start, end: i });
    } else if (/[0-9]/.test(ch) || (ch === '.' && next !== undefined && /[0-9]/.test(next))) {
      const m =
        /^(?:0[xX][0-9A-Fa-f_]+|0[bB][01_]+|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?)/.exec(
          text.slice(i, i + 400),
        );
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

/** True when a token is a word or quoted name (something that can name a table or column). */
export function isName(token: SqlToken | undefined): token is SqlToken & { value: string } {
  return token !== undefined && (token.kind === 'word' || token.kind === 'quoted');
}

/** The upper-cased word of a token, or '' for anything else (quoted names are never keywords). */
export function keywordOf(token: SqlToken | undefined): string {
  return token?.kind === 'word' ? token.value!.toUpperCase() : '';
}
