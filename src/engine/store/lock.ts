import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { EngineError, errorMessage } from '../errors.js';

interface LockInfo {
  pid: number;
  host: string;
  at: string;
}

/** Lock files this process holds right now (a lock naming our own pid but not listed here is left over). */
const held = new Set<string>();
/** In-process queue per lock file, so that callers in one process wait for each other without polling. */
const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` while holding an exclusive lock file (created with O_EXCL, holding pid and host). Processes wait for
 * each other up to `timeoutMs`; a lock left by a dead process on this host is broken. `fn` should be short.
 */
export async function withFileLock<T>(file: string, timeoutMs: number, fn: () => T | Promise<T>): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const tail = previous.then(() => mine);
  queues.set(file, tail);
  await previous;
  try {
    await acquire(file, timeoutMs);
    held.add(file);
    try {
      return await fn();
    } finally {
      held.delete(file);
      fs.rmSync(file, { force: true });
    }
  } finally {
    done();
    if (queues.get(file) === tail) queues.delete(file);
  }
}

async function acquire(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const body = JSON.stringify({
    pid: process.pid,
    host: os.hostname(),
    at: new Date().toISOString(),
  } satisfies LockInfo);
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    if (create(file, body)) return;
    const owner = readOwner(file);
    if (owner === 'gone') continue;
    if (owner ? isStale(file, owner) : ageMs(file) > UNREADABLE_LOCK_STALE_MS) {
      breakLock(file);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner ? `process ${owner.pid} on ${owner.host} (since ${owner.at})` : 'another process';
      throw new EngineError(
        'STORE_LOCKED',
        `The metadata store is busy: ${who} holds ${file}. Try again; if that process no longer runs, delete the lock file.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * A lock that is empty or not JSON was left by a process that could not finish writing it (a full disk, a
 * crash): {@link create} never shows a partial lock where hard links work, and where they do not, a live
 * writer fills it within microseconds.
 */
const UNREADABLE_LOCK_STALE_MS = 1_000;

/**
 * Creates the lock file holding `body` at once: written under a temporary name, then hard-linked to `file`
 * (fails if it exists). False if another holder has it. A write that fails (disk full) leaves nothing.
 */
function create(file: string, body: string): boolean {
  const temp = `${file}.new-${crypto.randomBytes(6).toString('hex')}`;
  try {
    fs.writeFileSync(temp, body, { flag: 'wx', mode: 0o600 });
    fs.linkSync(temp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (fs.existsSync(temp) && (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS')) {
      return createInPlace(file, body); // a file system without hard links (FAT, some network shares)
    }
    throw cannotCreate(file, e);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function createInPlace(file: string, body: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw cannotCreate(file, e);
  }
  try {
    fs.writeSync(fd, body);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw cannotCreate(file, e);
  }
  fs.closeSync(fd);
  return true;
}

function cannotCreate(file: string, e: unknown): EngineError {
  return new EngineError(
    'STORE_LOCKED',
    `Cannot create the lock file ${file}: ${errorMessage(e)}`,
    undefined,
    {
      cause: e,
    },
  );
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readOwner(file: string): LockInfo | 'gone' | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    // Not a file we can read (a folder of that name, no permission): no amount of waiting helps.
    throw new EngineError(
      'STORE_LOCKED',
      `Cannot read the lock file ${file}: ${errorMessage(e)}`,
      undefined,
      {
        cause: e,
      },
    );
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? info : undefined;
  } catch {
    // Being written this instant, or truncated by a crash between create and write; age decides.
    return undefined;
  }
}

function isStale(file: string, owner: LockInfo): boolean {
  if (owner.host !== os.hostname()) return false;
  if (owner.pid === process.pid) return !held.has(file);
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Moves the stale lock aside first, so that two breakers cannot both delete a lock one of them just took. */
function breakLock(file: string): void {
  const aside = `${file}.stale-${crypto.randomBytes(6).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return;
  }
  const owner = readOwner(aside);
  if (owner !== 'gone' && owner && !isStale(file, owner)) {
    // We moved a live lock taken between our check and the rename: put it back if nobody took the name since.
    try {
      fs.linkSync(aside, file);
    } catch {
      // Taken again meanwhile: both holders run at once. Needs two breakers within microseconds of a crash.
    }
  }
  fs.rmSync(aside, { force: true });
}
