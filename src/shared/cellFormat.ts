import type { CopyFormat } from './protocol.js';
import type { Cell, ColumnKind, ResultColumn } from './results.js';

/** Column kinds shown right-aligned and written unquoted in INSERT statements. */
export const NUMERIC_KINDS: ReadonlySet<ColumnKind> = new Set(['integer', 'decimal', 'float']);

/**
 * Plain text of a cell as a user reads it: NULL is '' (callers mark it apart), scalars in DuckDB's
 * VARCHAR form, nested values (LIST, STRUCT, MAP) as compact JSON.
 */
export function cellText(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return JSON.stringify(cell);
}

/**
 * A cell as one CSV field, as DuckDB's `COPY … (FORMAT csv)` writes it: NULL as an empty field, an empty
 * string as `""` (so the two stay apart), quoted when it holds a comma, a quote or a line break.
 */
export function csvField(cell: Cell): string {
  if (cell === null) return '';
  const text = cellText(cell);
  return text === '' || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function tsvField(text: string): string {
  return text.replace(/[\t\r\n]/g, ' ');
}

function markdownField(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, '<br>');
}

function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function sqlLiteral(cell: Cell, kind: ColumnKind): string {
  if (cell === null) return 'NULL';
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE';
  if (typeof cell === 'number' && Number.isFinite(cell)) return String(cell);
  const text = cellText(cell);
  if (NUMERIC_KINDS.has(kind) && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return text;
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Formats rows (already picked to the copied columns) as text in `format`. TSV and CSV start with a
 * header line; JSON is an array of objects; INSERT statements target `tableName` (quoted).
 */
export function formatRows(
  columns: readonly ResultColumn[],
  rows: readonly Cell[][],
  format: CopyFormat,
  tableName = 'result',
): string {
  switch (format) {
    case 'tsv':
      return [columns.map((c) => tsvField(c.name)), ...rows.map((r) => r.map((v) => tsvField(cellText(v))))]
        .map((r) => r.join('\t'))
        .join('\n');
    case 'csv':
      return [columns.map((c) => csvField(c.name)), ...rows.map((r) => r.map(csvField))]
        .map((r) => r.join(','))
        .join('\r\n');
    case 'json':
      return JSON.stringify(
        rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i] ?? null]))),
        null,
        2,
      );
    case 'markdown': {
      const head = `| ${columns.map((c) => markdownField(c.name)).join(' | ')} |`;
      const rule = `| ${columns.map((c) => (NUMERIC_KINDS.has(c.kind) ? '---:' : '---')).join(' | ')} |`;
      const body = rows.map(
        (r) => `| ${r.map((v) => (v === null ? 'NULL' : markdownField(cellText(v)))).join(' | ')} |`,
      );
      return [head, rule, ...body].join('\n');
    }
    case 'insert': {
      const target = `${sqlIdent(tableName)} (${columns.map((c) => sqlIdent(c.name)).join(', ')})`;
      return rows
        .map(
          (r) =>
            `INSERT INTO ${target} VALUES (${r.map((v, i) => sqlLiteral(v, columns[i]!.kind)).join(', ')});`,
        )
        .join('\n');
    }
  }
}
