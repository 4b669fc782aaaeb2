import { Annotation, ChangeSet, Text } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import type { TextChange, WorksheetWebviewNotifications } from '../../../src/shared/protocol.js';
import { diffText } from '../../../src/shared/textSync.js';

/** Marks transactions that bring the document's changes in, so they are not sent back. */
export const fromHost = Annotation.define<boolean>();

function toChanges(changes: ChangeSet): TextChange[] {
  const out: TextChange[] = [];
  changes.iterChanges((from, to, _fromB, _toB, inserted) =>
    out.push({ from, to, insert: inserted.toString() }),
  );
  return out;
}

function textOf(text: string): Text {
  return Text.of(text.split('\n'));
}

/**
 * Keeps the editor and the host's document in step, one edit in flight at a time (the scheme of a
 * client under a central server in operational transformation). `confirmed` is the document at
 * `version`; `inflight` was sent and awaits its ack; `buffer` holds what was typed meanwhile. A change
 * from elsewhere is transformed over both before it reaches the editor, so no keystroke is lost and
 * nothing echoes back.
 */
export class DocSync {
  version = -1;
  private confirmed = Text.empty;
  private inflight: ChangeSet | undefined;
  private buffer: ChangeSet | undefined;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly view: () => EditorView,
    private readonly notify: (method: 'edit', params: WorksheetWebviewNotifications['edit']) => void,
  ) {}

  /** True when every local change is in the document. */
  get idle(): boolean {
    return !this.inflight && !this.buffer;
  }

  /** Resolves once every local change so far is in the document. */
  settled(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  init(text: string, version: number): void {
    const view = this.view();
    this.confirmed = textOf(text);
    this.inflight = this.buffer = undefined;
    this.version = version;
    view.dispatch({
      changes: { from: 0, to: view.state.doc.length, insert: text },
      annotations: fromHost.of(true),
    });
    this.settle();
  }

  /** Changes typed in the editor. */
  local(changes: ChangeSet): void {
    this.buffer = this.buffer ? this.buffer.compose(changes) : changes;
    this.flush();
  }

  ack(version: number): void {
    if (this.inflight) this.confirmed = this.inflight.apply(this.confirmed);
    this.inflight = undefined;
    this.version = version;
    this.flush();
    this.settle();
  }

  /** The host had a newer version (its `changed` came first): send the transformed edit again. */
  reject(version: number): void {
    this.version = Math.max(this.version, version);
    if (this.inflight) this.notify('edit', { base: this.version, changes: toChanges(this.inflight) });
  }

  changed(version: number, changes: TextChange[]): void {
    if (this.version < 0) return;
    this.integrate(ChangeSet.of(changes, this.confirmed.length));
    this.version = version;
  }

  /**
   * The document is `text` after a change from elsewhere raced the edit in flight. With `retry` the
   * edit was not applied: it is transformed over that change and sent again. Either way, what was typed
   * since is kept.
   */
  reset(version: number, text: string, retry: boolean): void {
    if (!retry && this.inflight) {
      this.confirmed = this.inflight.apply(this.confirmed);
      this.inflight = undefined;
    }
    this.integrate(ChangeSet.of(diffText(this.confirmed.toString(), text), this.confirmed.length));
    this.version = version;
    if (this.inflight) this.notify('edit', { base: this.version, changes: toChanges(this.inflight) });
    this.flush();
    this.settle();
  }

  private integrate(change: ChangeSet): void {
    this.confirmed = change.apply(this.confirmed);
    let x = change;
    if (this.inflight) {
      const moved = this.inflight.map(x);
      x = x.map(this.inflight, true);
      this.inflight = moved;
    }
    if (this.buffer) {
      const moved = this.buffer.map(x);
      x = x.map(this.buffer, true);
      this.buffer = moved;
    }
    if (!x.empty) this.view().dispatch({ changes: x, annotations: fromHost.of(true) });
  }

  private flush(): void {
    if (this.inflight || !this.buffer || this.version < 0) return;
    this.inflight = this.buffer;
    this.buffer = undefined;
    this.notify('edit', { base: this.version, changes: toChanges(this.inflight) });
  }

  private settle(): void {
    if (!this.idle) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
