import { EngineError, errorMessage } from './errors.js';

type DuckDBApi = typeof import('@duckdb/node-api');
let api: DuckDBApi | undefined;

/**
 * Loads DuckDB's native binding on first use. A failure becomes NATIVE_LOAD_FAILED with the reason,
 * so a missing or wrong-platform binding is a message, not a dead extension.
 */
export function duckdb(): DuckDBApi {
  if (!api) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      api = require('@duckdb/node-api') as DuckDBApi;
    } catch (e) {
      throw new EngineError(
        'NATIVE_LOAD_FAILED',
        `DuckDB's native library could not be loaded on ${process.platform}-${process.arch}: ${errorMessage(e)}`,
        undefined,
        { cause: e },
      );
    }
  }
  return api;
}
