// Compare of two kept results through the engine (Session.compare: the differences kept as a result of
// their own, with counts and a first page) against what DuckDB does on its own over the same two kept
// tables in the same instance: the multiset difference `(A EXCEPT ALL B) UNION ALL (B EXCEPT ALL A)`,
// and for keys a plain FULL OUTER JOIN keeping the rows that differ. Both sides write their rows into
// a table (CREATE TABLE AS), which is dropped after each sample.
import { Session, type KeptResult } from '../src/engine/query/index.js';
import type { Warehouse } from '../src/engine/warehouse.js';
import { SAMPLES, alternate, ratio, report, timed } from './util.js';

/** Five mixed columns: an id, a small integer, a 32-character text, a decimal and a label. */
const TABLE = (from: number, to: number, change: string): string =>
  `SELECT range AS id, range % 1000 AS k, md5(range::VARCHAR) AS h,
    (range * 0.01)::DECIMAL(18,2) + CASE WHEN ${change} THEN 1 ELSE 0 END AS amount, 'row ' || range AS label
   FROM range(${from}, ${to})`;

async function kept(s: Session, sql: string): Promise<KeptResult> {
  const run = await s.run(sql);
  const o = run.outcomes[0];
  if (o?.status !== 'rows') throw run.error ?? new Error('no rows');
  await o.result.whenComplete();
  return o.result;
}

/** Two `rows`-row kept results (B: 0.5% rows shifted out and in, 1% amounts changed), compared both ways. */
export async function benchCompare(warehouse: Warehouse, rows: number): Promise<void> {
  const s = await Session.open(warehouse, { maxResults: 4 });
  try {
    const shift = Math.round(rows * 0.005);
    const a = await kept(s, TABLE(0, rows, 'false'));
    const b = await kept(s, TABLE(shift, rows + shift, 'range % 100 = 7'));
    // Pinned, as a user would: the differences of each sample count toward the session's bound.
    s.pin(a.id, 'A');
    s.pin(b.id, 'B');
    const cols = a.columns.map((_, i) => `"c${i}"`);
    let n = 0;
    const baseline = (sql: (target: string) => string) => async (): Promise<number> =>
      warehouse.withConnection(async (c) => {
        const target = `mdw_kept.main."bench_${++n}"`;
        const { ms } = await timed(() => c.run(sql(target)));
        await c.run(`DROP TABLE ${target}`);
        return ms;
      });
    const ours = (keys: string[]) => async (): Promise<number> => {
      const { ms, value } = await timed(() => s.compare(a.id, b.id, { keys }));
      await value.result.release();
      return ms;
    };
    const whole = await alternate(SAMPLES, {
      ours: ours([]),
      except: baseline(
        (t) =>
          `CREATE TABLE ${t} AS (SELECT * FROM ${a.tableName} EXCEPT ALL SELECT * FROM ${b.tableName}) UNION ALL (SELECT * FROM ${b.tableName} EXCEPT ALL SELECT * FROM ${a.tableName})`,
      ),
    });
    report(
      `compare two ${rows}-row results (whole rows) vs (A EXCEPT ALL B) UNION ALL (B EXCEPT ALL A)`,
      whole.ours,
      whole.except,
      'ms',
      '≤ 2×',
      ratio(whole.ours, whole.except) <= 2,
    );
    const differ = cols
      .slice(1)
      .map((c) => `a.${c} IS DISTINCT FROM b.${c}`)
      .join(' OR ');
    const keyed = await alternate(SAMPLES, {
      ours: ours(['id']),
      join: baseline(
        (t) =>
          `CREATE TABLE ${t} AS SELECT * FROM ${a.tableName} a FULL OUTER JOIN ${b.tableName} b ON a."c0" = b."c0" WHERE a."c0" IS NULL OR b."c0" IS NULL OR ${differ}`,
      ),
    });
    report(
      `compare two ${rows}-row results by key vs a FULL OUTER JOIN of the rows that differ`,
      keyed.ours,
      keyed.join,
      'ms',
      'reference',
    );
  } finally {
    await s.close();
  }
}
