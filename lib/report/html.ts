// Tiny HTML building helpers. The report is assembled as strings; every value that comes from an
// artifact (ids, params, class names) goes through `esc`, so a stray `<` in a param cannot break
// the page.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** A number for a table cell: fixed digits, a dash for null / missing / non-finite. */
export function num(value: unknown, digits = 3): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** A [0, 1] fraction as a percentage with one decimal, or a dash. */
export function pct(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? (value * 100).toFixed(1) : '–';
}

export function seconds(s: unknown): string {
  if (typeof s !== 'number' || !Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function rgbCss(c: readonly number[]): string {
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** A coloured square followed by a name (legends, class lists). */
export function swatch(colour: readonly number[], name: string): string {
  return `<span class="sw"><i style="background:${rgbCss(colour)}"></i>${esc(name)}</span>`;
}

/** A table from a header row and body rows of ready-made cell HTML. */
export function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}
