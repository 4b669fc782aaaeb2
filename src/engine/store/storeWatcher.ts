import * as fs from 'node:fs';
import * as path from 'node:path';

/** Options for {@link StoreWatcher}. */
export interface StoreWatcherOptions {
  /** The file to watch (its folder is watched, so a file replaced by a rename is still seen). */
  file: string;
  /** Called at most once per `debounceMs` after the file changed; reads what is new and reports it. */
  check: () => Promise<void>;
  /** Called with any failure (watching or checking); never throws back into the watcher. */
  failed: (error: unknown) => void;
  /** Quiet time between a change and its check (default 150 ms). */
  debounceMs?: number;
}

/** How long to wait before watching again after the watcher failed. */
const RETRY_MS = 1000;
/** Failures in a row after which the watcher gives up (the folder is gone, or watching is not possible here). */
const MAX_FAILURES = 5;

/**
 * Watches one file through `fs.watch` on its folder: appends (`change`) and replacements by rename (`rename`) of
 * that file schedule one `check` after a short quiet time; other files of the folder (lock files, snapshots being
 * written) are ignored. A failure is reported and the watch is set up again (a few times in a row at most);
 * nothing here throws or keeps the process alive.
 */
export class StoreWatcher {
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private again = false;
  private disposed = false;
  private failures = 0;
  private readonly dir: string;
  private readonly base: string;
  private readonly debounceMs: number;

  constructor(private readonly options: StoreWatcherOptions) {
    this.dir = path.dirname(options.file);
    this.base = path.basename(options.file);
    this.debounceMs = options.debounceMs ?? 150;
    this.watch();
  }

  /** Stops watching; a check under way finishes, none starts. Idempotent. */
  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.close();
  }

  private watch(): void {
    if (this.disposed) return;
    try {
      const watcher = fs.watch(this.dir, { persistent: false }, (_event, name) => {
        // Some platforms give no file name: treat that as a change of the file.
        if (name === null || name === undefined || String(name) === this.base) this.schedule();
      });
      watcher.on('error', (e) => {
        this.options.failed(e);
        this.close();
        this.retry();
      });
      this.watcher = watcher;
    } catch (e) {
      this.options.failed(e);
      this.retry();
    }
  }

  private close(): void {
    try {
      this.watcher?.close();
    } catch {
      // already closed
    }
    this.watcher = undefined;
  }

  private retry(): void {
    if (this.disposed || ++this.failures > MAX_FAILURES) return;
    const timer = setTimeout(() => {
      this.watch();
      // Whatever changed while nobody watched is read now.
      this.schedule();
    }, RETRY_MS);
    timer.unref();
  }

  private schedule(): void {
    if (this.disposed || this.timer) return;
    if (this.checking) {
      // A check is reading now: read once more after it, for what it may have missed.
      this.again = true;
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, this.debounceMs);
    this.timer.unref();
  }

  private run(): void {
    if (this.disposed) return;
    this.checking = this.options
      .check()
      .then(() => {
        this.failures = 0;
      })
      .catch((e: unknown) => this.options.failed(e))
      .finally(() => {
        this.checking = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }
}
