import type { EngineResult } from '../engine/service/engine.js';
import type { Cell, ResultColumn } from '../shared/results.js';
import { formatCsv, formatTable, rowObject, type OutputFormat } from './format.js';

/** Rows a CLI command reads from a kept result at a time (converted to JS one page at a time). */
const PAGE = 10_000;
/** Rows shown in a table before the rest is summarised (other formats print every row). */
const TABLE_ROWS = 10_000;

/** Pages through a kept result, waiting for it to be complete. */
export async function* resultPages(result: EngineResult, limit = Infinity): AsyncGenerator<Cell[][]> {
  await result.whenComplete();
  const total = Math.min(result.rowCount, limit);
  for (let offset = 0; offset < total; offset += PAGE) {
    const page = await result.page(offset, Math.min(PAGE, total - offset));
    yield page.rows;
  }
}

/** Writes a run's outcomes to a stream in one of the output formats. */
export class ResultWriter {
  private first = true;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly format: OutputFormat,
  ) {}

  /** Starts the output (the JSON document's head). */
  begin(): void {
    if (this.format === 'json') this.out.write('{"results":[');
  }

  /** Writes one statement that returned rows. */
  async rows(sql: string, result: EngineResult): Promise<void> {
    const columns: ResultColumn[] = result.summary().columns;
    switch (this.format) {
      case 'table': {
        if (!this.first) this.out.write('\n');
        const rows: Cell[][] = [];
        for await (const page of resultPages(result, TABLE_ROWS)) rows.push(...page);
        this.out.write(formatTable(columns, rows));
        const n = result.rowCount;
        const more =
          n > rows.length ? ` (showing the first ${rows.length}; use --format csv or export for all)` : '';
        this.out.write(`(${n} ${n === 1 ? 'row' : 'rows'})${more}\n`);
        break;
      }
      case 'csv': {
        if (!this.first) this.out.write('\r\n');
        this.out.write(formatCsv(columns, []));
        for await (const page of resultPages(result)) await this.write(formatCsv(columns, page, false));
        break;
      }
      case 'ndjson':
        for await (const page of resultPages(result)) {
          await this.write(page.map((r) => JSON.stringify(rowObject(columns, r)) + '\n').join(''));
        }
        break;
      case 'json': {
        this.out.write(
          `${this.first ? '' : ','}{"sql":${JSON.stringify(sql)},"columns":${JSON.stringify(columns.map((c) => ({ name: c.name, type: c.type })))},"rows":[`,
        );
        let firstRow = true;
        for await (const page of resultPages(result)) {
          if (page.length === 0) continue;
          await this.write((firstRow ? '' : ',') + page.map((r) => JSON.stringify(r)).join(','));
          firstRow = false;
        }
        this.out.write(`],"rowCount":${result.rowCount}}`);
        break;
      }
    }
    this.first = false;
  }

  /** Writes a statement without rows (`changes` rows changed, or undefined for a plain success). */
  done(sql: string, changes: number | undefined): void {
    switch (this.format) {
      case 'table':
        if (!this.first) this.out.write('\n');
        this.out.write(
          changes === undefined ? 'OK\n' : `${changes} ${changes === 1 ? 'row' : 'rows'} changed\n`,
        );
        break;
      case 'csv':
        break;
      case 'ndjson':
        if (changes !== undefined) this.out.write(JSON.stringify({ changes }) + '\n');
        break;
      case 'json':
        this.out.write(
          `${this.first ? '' : ','}${JSON.stringify(changes === undefined ? { sql } : { sql, changes })}`,
        );
        break;
    }
    this.first = false;
  }

  /** Ends the output (closes the JSON document). */
  end(): void {
    if (this.format === 'json') this.out.write(']}\n');
  }

  private write(text: string): Promise<void> {
    return new Promise((resolve) => {
      if (this.out.write(text)) resolve();
      else this.out.once('drain', () => resolve());
    });
  }
}
