import { EngineError } from '../engine/errors.js';

/**
 * `work`, or a TIMEOUT-style EngineError naming `what` once `ms` have passed: every step of a sign-in
 * or an account switch has an end. The work itself is not stopped.
 */
export function within<T>(work: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new EngineError(
            'TIMEOUT',
            `MicroDataWarehouse: ${what} did not finish within ${Math.round(ms / 1000)} s.`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() => clearTimeout(timer));
}
