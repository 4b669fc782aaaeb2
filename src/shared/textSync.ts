import type { TextChange } from './protocol.js';

/** Applies `changes` (offsets into `text`, non-overlapping, any order) to `text`. */
export function applyChanges(text: string, changes: readonly TextChange[]): string {
  const sorted = [...changes].sort((a, b) => b.from - a.from);
  let out = text;
  for (const c of sorted) out = out.slice(0, c.from) + c.insert + out.slice(c.to);
  return out;
}

/** The single change that turns `before` into `after` (common prefix and suffix kept), or none. */
export function diffText(before: string, after: string): TextChange[] {
  if (before === after) return [];
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (
    end < max - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  )
    end++;
  return [{ from: start, to: before.length - end, insert: after.slice(start, after.length - end) }];
}

/** Text with every CRLF and lone CR turned into LF: the offsets the webview editor counts in. */
export function toLf(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
