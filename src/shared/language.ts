// Results of the engine's language service (src/engine/language/languageService.ts), shared with the
// worksheet webview, which asks for them over the worksheet protocol. Offsets are into the text
// the service was given (the worksheet document's LF text).

/** What a completion item stands for. */
export type CompletionKind =
  'keyword' | 'function' | 'tableFunction' | 'database' | 'schema' | 'table' | 'view' | 'column' | 'alias';

/** One completion suggestion; `insertText` is quoted where DuckDB needs it. */
export interface CompletionEntry {
  label: string;
  kind: CompletionKind;
  insertText: string;
  detail?: string;
  documentation?: string;
  /** Orders kinds: columns first, then relations, functions, keywords. */
  sortText: string;
}

/** Suggestions for a cursor and the text range they replace. */
export interface CompletionResult {
  items: CompletionEntry[];
  replaceStart: number;
  replaceEnd: number;
  /** True when the list was cut: ask again as the user types. */
  incomplete: boolean;
}

/** A hover: the hovered range and Markdown (names escaped) describing it. */
export interface HoverResult {
  start: number;
  end: number;
  markdown: string;
}

/** One overload in signature help; parameter labels are [start, end) offsets into `label`. */
export interface SignatureInfo {
  label: string;
  documentation?: string;
  parameters: { label: [number, number] }[];
}

/** Signature help for the call around the cursor. */
export interface SignatureHelpResult {
  signatures: SignatureInfo[];
  activeSignature: number;
  activeParameter: number;
}

/** A problem found without running anything: syntax errors, and unknown tables or columns as warnings. */
export interface SqlDiagnostic {
  start: number;
  end: number;
  severity: 'error' | 'warning';
  message: string;
  /** The engine's error code (SQL_SYNTAX, SQL_CATALOG, SQL_BINDER…). */
  code: string;
}
