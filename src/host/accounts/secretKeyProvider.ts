import * as vscode from 'vscode';
import {
  generateMasterKey,
  MASTER_KEY_BYTES,
  type GetKeyOptions,
  type KeyProvider,
} from '../../engine/crypto/keys.js';
import { EngineError } from '../../engine/errors.js';

/** SecretStorage key of the warehouse master key (base64). */
export const MASTER_KEY_SECRET = 'microDataWarehouse.masterKey';

/**
 * The master key kept in VS Code's SecretStorage (the OS keychain on desktop), made on first use.
 * Never in settings, never logged, never inside the warehouse folder.
 */
export class SecretKeyProvider implements KeyProvider {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  describe(): string {
    return "VS Code's secret storage";
  }

  async getMasterKey(options: GetKeyOptions = {}): Promise<Uint8Array> {
    const stored = await this.secrets.get(MASTER_KEY_SECRET);
    if (stored !== undefined) return decode(stored);
    if (options.create === false) {
      throw new EngineError(
        'KEY_MISSING',
        "The warehouse's metadata store exists, but VS Code's secret storage holds no master key for it (it was made by another VS Code profile or machine, or by the mdw command line). A new key cannot open existing data: choose another warehouse folder, or restore the key.",
      );
    }
    const key = generateMasterKey();
    await this.secrets.store(MASTER_KEY_SECRET, Buffer.from(key).toString('base64'));
    key.fill(0);
    // Another window may have stored its own key at the same moment: both go on with the one that won.
    return decode((await this.secrets.get(MASTER_KEY_SECRET)) ?? '');
  }
}

function decode(stored: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(stored, 'base64'));
  if (bytes.length !== MASTER_KEY_BYTES) {
    bytes.fill(0);
    throw new EngineError(
      'KEY_INVALID',
      "The master key in VS Code's secret storage is damaged (wrong length); the metadata store cannot be opened.",
    );
  }
  return bytes;
}
