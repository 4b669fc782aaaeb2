import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';

/**
 * Runs `sql` on a fresh in-memory DuckDB instance outside any warehouse (no sandbox): tests use it to write
 * input files and read back outputs in folders the warehouse's SQL may not use.
 */
export async function plainRows(sql: string): Promise<DuckDBValue[][]> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  try {
    const c = await instance.connect();
    try {
      return (await c.runAndReadAll(sql)).getRows();
    } finally {
      c.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
