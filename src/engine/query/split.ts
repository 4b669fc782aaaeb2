/** One statement of a script: its character range (end exclusive, without the `;`) and its text. */
export interface StatementRange {
  /** Offset of the statement's first token in the script. */
  start: number;
  /** Offset just after the statement's last token (before any `;`). */
  end: number;
  /** Offset just after the terminating `;`, or `end` when the statement has none. */
  terminatorEnd: number;
  text: string;
}

/** A string literal of a script with its decoded value (for the internal-file check). */
export interface StringLiteral {
  start: number;
  end: number;
  value: string;
}

type TokenKind = 'space' | 'comment' | 'string' | 'identifier' | 'semicolon' | 'other';

interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  value?: string;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * Tokenizes just enough of DuckDB's SQL to find statement boundaries and string literals: quoted
 * identifiers, '' strings (with '' escapes), E'' strings (backslash escapes), $tag$ strings, -- and
 * nested block comments. An unterminated token runs to the end of the script, as DuckDB's lexer would
 * report an error there anyway.
 */
function tokenize(script: string): Token[] {
  const tokens: Token[] = [];
  const n = script.length;
  let i = 0;
  while (i < n) {
    const start = i;
    const ch = script[i]!;
    const next = script[i + 1];
    if (/\s/.test(ch)) {
      while (i < n && /\s/.test(script[i]!)) i++;
      tokens.push({ kind: 'space', start, end: i });
    } else if (ch === '-' && next === '-') {
      while (i < n && script[i] !== '\n') i++;
      tokens.push({ kind: 'comment', start, end: i });
    } else if (ch === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (script[i] === '/' && script[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (script[i] === '*' && script[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      tokens.push({ kind: 'comment', start, end: i });
    } else if (ch === "'" || ((ch === 'E' || ch === 'e') && next === "'" && !isIdentBefore(script, i))) {
      const escaped = ch !== "'";
      i += escaped ? 2 : 1;
      let value = '';
      while (i < n) {
        const c = script[i]!;
        if (c === "'" && script[i + 1] === "'") {
          value += "'";
          i += 2;
        } else if (c === "'") {
          i++;
          break;
        } else if (escaped && c === '\\' && i + 1 < n) {
          const [decoded, length] = decodeEscape(script, i);
          value += decoded;
          i += length;
        } else {
          value += c;
          i++;
        }
      }
      tokens.push({ kind: 'string', start, end: i, value });
    } else if (ch === '"') {
      i++;
      let value = '';
      while (i < n) {
        if (script[i] === '"' && script[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (script[i] === '"') {
          i++;
          break;
        } else value += script[i++];
      }
      tokens.push({ kind: 'identifier', start, end: i, value });
    } else if (
      ch === '$' &&
      !isIdentBefore(script, i) &&
      /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.test(script.slice(i, i + 200))
    ) {
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(
        script.slice(i, i + 200),
      )![0];
      const close = script.indexOf(tag, i + tag.length);
      const bodyEnd = close < 0 ? n : close;
      i = close < 0 ? n : close + tag.length;
      tokens.push({ kind: 'string', start, end: i, value: script.slice(start + tag.length, bodyEnd) });
    } else if (ch === ';') {
      i++;
      tokens.push({ kind: 'semicolon', start, end: i });
    } else if (IDENT_START.test(ch)) {
      while (i < n && IDENT_PART.test(script[i]!)) i++;
      tokens.push({ kind: 'identifier', start, end: i, value: script.slice(start, i) });
    } else {
      i++;
      while (i < n && /[0-9.]/.test(script[i]!) && /[0-9.]/.test(ch)) i++;
      tokens.push({ kind: 'other', start, end: i });
    }
  }
  return tokens;
}

function isIdentBefore(script: string, i: number): boolean {
  return i > 0 && IDENT_PART.test(script[i - 1]!);
}

function decodeEscape(s: string, i: number): [string, number] {
  const c = s[i + 1]!;
  const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  if (c in simple) return [simple[c]!, 2];
  const hex = /^x([0-9A-Fa-f]{1,2})/.exec(s.slice(i + 1, i + 4));
  if (hex) return [String.fromCharCode(parseInt(hex[1]!, 16)), 1 + hex[0].length];
  const uni = /^(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})/.exec(s.slice(i + 1, i + 10));
  if (uni) return [String.fromCodePoint(parseInt(uni[0].slice(1), 16)), 1 + uni[0].length];
  const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4));
  if (oct) return [String.fromCharCode(parseInt(oct[0], 8)), 1 + oct[0].length];
  return [c, 2];
}

/**
 * Splits a script at its top-level semicolons into statement ranges. Empty statements (only
 * whitespace and comments) are left out. DuckDB's own extraction then parses each range
 * ({@link Session.run}); this only finds where they are.
 */
export function splitStatements(script: string): StatementRange[] {
  const ranges: StatementRange[] = [];
  let first = -1;
  let last = -1;
  for (const t of tokenize(script)) {
    if (t.kind === 'semicolon') {
      if (first >= 0)
        ranges.push({ start: first, end: last, terminatorEnd: t.end, text: script.slice(first, last) });
      first = last = -1;
    } else if (t.kind !== 'space' && t.kind !== 'comment') {
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

/** The string literals of a script ('…', E'…', $$…$$) with their decoded values. */
export function stringLiterals(script: string): StringLiteral[] {
  return tokenize(script)
    .filter((t) => t.kind === 'string')
    .map((t) => ({ start: t.start, end: t.end, value: t.value ?? '' }));
}

/** The identifiers of a script (quoted ones unquoted), each with whether a `.` follows it. */
export function identifiers(script: string): { value: string; qualifies: boolean }[] {
  const tokens = tokenize(script).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  return tokens
    .map((t, i) => ({ t, next: tokens[i + 1] }))
    .filter(({ t }) => t.kind === 'identifier')
    .map(({ t, next }) => ({
      value: t.value ?? '',
      qualifies: next !== undefined && script.slice(next.start, next.end) === '.',
    }));
}

/** 1-based line and column of a 0-based offset in `text` (columns count UTF-16 code units + 1). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
