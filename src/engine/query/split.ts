// Statement splitting is the shared SQL lexer's (src/shared/sqlLexer.ts), the same one the language
// service and the worksheet editor use; the engine's query modules import it from here.
export {
  databaseReferences,
  identifiers,
  splitStatements,
  statementAt,
  stringLiterals,
  type StatementRange,
  type StringLiteral,
} from '../../shared/sqlLexer.js';

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
