import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Milliseconds taken by `fn`, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The p-th percentile (0..100) of `xs`, nearest rank. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** A fresh temporary folder under bench/.tmp (ignored), removed by the caller. */
export function tempDir(prefix: string): string {
  const base = path.resolve(__dirname, '../../bench/.tmp');
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, prefix));
}

/** One printed line of the report: a figure, its baseline, their ratio and the goal. */
export interface Row {
  bench: string;
  ours: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: string;
}

const rows: Row[] = [];

/** Records and prints one result line. `ratio` = ours / baseline. */
export function report(
  bench: string,
  ours: number,
  baseline: number,
  unit: string,
  goal: string,
  met?: boolean,
): void {
  const row: Row = {
    bench,
    ours: `${ours.toFixed(1)} ${unit}`,
    baseline: `${baseline.toFixed(1)} ${unit}`,
    ratio: baseline > 0 ? `${(ours / baseline).toFixed(2)}×` : 'n/a',
    goal,
    met: met === undefined ? '' : met ? 'yes' : 'NO',
  };
  rows.push(row);
  process.stdout.write(
    `${row.bench}: ours ${row.ours}, baseline ${row.baseline}, ratio ${row.ratio}  (goal ${goal}${row.met ? `: ${row.met}` : ''})\n`,
  );
}

/** The report so far as a Markdown table with the date and machine. */
export function markdown(): string {
  const head = `Run on ${new Date().toISOString()} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()}-${os.arch()}\n\n`;
  const lines = [
    '| benchmark | ours | baseline | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows)
    lines.push(`| ${r.bench} | ${r.ours} | ${r.baseline} | ${r.ratio} | ${r.goal} | ${r.met} |`);
  return head + lines.join('\n') + '\n';
}
