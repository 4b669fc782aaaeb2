/** One operator of a query plan. */
export interface PlanNode {
  /** Position in a depth-first walk, unique in its plan. */
  id: number;
  /** Operator name as DuckDB writes it, e.g. HASH_JOIN. */
  name: string;
  /** DuckDB's extra information (table, conditions, projections…) as key and text. */
  details: [string, string][];
  /** The optimizer's estimate of the rows it produces; null when DuckDB gives none. */
  estimatedRows: number | null;
  /** Rows it produced (Explain Analyze only). */
  actualRows: number | null;
  /** Time spent in the operator itself, in milliseconds (Explain Analyze only). */
  timeMs: number | null;
  /** Share of the plan's operator time spent here, 0..1 (Explain Analyze only). */
  timeShare: number | null;
  /** One of the most expensive operators: by time when analyzed, else by estimated rows. */
  hot: boolean;
  children: PlanNode[];
}

/** A plan as the plan view shows it. */
export interface QueryPlan {
  /** True for Explain Analyze: the query ran and times and actual rows are measured. */
  analyzed: boolean;
  /** The statement explained. */
  sql: string;
  /** Whole query latency in milliseconds (Explain Analyze only). */
  totalMs: number | null;
  roots: PlanNode[];
  /** DuckDB's own text rendering of the physical plan. */
  text: string;
  /** DuckDB's JSON output, as it came. */
  json: string;
}

/** Notifications the host sends to the plan webview. */
export interface PlanHostNotifications {
  plan: { plan: QueryPlan };
  loading: { sql: string; analyzed: boolean };
  error: { message: string };
}

/** The plan panel's channel: the host shows, the webview only reports `ready` and errors. */
export interface PlanProtocol {
  requests: Record<never, never>;
  toHost: Record<never, never>;
  toWebview: PlanHostNotifications;
  hostRequests: Record<never, never>;
}
