import { execFileSync } from 'node:child_process';
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

/** Samples per figure (the bench rules ask for at least 5). */
export const SAMPLES = Math.max(5, Number(process.env.BENCH_SAMPLES ?? '5'));

/**
 * Runs `rounds` rounds of `sides` in turn (A B A B …) and returns each side's samples, so that a
 * slow spell of a shared machine lands on both sides.
 */
export async function alternate<K extends string>(
  rounds: number,
  sides: Record<K, () => Promise<number>>,
): Promise<Record<K, number[]>> {
  const keys = Object.keys(sides) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < rounds; i++) for (const k of keys) out[k].push(await sides[k]());
  return out;
}

/**
 * Runs one task of bench/tasks.ts in a fresh Node process (nothing cached from an earlier sample)
 * and returns what it printed as JSON on its last line.
 */
export function inChild<T>(task: string, args: unknown): T {
  const script = path.resolve(__dirname, 'tasks.js');
  const out = execFileSync(process.execPath, ['--expose-gc', script, task, JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}

/** One printed line of the report: a figure, its baseline, their ratio and the goal. */
export interface Row {
  section: string;
  bench: string;
  ours: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: string;
}

const rows: Row[] = [];
let currentSection = '';

/** Rows reported from now on belong to section `name` (each section is its own block in RESULTS.md). */
export function beginSection(name: string): void {
  currentSection = name;
}

function figure(xs: number[], unit: string): string {
  const f = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));
  if (xs.length === 1) return `${f(xs[0]!)} ${unit} (1 sample)`;
  return `${f(median(xs))} ${unit} (${f(Math.min(...xs))}–${f(Math.max(...xs))}, n=${xs.length})`;
}

/**
 * Records and prints one result line: the median of `ours` against the median of `baseline` (each
 * with its min–max), ratio = ours / baseline. `met` is judged by the caller on the medians.
 */
export function report(
  bench: string,
  ours: number | number[],
  baseline: number | number[],
  unit: string,
  goal: string,
  met?: boolean,
): void {
  const a = Array.isArray(ours) ? ours : [ours];
  const b = Array.isArray(baseline) ? baseline : [baseline];
  const row: Row = {
    section: currentSection,
    bench,
    ours: figure(a, unit),
    baseline: figure(b, unit),
    ratio: median(b) > 0 ? `${(median(a) / median(b)).toFixed(2)}×` : 'n/a',
    goal,
    met: met === undefined ? '' : met ? 'yes' : 'NO',
  };
  rows.push(row);
  process.stdout.write(
    `${row.bench}: ours ${row.ours}, baseline ${row.baseline}, ratio ${row.ratio}  (goal ${goal}${row.met ? `: ${row.met}` : ''})\n`,
  );
}

/** Ratio of the medians of `ours` and `baseline`. */
export function ratio(ours: number[], baseline: number[]): number {
  return median(ours) / median(baseline);
}

/** The machine and its load now: `nproc`, CPU model, memory, `uptime`. */
export function machine(): string {
  const run = (cmd: string): string => {
    try {
      return execFileSync(cmd, { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return `${run('nproc')} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()}-${os.arch()}; uptime: ${run('uptime')}`;
}

/** One section's rows as a Markdown block: its command, date, the machine and its load before and after. */
export function markdown(section: string, command: string, before: string): string {
  const head = `## ${section}\n\nCommand: \`${command}\`. Run on ${new Date().toISOString()}.\n\n- before: ${before}\n- after: ${machine()}\n\n`;
  const lines = [
    '| benchmark | ours: median (min–max, n) | baseline: median (min–max, n) | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows.filter((x) => x.section === section))
    lines.push(`| ${r.bench} | ${r.ours} | ${r.baseline} | ${r.ratio} | ${r.goal} | ${r.met} |`);
  return head + lines.join('\n') + '\n';
}

const OPEN = (name: string): string => `<!-- section: ${name} -->`;
const CLOSE = '<!-- /section -->';

/**
 * `text` (a RESULTS.md) with the block of each section in `blocks` replaced or added, in `order`.
 * What stands before the first block (the preamble) and blocks of sections not run are kept, so a
 * section can be re-measured on its own (`BENCH_ONLY=…`) without losing the others.
 */
export function mergeResults(text: string, blocks: Map<string, string>, order: string[]): string {
  const kept = new Map<string, string>();
  const re = /<!-- section: ([\w-]+) -->\n([\s\S]*?)<!-- \/section -->\n?/g;
  const first = text.search(/<!-- section: /);
  const preamble = first < 0 ? text : text.slice(0, first);
  for (const m of text.matchAll(re)) kept.set(m[1]!, m[2]!);
  for (const [k, v] of blocks) kept.set(k, v);
  const names = [...order.filter((n) => kept.has(n)), ...[...kept.keys()].filter((n) => !order.includes(n))];
  return (
    preamble.trimEnd() +
    '\n\n' +
    names.map((n) => `${OPEN(n)}\n${kept.get(n)!.trimEnd()}\n${CLOSE}\n`).join('\n')
  );
}
