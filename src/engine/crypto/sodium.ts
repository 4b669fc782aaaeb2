import type * as Sodium from 'libsodium-wrappers-sumo';
import { EngineError, errorMessage } from '../errors.js';

/** The libsodium API, available once {@link loadSodium} has resolved. */
export type SodiumApi = typeof Sodium;

let loading: Promise<SodiumApi> | undefined;
let loaded: SodiumApi | undefined;

/** Loads libsodium (WebAssembly) once, on first use; later calls return the same instance. */
export function loadSodium(): Promise<SodiumApi> {
  loading ??= (async () => {
    try {
      // require, not import(): bundled as CommonJS the ESM entry fails at run time (FACTS).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sodium = require('libsodium-wrappers-sumo') as SodiumApi;
      await sodium.ready;
      loaded = sodium;
      return sodium;
    } catch (e) {
      loading = undefined;
      throw new EngineError(
        'NATIVE_LOAD_FAILED',
        `libsodium could not be loaded: ${errorMessage(e)}`,
        undefined,
        {
          cause: e,
        },
      );
    }
  })();
  return loading;
}

/** The loaded libsodium; throws if {@link loadSodium} has not resolved yet (a programming error). */
export function sodium(): SodiumApi {
  if (!loaded) throw new Error('libsodium is not loaded yet: await loadSodium() first.');
  return loaded;
}
