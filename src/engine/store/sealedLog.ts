import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError, errorMessage } from '../errors.js';
import { equalBytes, KeyRing, seal, unseal } from '../crypto/seal.js';
import { withFileLock } from './lock.js';

/** One change: put `value` at `table`/`key`, or delete it when `value` is null. */
export type Op = [table: string, key: string, value: unknown];

/** Receives every applied change, and `reset` when the whole state was reloaded (another process compacted). */
export interface ChangeListener {
  change(table: string, key: string, value: unknown): void;
  reset(): void;
}

/**
 * What other processes committed, as this process read it: the keys touched in each table, or `reloaded` when the
 * whole state was read again (another process compacted the store; then anything may have changed).
 */
export interface ExternalChange {
  tables: ReadonlyMap<string, ReadonlySet<string>>;
  reloaded: boolean;
}

/** Options for {@link SealedLog.open}. */
export interface SealedLogOptions {
  /** Create the file when it does not exist. */
  create: boolean;
  /** How long a writer waits for another process's lock. */
  lockTimeoutMs: number;
  /** Rewrite the log as a snapshot once it exceeds this size and twice the last snapshot. */
  compactAfterBytes: number;
}

const MAGIC = Buffer.from('MDWSTORE', 'latin1');
const FORMAT = 1;
const HEADER_BYTES = 8 + 4 + 16 + 32;
const FRAME_PREFIX = 8;
const MAX_FRAME = 256 * 1024 * 1024;
const SNAPSHOT_CHUNK = 512 * 1024;

interface Parsed {
  frames: Op[][];
  end: number;
  seq: number;
  torn: boolean;
}

/**
 * An append-only file of sealed frames holding a key-value state (table -> key -> JSON value). The header carries
 * the format, a random generation and a key check; each frame is sealed under the store key with the header and
 * its sequence number as associated data, so any changed, moved or removed frame is detected. A frame that was
 * being written when the process died (shorter than its length prefix) is not committed and is cut off by the
 * next writer. Writers serialise through a lock file; compaction writes a snapshot to a new file and renames it.
 */
export class SealedLog {
  private state = new Map<string, Map<string, unknown>>();
  private header!: Buffer;
  private offset = 0;
  private seq = 0;
  private snapshotBytes = 0;
  private closed = false;
  private readonly listeners = new Set<ChangeListener>();
  private readonly lockFile: string;
  /** Other processes' commits read since {@link takeExternalChanges} last ran (this process's own appends are not). */
  private external: { tables: Map<string, Set<string>>; reloaded: boolean } | undefined;

  private constructor(
    /** Path of the log file. */
    readonly file: string,
    private readonly ring: KeyRing,
    private readonly options: SealedLogOptions,
  ) {
    this.lockFile = `${file}.lock`;
  }

  /** Opens (or creates, when allowed) the log and loads its state. Reading never writes to disk. */
  static async open(file: string, ring: KeyRing, options: SealedLogOptions): Promise<SealedLog> {
    const log = new SealedLog(file, ring, options);
    if (!fs.existsSync(file)) {
      if (!options.create)
        throw new EngineError('STORE_CORRUPT', `The metadata store file ${file} is missing.`);
      await withFileLock(log.lockFile, options.lockTimeoutMs, () => {
        if (!fs.existsSync(file)) log.writeSnapshot([[['meta', 'format', FORMAT]]]);
      });
    }
    log.load(fs.readFileSync(file));
    return log;
  }

  /** The committed value at `table`/`key` as last read (call {@link refresh} first to see other processes). */
  get(table: string, key: string): unknown {
    return this.state.get(table)?.get(key);
  }

  /** Committed entries of `table` as last read. */
  entries(table: string): IterableIterator<[string, unknown]> {
    return (this.state.get(table) ?? new Map<string, unknown>()).entries();
  }

  /** Subscribes to applied changes. */
  onChange(listener: ChangeListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Reads what other processes committed since the last read. */
  async refresh(): Promise<void> {
    this.assertOpen();
    this.sync(false);
  }

  /**
   * What other processes committed that this process has read (through {@link refresh} or a write's fresh read)
   * since the last call, or undefined when nothing (or when not tracking); resets the record.
   */
  takeExternalChanges(): ExternalChange | undefined {
    const taken = this.external;
    if (!taken || (taken.tables.size === 0 && !taken.reloaded)) return undefined;
    this.external = { tables: new Map(), reloaded: false };
    return taken;
  }

  /** Starts (forgetting anything earlier) or stops recording other processes' commits for {@link takeExternalChanges}. */
  trackExternalChanges(on: boolean): void {
    this.external = on ? { tables: new Map(), reloaded: false } : undefined;
  }

  /**
   * Runs `fn` under the store lock on fresh state and commits the changes it made as one frame (all or nothing).
   * `fn` is synchronous: nothing else can interleave between reading and writing.
   */
  async transact<T>(fn: (tx: Transaction) => T): Promise<T> {
    this.assertOpen();
    return withFileLock(this.lockFile, this.options.lockTimeoutMs, () => {
      this.assertOpen();
      this.sync(true);
      const tx = new Transaction(this);
      const result = fn(tx);
      if (tx.ops.length > 0) {
        this.append(tx.ops);
        this.maybeCompact();
      }
      return result;
    });
  }

  /** Forgets the state; later calls throw. Idempotent. */
  close(): void {
    this.closed = true;
    this.external = undefined;
    this.state.clear();
    this.listeners.clear();
  }

  /** Rewrites the log as a snapshot now (normally automatic). */
  async compact(): Promise<void> {
    this.assertOpen();
    await withFileLock(this.lockFile, this.options.lockTimeoutMs, () => {
      this.sync(true);
      this.writeCompacted();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineError('WAREHOUSE_CLOSED', 'The metadata store is closed.');
  }

  private load(bytes: Buffer): void {
    const header = this.checkHeader(bytes);
    const parsed = this.parse(bytes, header, HEADER_BYTES, 0);
    if (parsed.frames.length === 0) {
      throw new EngineError(
        'STORE_CORRUPT',
        `The metadata store ${this.file} is damaged: it holds no committed data.`,
      );
    }
    const state = new Map<string, Map<string, unknown>>();
    for (const frame of parsed.frames) for (const op of frame) applyOp(state, op);
    this.state = state;
    this.header = header;
    this.offset = parsed.end;
    this.seq = parsed.seq;
    this.snapshotBytes = Math.max(this.snapshotBytes, parsed.end);
  }

  private checkHeader(bytes: Buffer): Buffer {
    if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 8).equals(MAGIC)) {
      throw new EngineError(
        'STORE_CORRUPT',
        `${this.file} is not a MicroDataWarehouse metadata store, or its header is damaged.`,
      );
    }
    const format = bytes.readUInt32BE(8);
    if (format !== FORMAT) {
      throw new EngineError(
        'STORE_CORRUPT',
        `The metadata store ${this.file} has format ${format}; this version reads format ${FORMAT} (a newer version wrote it, or it is damaged).`,
      );
    }
    if (!equalBytes(bytes.subarray(28, HEADER_BYTES), this.ring.keyCheck())) {
      throw new EngineError(
        'KEY_WRONG',
        `The master key does not open the metadata store ${this.file}: it was encrypted with another key (or its key check was damaged). Nothing was changed.`,
      );
    }
    return Buffer.from(bytes.subarray(0, HEADER_BYTES));
  }

  private parse(bytes: Buffer, header: Buffer, start: number, seq: number): Parsed {
    const frames: Op[][] = [];
    let at = start;
    for (;;) {
      if (bytes.length - at < FRAME_PREFIX) return { frames, end: at, seq, torn: bytes.length > at };
      const length = bytes.readUInt32BE(at);
      if (~length >>> 0 !== bytes.readUInt32BE(at + 4) || length > MAX_FRAME) {
        throw this.corrupt(at);
      }
      if (bytes.length - at - FRAME_PREFIX < length) return { frames, end: at, seq, torn: true };
      const body = bytes.subarray(at + FRAME_PREFIX, at + FRAME_PREFIX + length);
      const plain = unseal(this.ring.storeKey, body, frameAd(header, seq));
      if (!plain) throw this.corrupt(at);
      let ops: Op[];
      try {
        ops = (JSON.parse(Buffer.from(plain).toString('utf8')) as { ops: Op[] }).ops;
        if (!Array.isArray(ops)) throw new Error('no ops');
      } catch {
        throw this.corrupt(at);
      }
      frames.push(ops);
      at += FRAME_PREFIX + length;
      seq++;
    }
  }

  private corrupt(at: number): EngineError {
    return new EngineError(
      'STORE_CORRUPT',
      `The metadata store ${this.file} is damaged or was tampered with (at byte ${at}). Nothing was changed; restore it from a backup.`,
    );
  }

  /** Brings the in-memory state up to the file. A writer (holding the lock) also cuts off a torn tail. */
  private sync(writer: boolean): void {
    let fd: number;
    try {
      fd = fs.openSync(this.file, writer ? 'r+' : 'r');
    } catch (e) {
      throw new EngineError(
        'STORE_CORRUPT',
        `The metadata store ${this.file} cannot be opened: ${errorMessage(e)}`,
        undefined,
        {
          cause: e,
        },
      );
    }
    try {
      const size = fs.fstatSync(fd).size;
      const header = Buffer.alloc(HEADER_BYTES);
      fs.readSync(fd, header, 0, HEADER_BYTES, 0);
      if (!header.equals(this.header)) {
        this.load(readAll(fd, size));
        if (this.external) this.external.reloaded = true;
        for (const l of this.listeners) l.reset();
        return;
      }
      if (size < this.offset) {
        throw new EngineError(
          'STORE_CORRUPT',
          `The metadata store ${this.file} was cut short behind this process's back.`,
        );
      }
      if (size > this.offset) {
        const tail = Buffer.alloc(size - this.offset);
        fs.readSync(fd, tail, 0, tail.length, this.offset);
        // Parse at the tail's own offsets: frame ADs use sequence numbers, not positions.
        const parsed = this.parse(tail, this.header, 0, this.seq);
        for (const frame of parsed.frames) {
          if (this.external) for (const [table, key] of frame) noteKey(this.external.tables, table, key);
          this.apply(frame);
        }
        this.offset += parsed.end;
        this.seq = parsed.seq;
        if (parsed.torn && writer) {
          fs.ftruncateSync(fd, this.offset);
          fs.fsyncSync(fd);
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  private apply(ops: Op[]): void {
    for (const op of ops) {
      applyOp(this.state, op);
      for (const l of this.listeners) l.change(op[0], op[1], op[2]);
    }
  }

  private encodeFrame(header: Buffer, seq: number, ops: Op[]): Buffer {
    const body = seal(this.ring.storeKey, JSON.stringify({ ops }), frameAd(header, seq));
    const prefix = Buffer.alloc(FRAME_PREFIX);
    prefix.writeUInt32BE(body.length, 0);
    prefix.writeUInt32BE(~body.length >>> 0, 4);
    return Buffer.concat([prefix, body]);
  }

  private append(ops: Op[]): void {
    const frame = this.encodeFrame(this.header, this.seq, ops);
    const fd = fs.openSync(this.file, 'r+');
    try {
      try {
        writeFully(fd, frame, this.offset);
        fs.fdatasyncSync(fd);
      } catch (e) {
        try {
          fs.ftruncateSync(fd, this.offset);
        } catch {
          // the next writer cuts the torn frame off anyway
        }
        throw new EngineError(
          'STORE_CORRUPT',
          `Could not write the metadata store ${this.file}: ${errorMessage(e)}. Nothing was saved.`,
          undefined,
          {
            cause: e,
          },
        );
      }
    } finally {
      fs.closeSync(fd);
    }
    this.offset += frame.length;
    this.seq++;
    this.apply(ops);
  }

  private maybeCompact(): void {
    if (this.offset > this.options.compactAfterBytes && this.offset > 2 * this.snapshotBytes)
      this.writeCompacted();
  }

  private writeCompacted(): void {
    const chunks: Op[][] = [];
    let chunk: Op[] = [];
    let size = 0;
    for (const [table, entries] of this.state) {
      for (const [key, value] of entries) {
        chunk.push([table, key, value]);
        size += key.length + JSON.stringify(value).length;
        if (size > SNAPSHOT_CHUNK) {
          chunks.push(chunk);
          chunk = [];
          size = 0;
        }
      }
    }
    if (chunk.length > 0 || chunks.length === 0) chunks.push(chunk);
    this.writeSnapshot(chunks);
    this.load(fs.readFileSync(this.file));
    this.snapshotBytes = this.offset;
  }

  /** Writes a new file (fresh generation) beside the log, flushes it, and renames it over the log atomically. */
  private writeSnapshot(chunks: Op[][]): void {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith(`${base}.tmp-`)) fs.rmSync(path.join(dir, name), { force: true });
    }
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32BE(FORMAT, 8);
    crypto.randomBytes(16).copy(header, 12);
    Buffer.from(this.ring.keyCheck()).copy(header, 28);
    const parts = [header, ...chunks.map((ops, seq) => this.encodeFrame(header, seq, ops))];
    const tmp = path.join(dir, `${base}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      writeFully(fd, Buffer.concat(parts), 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    fsyncDir(dir);
  }
}

/** Changes made inside {@link SealedLog.transact}; reads see the transaction's own writes. */
export class Transaction {
  /** The changes, in order. */
  readonly ops: Op[] = [];
  private readonly overlay = new Map<string, Map<string, unknown>>();

  constructor(private readonly log: SealedLog) {}

  /** The value at `table`/`key`, including this transaction's writes. */
  get(table: string, key: string): unknown {
    const mine = this.overlay.get(table);
    if (mine?.has(key)) return mine.get(key) ?? undefined;
    return this.log.get(table, key);
  }

  /** Entries of `table` including this transaction's writes. */
  *entries(table: string): IterableIterator<[string, unknown]> {
    const mine = this.overlay.get(table);
    for (const [key, value] of this.log.entries(table)) if (!mine?.has(key)) yield [key, value];
    if (mine) for (const [key, value] of mine) if (value !== null) yield [key, value];
  }

  /** Sets `table`/`key` to a JSON value. */
  put(table: string, key: string, value: unknown): void {
    if (value === null || value === undefined) throw new Error('put needs a value; use delete');
    this.record(table, key, value);
  }

  /** Removes `table`/`key` (no-op when absent). */
  delete(table: string, key: string): void {
    if (this.get(table, key) !== undefined) this.record(table, key, null);
  }

  private record(table: string, key: string, value: unknown): void {
    let mine = this.overlay.get(table);
    if (!mine) this.overlay.set(table, (mine = new Map()));
    mine.set(key, value);
    this.ops.push([table, key, value]);
  }
}

function applyOp(state: Map<string, Map<string, unknown>>, [table, key, value]: Op): void {
  let entries = state.get(table);
  if (value === null) {
    entries?.delete(key);
    return;
  }
  if (!entries) state.set(table, (entries = new Map()));
  entries.set(key, value);
}

function noteKey(tables: Map<string, Set<string>>, table: string, key: string): void {
  let keys = tables.get(table);
  if (!keys) tables.set(table, (keys = new Set()));
  keys.add(key);
}

function frameAd(header: Buffer, seq: number): Uint8Array {
  const ad = Buffer.alloc(header.length + 8);
  header.copy(ad, 0);
  ad.writeBigUInt64BE(BigInt(seq), header.length);
  return ad;
}

function readAll(fd: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let at = 0;
  while (at < size) {
    const n = fs.readSync(fd, bytes, at, size - at, at);
    if (n === 0) break;
    at += n;
  }
  return bytes.subarray(0, at);
}

function writeFully(fd: number, bytes: Buffer, position: number): void {
  let at = 0;
  while (at < bytes.length) at += fs.writeSync(fd, bytes, at, bytes.length - at, position + at);
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Windows cannot open a folder for fsync; its rename is already durable enough for NTFS.
  }
}
