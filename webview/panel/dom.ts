/** Building DOM nodes with text only: nothing from a report is ever parsed as HTML. */

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K];
export function element(tag: string, text?: string, className?: string): HTMLElement;
export function element(tag: string, text?: string, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

let counter = 0;
/** A document-unique id, for aria-describedby and label links. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A plain table: the text alternative of a chart, or a table in its own right. */
export function table(caption: string | null, head: readonly string[], rows: readonly (readonly string[])[], numericFrom = 1): HTMLTableElement {
  const node = element('table', undefined, 'data-table');
  if (caption) node.append(element('caption', caption));
  const headRow = element('tr');
  head.forEach((h, c) => headRow.append(element('th', h, c >= numericFrom ? 'num' : undefined)));
  headRow.querySelectorAll('th').forEach((th) => th.setAttribute('scope', 'col'));
  const thead = element('thead');
  thead.append(headRow);
  const tbody = element('tbody');
  for (const row of rows) {
    const tr = element('tr');
    row.forEach((cell, c) => {
      if (c === 0) {
        const th = element('th', cell);
        th.setAttribute('scope', 'row');
        tr.append(th);
      } else tr.append(element('td', cell, c >= numericFrom ? 'num' : undefined));
    });
    tbody.append(tr);
  }
  node.append(thead, tbody);
  return node;
}

/** A collapsed "the numbers behind this figure" section; `describes` points the figure at it. */
export function dataDetails(summary: string, content: HTMLElement, describes?: HTMLElement): HTMLDetailsElement {
  const details = element('details', undefined, 'figure-data');
  details.append(element('summary', summary), content);
  if (describes) {
    content.id ||= uniqueId('data');
    describes.setAttribute('aria-describedby', content.id);
  }
  return details;
}
