import * as nodeCrypto from 'node:crypto';
import { loadSodium, sodium } from './sodium.js';
import { MASTER_KEY_BYTES } from './keys.js';
import { EngineError } from '../errors.js';

/** Bytes of nonce prepended to every sealed value (XChaCha20-Poly1305). */
export const NONCE_BYTES = 24;
/** Bytes of authentication tag appended to every sealed value. */
export const TAG_BYTES = 16;
/** Length of an account key or any other data key. */
export const DATA_KEY_BYTES = 32;

const KDF_CONTEXT = 'mdwstore';
const enum SubKey {
  Store = 1,
  Hash = 2,
  Wrap = 3,
  Check = 4,
}

/** Seals `plaintext` under `key` with XChaCha20-Poly1305: random nonce || ciphertext || tag, bound to `ad`. */
export function seal(key: Uint8Array, plaintext: Uint8Array | string, ad: string | Uint8Array): Uint8Array {
  const s = sodium();
  const nonce = randomBytes(NONCE_BYTES);
  const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
  const out = new Uint8Array(NONCE_BYTES + ct.length);
  out.set(nonce, 0);
  out.set(ct, NONCE_BYTES);
  return out;
}

/** Opens a value made by {@link seal}; undefined when the key, the data or `ad` do not match (tamper or wrong key). */
export function unseal(key: Uint8Array, sealed: Uint8Array, ad: string | Uint8Array): Uint8Array | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  try {
    return sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      sealed.subarray(NONCE_BYTES),
      ad,
      sealed.subarray(0, NONCE_BYTES),
      key,
    );
  } catch {
    return undefined;
  }
}

/** Random bytes from the operating system's CSPRNG (node:crypto; libsodium's wrapper costs ~90 µs a call). */
export function randomBytes(n: number): Uint8Array {
  return new Uint8Array(nodeCrypto.randomBytes(n));
}

/** A random identifier: 16 CSPRNG bytes as 32 lowercase hex characters. */
export function randomId(): string {
  return Buffer.from(randomBytes(16)).toString('hex');
}

/** Constant-time equality of two byte strings of equal length (false for different lengths). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium().memcmp(a, b);
}

/**
 * Keys derived from the warehouse master key (libsodium KDF, BLAKE2b): one seals the store file, one keys the
 * lookup hashes, one wraps account keys, one makes the key check. The master key itself is not kept.
 */
export class KeyRing {
  private constructor(
    /** Seals every frame of the store file. */
    readonly storeKey: Uint8Array,
    private readonly hashKey: Uint8Array,
    private readonly wrapKey: Uint8Array,
    private readonly checkKey: Uint8Array,
  ) {}

  /** Derives the key ring from a 32-byte master key (loads libsodium on first use). */
  static async fromMaster(master: Uint8Array): Promise<KeyRing> {
    if (master.length !== MASTER_KEY_BYTES) {
      throw new EngineError(
        'KEY_INVALID',
        `A master key is exactly ${MASTER_KEY_BYTES} bytes; got ${master.length}.`,
      );
    }
    const s = await loadSodium();
    const derive = (id: SubKey) => s.crypto_kdf_derive_from_key(32, id, KDF_CONTEXT, master);
    return new KeyRing(derive(SubKey.Store), derive(SubKey.Hash), derive(SubKey.Wrap), derive(SubKey.Check));
  }

  /** 32 bytes that identify the master key without revealing it; stored in the file header to tell a wrong key. */
  keyCheck(): Uint8Array {
    return sodium().crypto_generichash(32, 'mdw key check v1', this.checkKey);
  }

  /** Keyed BLAKE2b hash (hex) of `data`, domain-separated by `purpose`, for lookups that must not reveal the data. */
  hash(purpose: string, data: string | Uint8Array): string {
    const s = sodium();
    const prefix = s.from_string(`${purpose}\0`);
    const body = typeof data === 'string' ? s.from_string(data) : data;
    const message = new Uint8Array(prefix.length + body.length);
    message.set(prefix, 0);
    message.set(body, prefix.length);
    return Buffer.from(s.crypto_generichash(32, message, this.hashKey)).toString('hex');
  }

  /** Seals a data key (an account key) under the master-derived wrapping key, bound to its owner id. */
  wrap(dataKey: Uint8Array, ownerId: string): Uint8Array {
    return seal(this.wrapKey, dataKey, `mdw wrap ${ownerId}`);
  }

  /** Opens a key sealed by {@link wrap}; undefined when it was not sealed for `ownerId` under this master key. */
  unwrap(sealed: Uint8Array, ownerId: string): Uint8Array | undefined {
    return unseal(this.wrapKey, sealed, `mdw wrap ${ownerId}`);
  }
}
