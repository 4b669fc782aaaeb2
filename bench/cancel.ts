// Cancel latency through the run controller (the path every surface takes): from the cancel request to
// the run reported cancelled, against DuckDB's own interrupt() on a plain connection.
import type { DuckDBConnection } from '@duckdb/node-api';
import { RunController } from '../src/host/run/runController.js';
import { Session } from '../src/engine/query/index.js';
import type { Warehouse } from '../src/engine/warehouse.js';
import { SAMPLES as MIN_SAMPLES, median, report } from './util.js';

/** Milliseconds a query runs before the cancel: long enough to be deep in DuckDB's work. */
const RUN_BEFORE_CANCEL_MS = 400;
/** At least 7 samples per query (more with BENCH_SAMPLES): cancel latency spreads widely on a loaded machine. */
const SAMPLES = Math.max(7, MIN_SAMPLES);

const QUERIES: [string, string][] = [
  ['long scan', 'SELECT sum(hash(range)) FROM range(100000000000)'],
  ['large cross join', 'SELECT sum(a.range * b.range) FROM range(10000000) a, range(10000000) b'],
  ['large sort', 'SELECT range, hash(range) AS h FROM range(50000000) ORDER BY h'],
];

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function throughController(runs: RunController, sql: string): Promise<number> {
  const running = runs.run({ key: 'bench', script: sql });
  await wait(RUN_BEFORE_CANCEL_MS);
  const t0 = performance.now();
  runs.cancel('bench');
  const run = await running;
  const ms = performance.now() - t0;
  if (run.status !== 'cancelled') throw new Error(`the run ended ${run.status}, not cancelled`);
  return ms;
}

async function raw(c: DuckDBConnection, sql: string): Promise<number> {
  const running = c.run(sql).then(
    () => 'finished',
    (e: unknown) => String(e),
  );
  await wait(RUN_BEFORE_CANCEL_MS);
  const t0 = performance.now();
  c.interrupt();
  const outcome = await running;
  const ms = performance.now() - t0;
  if (!/interrupt/i.test(outcome)) throw new Error(`raw query ended with ${outcome}`);
  return ms;
}

/** Cancel latency of a long scan, a large cross join and a large sort; samples alternate between them. */
export async function benchCancel(w: Warehouse, c: DuckDBConnection): Promise<void> {
  const session = await Session.open(w);
  const runs = new RunController({ session: () => Promise.resolve(session), openSession: () => session });
  const ours = new Map<string, number[]>(QUERIES.map(([name]) => [name, []]));
  const base = new Map<string, number[]>(QUERIES.map(([name]) => [name, []]));
  try {
    for (let i = 0; i < SAMPLES; i++) {
      for (const [name, sql] of QUERIES) {
        ours.get(name)!.push(await throughController(runs, sql));
        base.get(name)!.push(await raw(c, sql));
      }
    }
  } finally {
    runs.dispose();
    await session.close();
  }
  for (const [name] of QUERIES) {
    const o = ours.get(name)!;
    const b = base.get(name)!;
    report(
      `cancel a ${name}: request to run reported cancelled vs DuckDB's interrupt() on a plain connection`,
      o,
      b,
      'ms',
      'median ≤ 250 ms',
      median(o) <= 250,
    );
  }
}
