import type { EngineOutcome as StatementOutcome } from '../../engine/api.js';
import type { RunMessage } from '../../shared/protocol.js';

/** Longest statement text a Messages line carries. */
const MAX_STATEMENT_TEXT = 2000;

/** Tab title of a result: its statement's first words. */
export function tabTitle(sql: string, index: number): string {
  const words = sql.replace(/\s+/g, ' ').trim();
  const short = words.length > 28 ? `${words.slice(0, 27)}…` : words;
  return short || `Result ${index + 1}`;
}

/** One Messages line for a statement's outcome. */
export function runMessage(outcome: StatementOutcome): RunMessage {
  const statement =
    outcome.sql.length > MAX_STATEMENT_TEXT ? `${outcome.sql.slice(0, MAX_STATEMENT_TEXT)}…` : outcome.sql;
  switch (outcome.status) {
    case 'rows': {
      const summary = outcome.result.summary();
      const note = outcome.result.cancelled
        ? ' (cancelled: rows kept so far)'
        : outcome.result.complete
          ? ''
          : ' so far';
      return {
        kind: 'info',
        statement,
        text: `Returned rows${note}`,
        rows: summary.rowCount,
        elapsedMs: summary.elapsedMs,
      };
    }
    case 'changes':
      return {
        kind: 'info',
        statement,
        text: 'Changed rows',
        rows: outcome.changes,
        elapsedMs: outcome.elapsedMs,
      };
    case 'ok':
      return { kind: 'info', statement, text: 'Done', elapsedMs: outcome.elapsedMs };
    case 'error':
      return {
        kind: 'error',
        statement,
        text: outcome.error.code === 'INTERRUPTED' ? 'Cancelled.' : outcome.error.message,
        ...(outcome.error.position
          ? { line: outcome.error.position.line, column: outcome.error.position.column }
          : {}),
      };
    case 'notRun':
      return {
        kind: 'info',
        statement,
        text: 'Not run: an earlier statement failed or the run was cancelled.',
      };
  }
}
