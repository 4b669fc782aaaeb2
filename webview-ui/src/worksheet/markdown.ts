import { el } from '../dom.js';

// The language service's hover Markdown is small: paragraphs with **bold** and `code`, ``` fences and
// pipe tables. It is rendered to elements whose text is set as text, never parsed as HTML.

/** Appends `text` with **bold**, `code` / `` code `` and backslash escapes as elements to `parent`. */
function inline(parent: HTMLElement, text: string): void {
  let plain = '';
  const flush = (): void => {
    if (plain) parent.append(plain);
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length && /[\\`*_{}[\]()#+\-.!|<>]/.test(text[i + 1]!)) {
      plain += text[i + 1];
      i += 2;
    } else if (ch === '`') {
      const fence = text.startsWith('`` ', i) ? '``' : '`';
      const open = i + fence.length;
      const close = text.indexOf(fence === '``' ? ' ``' : '`', open);
      if (close < 0) {
        plain += ch;
        i++;
        continue;
      }
      flush();
      const body = fence === '``' ? text.slice(open + 1, close) : text.slice(open, close);
      parent.append(el('code', undefined, body));
      i = close + (fence === '``' ? 3 : 1);
    } else if (text.startsWith('**', i)) {
      const close = text.indexOf('**', i + 2);
      if (close < 0) {
        plain += '**';
        i += 2;
        continue;
      }
      flush();
      const strong = el('strong');
      inline(strong, text.slice(i + 2, close));
      parent.append(strong);
      i = close + 2;
    } else {
      plain += ch;
      i++;
    }
  }
  flush();
}

/** The cells of a `| a | b |` row; `\|` is a pipe inside a cell. */
function cells(row: string): string[] {
  const out: string[] = [];
  let cell = '';
  const body = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (body[i] === '|') {
      out.push(cell.trim());
      cell = '';
    } else cell += body[i];
  }
  out.push(cell.trim());
  return out;
}

/** Renders the hover Markdown into a new element of class `className`. */
export function renderMarkdown(markdown: string, className: string): HTMLElement {
  const root = el('div', className);
  const lines = markdown.split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
      const stop = end < 0 ? lines.length : end;
      root.append(el('pre', undefined, lines.slice(i + 1, stop).join('\n')));
      i = stop + 1;
    } else if (line.startsWith('|')) {
      const table = el('table');
      let header = true;
      while (i < lines.length && lines[i]!.startsWith('|')) {
        const row = cells(lines[i]!);
        i++;
        if (row.every((c) => /^:?-{3,}:?$/.test(c))) continue;
        const tr = el('tr');
        for (const c of row) {
          const td = el(header ? 'th' : 'td');
          inline(td, c);
          tr.append(td);
        }
        table.append(tr);
        header = false;
      }
      root.append(table);
    } else if (line.trim() === '') {
      i++;
    } else {
      const p = el('p');
      const paragraph: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !/^(```|\|)/.test(lines[i]!)) {
        paragraph.push(lines[i]!);
        i++;
      }
      inline(p, paragraph.join(' '));
      root.append(p);
    }
  }
  return root;
}
