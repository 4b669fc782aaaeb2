import type { Cell, ResultColumn } from '../shared/results.js';
import { csvField } from '../shared/cellFormat.js';
import { textWidth } from '../shared/textWidth.js';

/** Output formats of `mdw query` and `mdw catalog`. */
export type OutputFormat = 'table' | 'csv' | 'json' | 'ndjson';

/** A cell as display text: NULL for null, JSON for nested values, the DuckDB text form otherwise. */
export function cellText(cell: Cell, nullText = 'NULL'): string {
  if (cell === null) return nullText;
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return JSON.stringify(cell);
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** Cell text for a terminal table: control characters shown as escapes, newlines as ↵. */
function tableText(cell: Cell): string {
  return cellText(cell)
    .replace(/\r?\n/g, '↵')
    .replace(/\t/g, '→')
    .replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function truncate(s: string, max: number): string {
  if (textWidth(s) <= max) return s;
  let out = '';
  for (const ch of s) {
    if (textWidth(out + ch) > max - 1) break;
    out += ch;
  }
  return out + '…';
}

function pad(s: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(s)));
  return right ? fill + s : s + fill;
}

const NUMERIC = new Set(['integer', 'decimal', 'float']);

/** Renders rows as an aligned text table with a header and a rule; cells wider than `maxWidth` are cut. */
export function formatTable(columns: ResultColumn[], rows: Cell[][], maxWidth = 60): string {
  const header = columns.map((c) => truncate(c.name, maxWidth));
  const body = rows.map((r) => r.map((cell) => truncate(tableText(cell), maxWidth)));
  const widths = header.map((h, i) => Math.max(textWidth(h), ...body.map((r) => textWidth(r[i] ?? ''))));
  const right = columns.map((c) => NUMERIC.has(c.kind));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, widths[i]!, right[i]!))
      .join(' │ ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...body.map(line)];
  return out.join('\n') + '\n';
}

/**
 * Renders rows as CSV with a header line, as DuckDB's `COPY … (FORMAT csv)` writes them: NULL an empty
 * field, an empty string `""`, lines ending in `\n`. Nested values are written as JSON.
 */
export function formatCsv(columns: ResultColumn[], rows: Cell[][], header = true): string {
  const lines = header ? [columns.map((c) => csvField(c.name)).join(',')] : [];
  for (const r of rows) lines.push(r.map(csvField).join(','));
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** One row as a JSON object keyed by column name (later duplicates get a numeric suffix). */
export function rowObject(columns: ResultColumn[], row: Cell[]): Record<string, Cell> {
  const names = uniqueNames(columns.map((c) => c.name));
  const o: Record<string, Cell> = {};
  names.forEach((n, i) => (o[n] = row[i] ?? null));
  return o;
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = seen.get(n) ?? 0;
    seen.set(n, k + 1);
    return k === 0 ? n : `${n}_${k}`;
  });
}
