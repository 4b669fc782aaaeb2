import type { PlanNode, QueryPlan } from '../../shared/plan.js';
import { EngineError } from '../errors.js';
import type { EngineSession as Session } from '../api.js';

/** Operators DuckDB wraps an analyzed plan in; the plan view shows what they wrap. */
const WRAPPERS = new Set(['EXPLAIN_ANALYZE', 'QUERY']);
/** Most operators highlighted as expensive. */
const MAX_HOT = 3;

type Json = Record<string, unknown>;

/**
 * Explains `sql` (one statement) in `session`, so the session's database, schema, transaction and
 * temporary objects apply. With `analyze` the statement RUNS (DuckDB's EXPLAIN ANALYZE) and the plan
 * carries measured rows and times; without it nothing runs.
 */
export async function explain(
  session: Session,
  sql: string,
  options: { analyze: boolean },
): Promise<QueryPlan> {
  const statement = sql.trim().replace(/;+\s*$/, '');
  if (!statement) throw new EngineError('INVALID_ARGUMENT', 'There is no statement to explain.');
  const json = await explainValue(
    session,
    `EXPLAIN (${options.analyze ? 'ANALYZE, ' : ''}FORMAT json) ${statement}`,
  );
  const text = await explainValue(session, `EXPLAIN ${statement}`);
  return parsePlan(json, { sql: statement, text, analyzed: options.analyze });
}

/** Builds a plan from DuckDB's JSON: an `EXPLAIN (FORMAT json)` array or an analyzed profile object. */
export function parsePlan(json: string, meta: { sql: string; text: string; analyzed: boolean }): QueryPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new EngineError('SQL_ERROR', 'DuckDB returned a plan that is not JSON.', undefined, { cause: e });
  }
  let nextId = 0;
  const build = (node: Json): PlanNode[] => {
    const name = String(node.operator_name ?? node.operator_type ?? node.name ?? '?').trim();
    const children = (Array.isArray(node.children) ? (node.children as Json[]) : []).flatMap(build);
    if (WRAPPERS.has(name)) return children;
    const extra = (node.extra_info ?? {}) as Json;
    const details: [string, string][] = [];
    let estimatedRows: number | null = null;
    for (const [key, value] of Object.entries(extra)) {
      const textValue = Array.isArray(value) ? value.map(String).join('\n') : String(value);
      if (key === 'Estimated Cardinality') estimatedRows = toNumber(textValue);
      else details.push([key, textValue]);
    }
    const timing = typeof node.operator_timing === 'number' ? node.operator_timing * 1000 : null;
    return [
      {
        id: nextId++,
        name,
        details,
        estimatedRows,
        actualRows: typeof node.operator_cardinality === 'number' ? node.operator_cardinality : null,
        timeMs: timing,
        timeShare: null,
        hot: false,
        children,
      },
    ];
  };
  let roots: PlanNode[];
  let totalMs: number | null = null;
  if (Array.isArray(raw)) roots = (raw as Json[]).flatMap(build);
  else if (raw && typeof raw === 'object') {
    const profile = raw as Json;
    totalMs = typeof profile.latency === 'number' ? profile.latency * 1000 : null;
    roots = (Array.isArray(profile.children) ? (profile.children as Json[]) : []).flatMap(build);
  } else roots = [];
  markCost(roots, meta.analyzed);
  return { analyzed: meta.analyzed, sql: meta.sql, totalMs, roots, text: meta.text, json };
}

/** Every node of a plan, depth first. */
export function planNodes(roots: PlanNode[]): PlanNode[] {
  return roots.flatMap((n) => [n, ...planNodes(n.children)]);
}

function markCost(roots: PlanNode[], analyzed: boolean): void {
  const nodes = planNodes(roots);
  const cost = (n: PlanNode): number => (analyzed ? (n.timeMs ?? 0) : (n.estimatedRows ?? 0));
  if (analyzed) {
    const total = nodes.reduce((sum, n) => sum + (n.timeMs ?? 0), 0);
    for (const n of nodes) n.timeShare = total > 0 && n.timeMs !== null ? n.timeMs / total : null;
  }
  const ranked = nodes.filter((n) => cost(n) > 0).sort((a, b) => cost(b) - cost(a));
  const top = cost(ranked[0] ?? nodes[0]!) || 0;
  // The few operators that dominate: the costliest, and any other within reach of it.
  for (const n of ranked.slice(0, MAX_HOT)) if (cost(n) >= top * 0.25) n.hot = true;
}

function toNumber(text: string): number | null {
  const n = Number(text.replace(/[~,\s]/g, ''));
  return Number.isFinite(n) ? n : null;
}

async function explainValue(session: Session, sql: string): Promise<string> {
  const run = await session.run(sql);
  if (run.error) throw run.error;
  const outcome = run.outcomes[0];
  if (outcome?.status !== 'rows') throw new EngineError('SQL_ERROR', 'EXPLAIN returned no plan.');
  const result = outcome.result;
  try {
    await result.whenComplete();
    const page = await result.page(0, 100);
    return page.rows.map((r) => String(r[1] ?? '')).join('\n');
  } finally {
    await result.release();
  }
}
