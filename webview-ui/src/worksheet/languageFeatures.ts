// Completion, hover, signature help and diagnostics in the worksheet editor, all answered by the
// engine's language service in the extension host (the same one the text editor uses).
import {
  autocompletion,
  pickedCompletion,
  type Completion,
  type CompletionContext,
  type CompletionResult as CmCompletionResult,
} from '@codemirror/autocomplete';
import { setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { StateEffect, StateField, type EditorState, type Extension } from '@codemirror/state';
import {
  hoverTooltip,
  keymap,
  showTooltip,
  ViewPlugin,
  type EditorView,
  type ViewUpdate,
} from '@codemirror/view';
import type {
  CompletionEntry,
  CompletionKind,
  SignatureHelpResult,
  SqlDiagnostic,
} from '../../../src/shared/language.js';
import type { WorksheetRequests } from '../../../src/shared/protocol.js';
import { el } from '../dom.js';
import { renderMarkdown } from './markdown.js';

/** Pause after the last keystroke before the document is checked (as in the text editor). */
export const DIAGNOSTICS_DELAY_MS = 400;
const SIGNATURE_DELAY_MS = 120;

type PositionMethod = 'completion' | 'hover' | 'signatureHelp';

/** How the editor reaches the host's language service. */
export interface LanguageClient {
  /** Asks about `offset` of the document as `state` holds it; undefined when it moved on or failed. */
  at<K extends PositionMethod>(
    method: K,
    state: EditorState,
    offset: number,
  ): Promise<WorksheetRequests[K]['result'] | undefined>;
  /** The document's diagnostics as `state` holds it; undefined when it moved on or failed. */
  diagnostics(state: EditorState): Promise<SqlDiagnostic[] | undefined>;
}

const TYPES: Record<CompletionKind, string> = {
  keyword: 'keyword',
  function: 'function',
  tableFunction: 'function',
  database: 'namespace',
  schema: 'namespace',
  table: 'class',
  view: 'interface',
  column: 'property',
  alias: 'variable',
};

const BOOSTS: Record<CompletionKind, number> = {
  column: 50,
  alias: 40,
  table: 30,
  view: 30,
  tableFunction: 20,
  schema: 20,
  database: 20,
  function: 10,
  keyword: 0,
};

const NAME_CHARS = /^[\w$\u0080-\uffff]*$/;

function toCompletion(entry: CompletionEntry, quoted: boolean): Completion {
  const call = entry.kind === 'function' || entry.kind === 'tableFunction';
  const insert = quoted && entry.insertText.startsWith('"') ? entry.insertText.slice(1) : entry.insertText;
  return {
    label: entry.label,
    type: TYPES[entry.kind],
    boost: BOOSTS[entry.kind],
    ...(entry.detail ? { detail: entry.detail } : {}),
    ...(entry.documentation ? { info: () => el('div', 'ws-completion-info', entry.documentation) } : {}),
    apply: call
      ? (view: EditorView, completion: Completion, from: number, to: number) =>
          view.dispatch({
            changes: { from, to, insert: `${insert}()` },
            selection: { anchor: from + insert.length + 1 },
            annotations: pickedCompletion.of(completion),
          })
      : quoted
        ? (view: EditorView, completion: Completion, from: number, to: number) => {
            // The closing quote auto-inserted after the cursor is part of the name being replaced.
            const end = view.state.sliceDoc(to, to + 1) === '"' ? to + 1 : to;
            view.dispatch({
              changes: { from, to: end, insert },
              selection: { anchor: from + insert.length },
              annotations: pickedCompletion.of(completion),
            });
          }
        : insert,
  };
}

function completionSource(client: LanguageClient) {
  return async (context: CompletionContext): Promise<CmCompletionResult | null> => {
    const word = context.matchBefore(/[\w$\u0080-\uffff]+/);
    const before = context.state.sliceDoc(context.pos - 1, context.pos);
    if (!context.explicit && !word && before !== '.' && before !== '"') return null;
    const result = await client.at('completion', context.state, context.pos);
    if (!result || context.aborted) return null;
    const quoted = context.state.sliceDoc(result.replaceStart, result.replaceStart + 1) === '"';
    return {
      from: quoted ? result.replaceStart + 1 : result.replaceStart,
      options: result.items.map((e) => toCompletion(e, quoted)),
      ...(result.incomplete ? {} : { validFor: quoted ? /^(?:[^"]|"")*$/ : NAME_CHARS }),
    };
  };
}

const setSignature = StateEffect.define<{ pos: number; help: SignatureHelpResult } | null>();

function signatureDom(help: SignatureHelpResult): HTMLElement {
  const dom = el('div', 'ws-signature');
  const signature = help.signatures[help.activeSignature] ?? help.signatures[0];
  if (!signature) return dom;
  const label = el('div', 'ws-signature-label');
  const active = signature.parameters[help.activeParameter]?.label;
  if (active) {
    const [a, b] = active;
    const strong = el('strong', 'ws-signature-active', signature.label.slice(a, b));
    label.append(signature.label.slice(0, a), strong, signature.label.slice(b));
  } else label.textContent = signature.label;
  dom.append(label);
  if (help.signatures.length > 1)
    dom.append(el('div', 'ws-signature-count', `${help.activeSignature + 1} of ${help.signatures.length}`));
  if (signature.documentation) dom.append(el('div', 'ws-signature-doc', signature.documentation));
  return dom;
}

const signatureField = StateField.define<{ pos: number; help: SignatureHelpResult } | null>({
  create: () => null,
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setSignature)) return e.value;
    return value && tr.docChanged ? { ...value, pos: tr.changes.mapPos(value.pos) } : value;
  },
  provide: (field) =>
    showTooltip.from(field, (v) =>
      v ? { pos: v.pos, above: true, create: () => ({ dom: signatureDom(v.help) }) } : null,
    ),
});

/** The worksheet editor's language features; `showRunMarkers` adds a run's errors to the diagnostics. */
export class WorksheetLanguageFeatures {
  private view: EditorView | undefined;
  private lint: Diagnostic[] = [];
  private run: Diagnostic[] = [];
  private lintTimer: ReturnType<typeof setTimeout> | undefined;
  private signatureTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly client: LanguageClient) {}

  extensions(): Extension[] {
    return [
      autocompletion({ override: [completionSource(this.client)], icons: false }),
      hoverTooltip(
        async (view, pos) => {
          const hover = await this.client.at('hover', view.state, pos);
          if (!hover) return null;
          return {
            pos: hover.start,
            end: hover.end,
            above: true,
            create: () => ({ dom: renderMarkdown(hover.markdown, 'ws-hover') }),
          };
        },
        { hoverTime: 300 },
      ),
      signatureField,
      keymap.of([
        {
          key: 'Escape',
          run: (view) => {
            if (!view.state.field(signatureField)) return false;
            view.dispatch({ effects: setSignature.of(null) });
            return true;
          },
        },
      ]),
      ViewPlugin.define((view) => {
        this.view = view;
        this.scheduleLint();
        return {
          update: (update: ViewUpdate) => {
            if (update.docChanged) {
              this.run = [];
              this.scheduleLint();
            }
            if (update.docChanged || update.selectionSet) this.scheduleSignature();
          },
          destroy: () => {
            clearTimeout(this.lintTimer);
            clearTimeout(this.signatureTimer);
          },
        };
      }),
    ];
  }

  /** Checks the document again after the usual pause (the catalog or the session may have changed). */
  scheduleLint(delay = DIAGNOSTICS_DELAY_MS): void {
    clearTimeout(this.lintTimer);
    this.lintTimer = setTimeout(() => void this.runLint(), delay);
  }

  /** Shows a run's errors beside the language service's diagnostics until the next edit. */
  showRunMarkers(markers: Diagnostic[]): void {
    this.run = markers;
    this.publish();
  }

  private async runLint(): Promise<void> {
    const view = this.view;
    if (!view) return;
    const state = view.state;
    const found = await this.client.diagnostics(state);
    if (!found || view.state.doc !== state.doc) return;
    const length = state.doc.length;
    this.lint = found.map((d) => ({
      from: Math.min(d.start, length),
      to: Math.min(Math.max(d.end, d.start), length),
      severity: d.severity,
      message: d.message,
      source: 'DuckDB',
    }));
    this.publish();
  }

  private publish(): void {
    const view = this.view;
    if (view) view.dispatch(setDiagnostics(view.state, [...this.lint, ...this.run]));
  }

  private scheduleSignature(): void {
    clearTimeout(this.signatureTimer);
    this.signatureTimer = setTimeout(() => void this.runSignature(), SIGNATURE_DELAY_MS);
  }

  private async runSignature(): Promise<void> {
    const view = this.view;
    if (!view) return;
    const state = view.state;
    const head = state.selection.main.head;
    const help = await this.client.at('signatureHelp', state, head);
    if (help === undefined || view.state.doc !== state.doc || view.state.selection.main.head !== head) return;
    if (!help && !view.state.field(signatureField)) return;
    view.dispatch({ effects: setSignature.of(help ? { pos: head, help } : null) });
  }
}
