import { EngineError } from '../errors.js';
import { randomId } from '../crypto/seal.js';
import { ad } from './accountIndex.js';
import { HistoryRecord, openJson, sealJson, T } from './records.js';
import type { AccountScope, Reader } from './scope.js';

/** How a query run ended. */
export type QueryStatus = 'ok' | 'error' | 'cancelled';

/** What the query runner records about one run. Times are milliseconds since the epoch. */
export interface HistoryInput {
  /** The worksheet it ran from, or null for an ad hoc query. */
  worksheetId?: string | null;
  sql: string;
  startedAt: number;
  durationMs: number;
  /** Rows returned or changed, when known. */
  rows?: number | null;
  status: QueryStatus;
  /** The error message when status is `error`. */
  error?: string | null;
}

/** A recorded run. */
export interface HistoryEntry {
  id: string;
  worksheetId: string | null;
  sql: string;
  startedAt: number;
  durationMs: number;
  rows: number | null;
  status: QueryStatus;
  error: string | null;
}

/** Filters for {@link QueryHistory.list} and {@link QueryHistory.search}. */
export interface HistoryQuery {
  /** Only runs from this worksheet. */
  worksheetId?: string;
  /** At most this many entries (default 100). */
  limit?: number;
}

type Body = Omit<HistoryEntry, 'id' | 'worksheetId' | 'startedAt'>;

const STATUSES: readonly QueryStatus[] = ['ok', 'error', 'cancelled'];

/** An account's query history, newest first, capped (the oldest entries are pruned), searchable. */
export class QueryHistory {
  constructor(private readonly scope: AccountScope) {}

  /** Records a run; prunes the oldest entries beyond the account's limit. */
  async add(input: HistoryInput): Promise<HistoryEntry> {
    const entry = checkInput(input);
    return this.scope.write((tx, index) => {
      if (entry.worksheetId !== null && index.nodes.get(entry.worksheetId)?.kind !== 'worksheet') {
        throw new EngineError('NOT_FOUND', 'No such worksheet.');
      }
      const id = randomId();
      const { accountId, key } = this.scope;
      const body: Body = {
        sql: entry.sql,
        durationMs: entry.durationMs,
        rows: entry.rows,
        status: entry.status,
        error: entry.error,
      };
      const value: HistoryRecord = {
        account: accountId,
        worksheet: entry.worksheetId,
        startedAt: entry.startedAt,
        body: sealJson(key, body, ad.hist(accountId, id)),
      };
      tx.put(T.hist, id, value);
      const kept = index.history();
      const excess = kept.length + 1 - this.scope.limits.history;
      for (const old of kept.slice(0, Math.max(0, excess))) tx.delete(T.hist, old.id);
      return { ...entry, id };
    });
  }

  /** Recent runs, newest first. */
  async list(query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    return this.select(query, () => true);
  }

  /** Runs whose SQL or error contains `text` (ignoring case), newest first. */
  async search(text: string, query: HistoryQuery = {}): Promise<HistoryEntry[]> {
    const needle = String(text).toLowerCase();
    return this.select(
      query,
      (e) => e.sql.toLowerCase().includes(needle) || (e.error ?? '').toLowerCase().includes(needle),
    );
  }

  /** Deletes the account's history (or one worksheet's); returns how many entries went. */
  async clear(query: Pick<HistoryQuery, 'worksheetId'> = {}): Promise<number> {
    return this.scope.write((tx, index) => {
      let removed = 0;
      for (const h of index.history()) {
        if (query.worksheetId !== undefined && h.worksheet !== query.worksheetId) continue;
        tx.delete(T.hist, h.id);
        removed++;
      }
      return removed;
    });
  }

  private async select(query: HistoryQuery, keep: (e: HistoryEntry) => boolean): Promise<HistoryEntry[]> {
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 0)
      throw new EngineError('INVALID_ARGUMENT', 'limit must be a whole number ≥ 0.');
    return this.scope.read((index, reader) => {
      if (query.worksheetId !== undefined && index.nodes.get(query.worksheetId)?.kind !== 'worksheet') {
        throw new EngineError('NOT_FOUND', 'No such worksheet.');
      }
      const out: HistoryEntry[] = [];
      const all = index.history();
      for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
        const h = all[i]!;
        if (query.worksheetId !== undefined && h.worksheet !== query.worksheetId) continue;
        const entry = this.decode(reader, h.id);
        if (keep(entry)) out.push(entry);
      }
      return out;
    });
  }

  private decode(reader: Reader, id: string): HistoryEntry {
    const stored = reader.get(T.hist, id) as HistoryRecord;
    const body = openJson<Body>(this.scope.key, stored.body, ad.hist(this.scope.accountId, id));
    return { id, worksheetId: stored.worksheet, startedAt: stored.startedAt, ...body };
  }
}

function checkInput(input: HistoryInput): Omit<HistoryEntry, 'id'> {
  if (typeof input.sql !== 'string') throw new EngineError('INVALID_ARGUMENT', 'History SQL must be text.');
  if (!STATUSES.includes(input.status))
    throw new EngineError('INVALID_ARGUMENT', `Status must be one of ${STATUSES.join(', ')}.`);
  for (const [name, v] of [
    ['startedAt', input.startedAt],
    ['durationMs', input.durationMs],
  ] as const) {
    if (!Number.isFinite(v) || v < 0)
      throw new EngineError('INVALID_ARGUMENT', `${name} must be a number ≥ 0.`);
  }
  const rows = input.rows ?? null;
  if (rows !== null && (!Number.isFinite(rows) || rows < 0))
    throw new EngineError('INVALID_ARGUMENT', 'rows must be a number ≥ 0 or null.');
  return {
    worksheetId: input.worksheetId ?? null,
    sql: input.sql,
    startedAt: input.startedAt,
    durationMs: input.durationMs,
    rows,
    status: input.status,
    error: input.error ?? null,
  };
}
