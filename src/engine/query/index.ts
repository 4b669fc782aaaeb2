export { Session, DEFAULT_MAX_RESULTS, DEFAULT_PAGE_SIZE } from './session.js';
export type {
  RunOptions,
  RunResult,
  SessionOptions,
  StatementInfo,
  StatementOutcome,
  TransactionState,
} from './session.js';
export { KeptResult, MAX_PAGE_ROWS } from './keptResult.js';
export type { KeptColumn } from './keptResult.js';
export { splitStatements, statementAt, lineColumn } from './split.js';
export type { StatementRange } from './split.js';
export { compareResults, DIFF_LABELS } from './compare.js';
export type { CompareCounts, CompareOptions, CompareResult } from './compare.js';
export { MAX_PIN_NAME } from './pins.js';
export type { PinInfo } from './pins.js';
