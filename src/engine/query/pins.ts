import { EngineError } from '../errors.js';

/** Longest name a pinned result may have. */
export const MAX_PIN_NAME = 100;

/** A pinned result as callers list it. */
export interface PinInfo {
  resultId: string;
  name: string;
  /** When it was pinned (ms since the epoch). */
  pinnedAt: number;
}

/**
 * The pinned results of one session: result id → name. A pinned result is never dropped to keep the
 * session's bound on results; it lives until unpinned or until the session closes.
 */
export class PinSet {
  private readonly byId = new Map<string, PinInfo>();

  /** True when `resultId` is pinned. */
  has(resultId: string): boolean {
    return this.byId.has(resultId);
  }

  /** The pin of `resultId`, if any. */
  get(resultId: string): PinInfo | undefined {
    return this.byId.get(resultId);
  }

  /**
   * Pins `resultId` as `name` (trimmed; 1–100 characters, no control characters, unique in the session
   * ignoring case). Pinning a pinned result renames it.
   */
  add(resultId: string, name: unknown): PinInfo {
    const clean = checkPinName(name);
    const taken = [...this.byId.values()].find(
      (p) => p.resultId !== resultId && p.name.toLowerCase() === clean.toLowerCase(),
    );
    if (taken)
      throw new EngineError(
        'NAME_TAKEN',
        `A pinned result is already named "${taken.name}"; pick another name.`,
      );
    const pin: PinInfo = { resultId, name: clean, pinnedAt: this.byId.get(resultId)?.pinnedAt ?? Date.now() };
    this.byId.set(resultId, pin);
    return pin;
  }

  /** Unpins `resultId`; false when it was not pinned. */
  delete(resultId: string): boolean {
    return this.byId.delete(resultId);
  }

  /** Every pin, oldest first. */
  list(): PinInfo[] {
    return [...this.byId.values()];
  }

  clear(): void {
    this.byId.clear();
  }
}

/** A pin name, trimmed; NAME_INVALID (saying what is allowed) otherwise. */
export function checkPinName(name: unknown): string {
  const clean = typeof name === 'string' ? name.trim() : '';
  // eslint-disable-next-line no-control-regex
  if (!clean || clean.length > MAX_PIN_NAME || /[\u0000-\u001f\u007f]/.test(clean)) {
    throw new EngineError(
      'NAME_INVALID',
      `A pinned result needs a name of 1 to ${MAX_PIN_NAME} characters without line breaks or control characters.`,
    );
  }
  return clean;
}
