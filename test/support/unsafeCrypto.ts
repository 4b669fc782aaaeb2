import type { WarehouseOptions } from '../../src/engine/warehouse.js';

/**
 * Tests only: `options` plus the hidden switch that makes the warehouse use DuckDB's insecure built-in crypto
 * (`force_mbedtls_unsafe`) so that the key plumbing can be exercised without httpfs. No setting or flag reaches it.
 */
export function withUnsafeTestCrypto(options: WarehouseOptions = {}): WarehouseOptions {
  return { ...options, [Symbol.for('microdatawarehouse.test.forceMbedtlsUnsafe')]: true } as WarehouseOptions;
}
