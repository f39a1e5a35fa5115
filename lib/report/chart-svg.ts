// Line charts as inline SVG (training loss and learning rate per iteration). Axes get "nice" ticks
// (1, 2 or 5 times a power of ten) so a reader can read values off them; missing points (a loss
// that a stage does not have, a NaN) break the line instead of dropping to zero.
import { esc } from './html.ts';

export interface Series {
  name: string;
  colour: string;
  /** [x, y]; y null or non-finite leaves a gap */
  points: [number, number | null][];
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** start the y axis at zero when all values are positive (losses) */
  zeroBased?: boolean;
}

/** Ticks covering [lo, hi] at a step of 1, 2 or 5 x 10^k, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; step: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { ticks: [0, 1], step: 1 };
  if (hi === lo) {
    const d = Math.abs(lo) || 1;
    lo -= d / 2;
    hi += d / 2;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = start; t <= hi + step * 1e-9 || ticks.length < 2; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi - step * 1e-9) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return { ticks, step };
}

/** Tick label precise enough for the step: 0.0005 -> "5e-4" style only for tiny steps. */
export function tickLabel(v: number, step: number): string {
  if (v === 0) return '0';
  if (step < 1e-3 || Math.abs(v) >= 1e6) return v.toExponential(Math.max(0, Math.ceil(-Math.log10(step / Math.abs(v))) - 1)).replace('e+', 'e');
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(digits);
}

export function lineChart(series: Series[], opts: ChartOptions): string {
  const width = opts.width ?? 420;
  const height = opts.height ?? 220;
  const m = { left: 54, right: 12, top: 26, bottom: 40 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of series)
    for (const [x, y] of s.points) {
      if (Number.isFinite(x)) xs.push(x);
      if (y !== null && Number.isFinite(y)) ys.push(y);
    }
  const out: string[] = [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(opts.title)}">`,
    `<text x="${m.left}" y="16" font-size="12.5" font-weight="600" fill="#1a202c">${esc(opts.title)}</text>`,
  ];
  if (!xs.length || !ys.length) {
    out.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="12" fill="#888">no data</text></svg>`);
    return out.join('\n');
  }
  let yMin = Math.min(...ys);
  const yMax = Math.max(...ys);
  if (opts.zeroBased && yMin > 0) yMin = 0;
  const xt = niceTicks(Math.min(...xs), Math.max(...xs), 5);
  const yt = niceTicks(yMin, yMax, 4);
  const [x0, x1] = [xt.ticks[0], xt.ticks[xt.ticks.length - 1]];
  const [y0, y1] = [yt.ticks[0], yt.ticks[yt.ticks.length - 1]];
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number): number => m.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;
  const f = (v: number): string => v.toFixed(1);

  for (const t of yt.ticks) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${f(sy(t))}" y2="${f(sy(t))}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${m.left - 6}" y="${f(sy(t) + 3.5)}" font-size="10" text-anchor="end" fill="#4a5568">${tickLabel(t, yt.step)}</text>`);
  }
  for (const t of xt.ticks) {
    out.push(`<line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${m.top + ph}" y2="${m.top + ph + 4}" stroke="#718096"/>`);
    out.push(`<text x="${f(sx(t))}" y="${m.top + ph + 15}" font-size="10" text-anchor="middle" fill="#4a5568">${tickLabel(t, xt.step)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#a0aec0"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${height - 6}" font-size="10.5" text-anchor="middle" fill="#2d3748">${esc(opts.xLabel)}</text>`);
  if (opts.yLabel) {
    out.push(`<text transform="translate(12,${m.top + ph / 2}) rotate(-90)" font-size="10.5" text-anchor="middle" fill="#2d3748">${esc(opts.yLabel)}</text>`);
  }
  for (const s of series) {
    const runs: string[] = [];
    let cur: string[] = [];
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y) || !Number.isFinite(x)) {
        if (cur.length) runs.push(cur.join(' '));
        cur = [];
        continue;
      }
      cur.push(`${f(sx(x))},${f(sy(y))}`);
    }
    if (cur.length) runs.push(cur.join(' '));
    for (const r of runs) {
      const single = !r.includes(' ');
      if (single) {
        const [cx, cy] = r.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="2" fill="${s.colour}"/>`);
      } else {
        out.push(
          `<polyline points="${r}" fill="none" stroke="${s.colour}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''} stroke-linejoin="round"/>`,
        );
      }
    }
  }
  // legend, top right, one entry per series that has data
  let lx = m.left + pw;
  const drawn = series.filter((s) => s.points.some(([, y]) => y !== null && Number.isFinite(y)));
  for (const s of [...drawn].reverse()) {
    const w = 22 + s.name.length * 6.2;
    lx -= w;
    out.push(
      `<line x1="${f(lx)}" x2="${f(lx + 14)}" y1="12" y2="12" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<text x="${f(lx + 18)}" y="15.5" font-size="10.5" fill="#2d3748">${esc(s.name)}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
