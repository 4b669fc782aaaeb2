import { EditorState, RangeSetBuilder, type Extension, type Text } from '@codemirror/state';
import { foldService } from '@codemirror/language';
import {
  Decoration,
  ViewPlugin,
  type DecorationSet,
  type EditorView,
  type ViewUpdate,
} from '@codemirror/view';
import { lex, splitStatements, type SqlToken, type StatementRange } from '../../../src/shared/sqlLexer.js';
import { FUNCTIONS, KEYWORDS, TYPES } from './duckdbWords.js';

const keywords = new Set(KEYWORDS.split(' '));
const types = new Set(TYPES.split(' '));
const functions = new Set(FUNCTIONS.split(' '));
const literals = new Set(['true', 'false', 'null']);

type Style = 'keyword' | 'type' | 'function' | 'string' | 'number' | 'comment' | 'quoted' | 'parameter';

const marks: Record<Style, Decoration> = {
  keyword: Decoration.mark({ class: 'sql-keyword' }),
  type: Decoration.mark({ class: 'sql-type' }),
  function: Decoration.mark({ class: 'sql-function' }),
  string: Decoration.mark({ class: 'sql-string' }),
  number: Decoration.mark({ class: 'sql-number' }),
  comment: Decoration.mark({ class: 'sql-comment' }),
  quoted: Decoration.mark({ class: 'sql-quoted' }),
  parameter: Decoration.mark({ class: 'sql-parameter' }),
};

/** How a token looks: DuckDB's words (duckdbWords.ts) tell keywords, types and functions apart. */
function styleOf(token: SqlToken, next: SqlToken | undefined): Style | undefined {
  switch (token.kind) {
    case 'word': {
      const word = token.value!.toLowerCase();
      if (literals.has(word)) return 'number';
      if (next?.kind === 'open' && functions.has(word)) return 'function';
      if (types.has(word)) return 'type';
      return keywords.has(word) ? 'keyword' : undefined;
    }
    case 'string':
    case 'number':
    case 'comment':
    case 'quoted':
    case 'parameter':
      return token.kind;
    default:
      return undefined;
  }
}

const analyses = new WeakMap<Text, { tokens: SqlToken[]; statements: StatementRange[] }>();

/** The document's tokens and statements (shared lexer), computed once per document version. */
function analyse(doc: Text): { tokens: SqlToken[]; statements: StatementRange[] } {
  let a = analyses.get(doc);
  if (!a) {
    const text = doc.toString();
    const tokens = lex(text);
    a = { tokens, statements: splitStatements(text, tokens) };
    analyses.set(doc, a);
  }
  return a;
}

/** Index of the first token ending after `pos`. */
function firstAfter(tokens: SqlToken[], pos: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.end <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Colours the visible tokens; the whole document is lexed once per change by the shared lexer. */
const highlighter = ViewPlugin.fromClass(
  class {
    tokens: SqlToken[];
    decorations: DecorationSet;

    constructor(view: EditorView) {
      this.tokens = analyse(view.state.doc).tokens;
      this.decorations = this.build(view);
    }

    update(update: ViewUpdate): void {
      if (update.docChanged) this.tokens = analyse(update.state.doc).tokens;
      if (update.docChanged || update.viewportChanged) this.decorations = this.build(update.view);
    }

    build(view: EditorView): DecorationSet {
      const builder = new RangeSetBuilder<Decoration>();
      let last = 0;
      for (const { from, to } of view.visibleRanges) {
        for (let i = firstAfter(this.tokens, Math.max(from, last)); i < this.tokens.length; i++) {
          const t = this.tokens[i]!;
          if (t.start >= to) break;
          const style = styleOf(t, this.tokens[i + 1]);
          if (style && t.start >= last && t.end > t.start) {
            builder.add(t.start, t.end, marks[style]);
            last = t.end;
          }
        }
      }
      return builder.finish();
    }
  },
  { decorations: (v) => v.decorations },
);

/** Folds a statement that spans lines, and a block comment, found by the shared lexer. */
const folding = foldService.of((state, lineStart, lineEnd) => {
  const { tokens, statements } = analyse(state.doc);
  const statement = statements.find((s) => s.start >= lineStart && s.start <= lineEnd);
  if (statement && statement.terminatorEnd > lineEnd) return { from: lineEnd, to: statement.terminatorEnd };
  const comment = tokens.find(
    (t) =>
      t.kind === 'comment' &&
      t.start >= lineStart &&
      t.start <= lineEnd &&
      state.doc.sliceString(t.start, t.start + 2) === '/*',
  );
  if (comment && comment.end > lineEnd)
    return { from: lineEnd, to: comment.unterminated ? comment.end : comment.end - 2 };
  return null;
});

/** DuckDB SQL in the worksheet editor: highlighting, folding, comment and bracket data. */
export function duckdbSql(): Extension {
  return [
    highlighter,
    folding,
    EditorState.languageData.of(() => [
      {
        commentTokens: { line: '--', block: { open: '/*', close: '*/' } },
        closeBrackets: { brackets: ['(', '[', '{', "'", '"'] },
      },
    ]),
  ];
}

/** Colours of the token classes, from the VS Code theme. */
export const sqlTheme = {
  '.sql-keyword': {
    color: 'var(--vscode-debugTokenExpression-name, var(--vscode-symbolIcon-keywordForeground, #569cd6))',
  },
  '.sql-type': { color: 'var(--vscode-symbolIcon-typeParameterForeground, #4ec9b0)' },
  '.sql-function': { color: 'var(--vscode-symbolIcon-functionForeground, #dcdcaa)' },
  '.sql-string, .sql-quoted': { color: 'var(--vscode-debugTokenExpression-string, #ce9178)' },
  '.sql-number': { color: 'var(--vscode-debugTokenExpression-number, #b5cea8)' },
  '.sql-parameter': { color: 'var(--vscode-symbolIcon-variableForeground, #9cdcfe)' },
  '.sql-comment': { color: 'var(--vscode-descriptionForeground, #6a9955)', fontStyle: 'italic' },
};
