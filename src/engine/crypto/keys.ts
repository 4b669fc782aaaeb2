import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineError, errorMessage } from '../errors.js';

/** Length in bytes of the warehouse master key. */
export const MASTER_KEY_BYTES = 32;

/** Options for {@link KeyProvider.getMasterKey}. */
export interface GetKeyOptions {
  /** Create a new key when none exists (default true). False when a store already exists: a new key could not open it. */
  create?: boolean;
}

/** Source of the warehouse master key (32 bytes). The extension keeps it in SecretStorage; the CLI in a file. */
export interface KeyProvider {
  /** Returns the master key; throws KEY_MISSING when absent and `create` is false, KEY_INVALID when unusable. */
  getMasterKey(options?: GetKeyOptions): Promise<Uint8Array>;
  /** Where the key lives, for messages (never the key itself). */
  describe(): string;
  /** The key file's path when the key is a file (used to refuse a key kept inside the warehouse). */
  readonly file?: string;
}

/** The per-user configuration folder of MicroDataWarehouse (session token, default key file). */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32') {
    return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'MicroDataWarehouse');
  }
  if (process.platform === 'darwin') {
    return path.join(os.homedir(), 'Library', 'Application Support', 'MicroDataWarehouse');
  }
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'microdatawarehouse');
}

/** Options for {@link FileKeyProvider}. */
export interface FileKeyProviderOptions {
  /** Explicit key file; wins over `$MDW_KEY_FILE` and the config folder. */
  file?: string;
  /** Folder holding `master.key` when neither `file` nor `$MDW_KEY_FILE` is given. Default {@link defaultConfigDir}. */
  configDir?: string;
  /** Environment to read `MDW_KEY_FILE` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Master key in a file of exactly 32 raw bytes with mode 0600 (`$MDW_KEY_FILE`, or `master.key` in the per-user
 * config folder). Created atomically when missing; a file of another size or readable by others is refused.
 */
export class FileKeyProvider implements KeyProvider {
  /** Absolute path of the key file. */
  readonly file: string;

  constructor(options: FileKeyProviderOptions = {}) {
    const env = options.env ?? process.env;
    this.file = path.resolve(
      options.file ??
        (env.MDW_KEY_FILE || path.join(options.configDir ?? defaultConfigDir(env), 'master.key')),
    );
  }

  describe(): string {
    return `the key file ${this.file}`;
  }

  async getMasterKey(options: GetKeyOptions = {}): Promise<Uint8Array> {
    if (!fs.existsSync(this.file)) {
      if (options.create === false) {
        throw new EngineError(
          'KEY_MISSING',
          `The master key file ${this.file} does not exist, but this warehouse was encrypted with a key. Restore the key file (or set MDW_KEY_FILE to it); a new key cannot open existing data.`,
        );
      }
      this.create();
    }
    return this.read();
  }

  private read(): Uint8Array {
    let stat: fs.Stats;
    let bytes: Buffer;
    try {
      stat = fs.statSync(this.file);
      if (!stat.isFile())
        throw new EngineError('KEY_INVALID', `The master key path ${this.file} is not a file.`);
      bytes = fs.readFileSync(this.file);
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new EngineError(
        'KEY_INVALID',
        `The master key file ${this.file} cannot be read: ${errorMessage(e)}`,
        undefined,
        {
          cause: e,
        },
      );
    }
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      throw new EngineError(
        'KEY_INVALID',
        `The master key file ${this.file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}). Run: chmod 600 '${this.file}'`,
      );
    }
    if (bytes.length !== MASTER_KEY_BYTES) {
      bytes.fill(0);
      throw new EngineError(
        'KEY_INVALID',
        `The master key file ${this.file} holds ${stat.size} bytes; a master key is exactly ${MASTER_KEY_BYTES} raw bytes.`,
      );
    }
    return new Uint8Array(bytes);
  }

  /**
   * Makes `key` this file's key (another program's master key, so that both open one warehouse): written when
   * the file does not exist, accepted when it holds the same key; KEY_WRONG when it holds another, which may
   * open other data and is never overwritten.
   */
  adopt(key: Uint8Array): void {
    if (key.length !== MASTER_KEY_BYTES) {
      throw new EngineError('KEY_INVALID', `A master key is exactly ${MASTER_KEY_BYTES} bytes.`);
    }
    if (!fs.existsSync(this.file)) this.create(key);
    const held = this.read();
    try {
      if (!crypto.timingSafeEqual(held, key)) {
        throw new EngineError(
          'KEY_WRONG',
          `The key file ${this.file} holds another master key (it may open other warehouses), so it was left as it is. Set MDW_KEY_FILE to another file for this warehouse, or move that file away.`,
        );
      }
    } finally {
      held.fill(0);
    }
  }

  /** Writes a key (a fresh one by default) to a private temporary file, then links it into place so that no reader sees half a key. */
  private create(key?: Uint8Array): void {
    const dir = path.dirname(this.file);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = path.join(
        dir,
        `.${path.basename(this.file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}`,
      );
      const fd = fs.openSync(tmp, 'wx', 0o600);
      try {
        fs.writeSync(fd, key ?? crypto.randomBytes(MASTER_KEY_BYTES));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      try {
        fs.linkSync(tmp, this.file);
      } catch (e) {
        // Another process created the key at the same moment: use theirs.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    } catch (e) {
      throw new EngineError(
        'KEY_INVALID',
        `Could not create the master key file ${this.file}: ${errorMessage(e)}`,
        undefined,
        {
          cause: e,
        },
      );
    }
  }
}

/** A master key held by the caller (e.g. read from VS Code SecretStorage); `generateMasterKey` makes one. */
export class StaticKeyProvider implements KeyProvider {
  private readonly key: Uint8Array;
  constructor(
    key: Uint8Array,
    private readonly where = 'the supplied master key',
  ) {
    if (key.length !== MASTER_KEY_BYTES) {
      throw new EngineError(
        'KEY_INVALID',
        `A master key is exactly ${MASTER_KEY_BYTES} bytes; got ${key.length}.`,
      );
    }
    this.key = new Uint8Array(key);
  }

  describe(): string {
    return this.where;
  }

  async getMasterKey(): Promise<Uint8Array> {
    return new Uint8Array(this.key);
  }
}

/** 32 fresh random bytes for a new master key. */
export function generateMasterKey(): Uint8Array {
  return new Uint8Array(crypto.randomBytes(MASTER_KEY_BYTES));
}
