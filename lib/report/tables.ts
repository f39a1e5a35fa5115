// Metric tables from stage manifests. Metric objects are read defensively: a stage that adds a
// metric gets a column for it (after the known ones), a stage that lacks one shows a dash, and
// nothing here breaks when a metric's shape changes.
import type { Rgb } from '../data/palette.ts';
import type { Json } from '../store/canonical-json.ts';
import { esc, num, pct, swatch, table } from './html.ts';

export type Format = 'pct' | 'num' | 'int' | 'text' | 'seconds';

export interface Column {
  key: string;
  label: string;
  format: Format;
  /** which way is better: the best row's cell is bold */
  better?: 'high' | 'low';
  help?: string;
}

export interface MetricRow {
  name: string;
  values: Record<string, Json | undefined>;
}

export type JsonObject = Record<string, Json>;

/** `value` when it is a plain object, else an empty one. */
export function obj(value: Json | undefined): JsonObject {
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

function cell(v: Json | undefined, format: Format): string {
  switch (format) {
    case 'pct':
      return pct(v);
    case 'int':
      return typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v)) : '–';
    case 'seconds':
      return typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(1)} s` : '–';
    case 'text':
      return v === undefined || v === null ? '–' : esc(typeof v === 'object' ? JSON.stringify(v) : v);
    default:
      return num(v, typeof v === 'number' && Math.abs(v) >= 100 ? 1 : 3);
  }
}

/** Known columns first, then any other numeric metric the rows carry. */
export function metricTable(rows: MetricRow[], known: Column[], cls = 'metrics'): string {
  const keys = new Set(known.map((c) => c.key));
  const extra: Column[] = [];
  for (const r of rows)
    for (const [k, v] of Object.entries(r.values)) {
      if (!keys.has(k) && typeof v === 'number') {
        keys.add(k);
        extra.push({ key: k, label: esc(k), format: 'num' });
      }
    }
  const cols = [...known.filter((c) => rows.some((r) => r.values[c.key] !== undefined)), ...extra];
  const best = new Map<string, number>();
  if (rows.length > 1)
    for (const c of cols) {
      if (!c.better) continue;
      const vals = rows.map((r) => r.values[c.key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (vals.length > 1) best.set(c.key, c.better === 'high' ? Math.max(...vals) : Math.min(...vals));
    }
  const head = ['', ...cols.map((c) => (c.help ? `<abbr title="${esc(c.help)}">${c.label}</abbr>` : c.label))];
  const body = rows.map((r) => [
    `<b>${esc(r.name)}</b>`,
    ...cols.map((c) => {
      const v = r.values[c.key];
      const text = cell(v, c.format);
      return best.has(c.key) && v === best.get(c.key) ? `<b>${text}</b>` : text;
    }),
  ]);
  return table(head, body, cls);
}

export const SALIENCY_COLUMNS: Column[] = [
  { key: 'maxF', label: 'max F<sub>β</sub>', format: 'num', better: 'high', help: 'best F-measure (beta^2 = 0.3) over 256 thresholds, averaged over images' },
  { key: 'maxFPooled', label: 'max F<sub>β</sub> pooled', format: 'num', better: 'high', help: 'best F-measure with all images pooled' },
  { key: 'mae', label: 'MAE', format: 'num', better: 'low', help: 'mean absolute error against the class-agnostic foreground' },
  { key: 'objectRecall', label: 'object recall %', format: 'pct', better: 'high', help: 'share of ground-truth objects with >= 50% of their pixels above 0.5' },
  { key: 'found', label: 'objects found', format: 'int', better: 'high' },
  { key: 'objects', label: 'objects', format: 'int' },
  { key: 'images', label: 'images', format: 'int' },
];

export const CUE_COLUMNS: Column[] = [
  { key: 'meanIoU', label: 'mIoU %', format: 'pct', better: 'high', help: 'mIoU of the cue label maps against the ground truth' },
  { key: 'precision', label: 'precision %', format: 'pct', better: 'high', help: 'class-aware: correct foreground / cue foreground' },
  { key: 'recall', label: 'recall %', format: 'pct', better: 'high', help: 'class-aware: correct foreground / ground-truth foreground' },
  {
    key: 'fgPrecision',
    label: 'fg precision %',
    format: 'pct',
    better: 'high',
    help: 'class-agnostic: object pixels of the cue that are object pixels of the ground truth',
  },
  { key: 'fgRecall', label: 'fg recall %', format: 'pct', better: 'high', help: 'class-agnostic: object pixels of the ground truth the cue covers' },
  { key: 'images', label: 'images', format: 'int' },
];

export const CLASSIFIER_COLUMNS: Column[] = [
  { key: 'valMap', label: 'val mAP %', format: 'pct', better: 'high', help: 'mean average precision of the FCAN class scores on val' },
  {
    key: 'peakAccuracy',
    label: 'attention peak accuracy %',
    format: 'pct',
    better: 'high',
    help: 'share of (image, class) pairs whose attention maximum lies on a ground-truth pixel of that class',
  },
  { key: 'peakPairs', label: '(image, class) pairs', format: 'int' },
];

export const TRAINING_COLUMNS: Column[] = [
  { key: 'model', label: 'model', format: 'text' },
  { key: 'iterations', label: 'iterations', format: 'int' },
  { key: 'resumedFrom', label: 'resumed from', format: 'int' },
  { key: 'finalLoss', label: 'final loss', format: 'num' },
  { key: 'itPerSecond', label: 'it/s', format: 'num' },
  { key: 'seconds', label: 'time', format: 'seconds' },
];

export const EVAL_COLUMNS: Column[] = [
  { key: 'meanIoU', label: 'mIoU %', format: 'pct', better: 'high' },
  { key: 'pixelAccuracy', label: 'pixel accuracy %', format: 'pct', better: 'high' },
  { key: 'meanClassAccuracy', label: 'mean class accuracy %', format: 'pct', better: 'high' },
  { key: 'images', label: 'images', format: 'int' },
];

/**
 * Per-class IoU, one column per evaluation (the first with a bar); classes that never occur in
 * ground truth or prediction (IoU null) show a dash, as in the eval stage's own table.
 */
export function iouTable(series: { name: string; iou: JsonObject }[], classNames: readonly string[], palette: readonly Rgb[]): string {
  const first = series[0]?.iou ?? {};
  const names = classNames.length ? classNames : Object.keys(first);
  const rows = names
    .map((name, c) => ({ name, c }))
    .filter(({ name }) => series.some((s) => s.iou[name] !== undefined))
    .map(({ name, c }) => [
      swatch(palette[c] ?? [0, 0, 0], name),
      ...series.map((s, j) => {
        const v = s.iou[name];
        const bar =
          j === 0 && typeof v === 'number' && Number.isFinite(v)
            ? `<span class="bar"><i style="width:${(Math.max(0, Math.min(1, v)) * 100).toFixed(1)}%"></i></span>`
            : '';
        return `<span class="n">${pct(v)}</span>${bar}`;
      }),
    ]);
  const head = ['class', ...series.map((s) => `${esc(s.name)} IoU %`)];
  // two tables side by side when short: 21 classes in one column would be the page's longest block
  const half = Math.ceil(rows.length / 2);
  const parts = rows.length > 12 && series.length <= 2 ? [rows.slice(0, half), rows.slice(half)] : [rows];
  return `<div class="grid2">${parts.map((p) => table(head, p, 'iou')).join('')}</div>`;
}

export interface SweepRow {
  variant: Record<string, string>;
  metrics: Record<string, number | null>;
}

/** One row per sweep variant: the varied params, then every metric; best value per metric in bold. */
export function sweepTable(rows: SweepRow[]): string {
  const vkeys = [...new Set(rows.flatMap((r) => Object.keys(r.variant)))];
  const mkeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  const lowerIsBetter = (k: string): boolean => /mae|loss|error|seconds|time/i.test(k);
  const best = new Map<string, number>();
  for (const k of mkeys) {
    const vals = rows.map((r) => r.metrics[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    // a tie across every row marks nothing
    if (vals.length > 1 && Math.min(...vals) !== Math.max(...vals)) best.set(k, lowerIsBetter(k) ? Math.min(...vals) : Math.max(...vals));
  }
  const fmt = (v: number | null | undefined): string =>
    typeof v !== 'number' || !Number.isFinite(v)
      ? '–'
      : Math.abs(v) >= 100 || Number.isInteger(v)
        ? String(Number(v.toFixed(1)))
        : v.toPrecision(4).replace(/\.?0+$/, '');
  const head = [...vkeys.map((k) => `<span class="param">${esc(k)}</span>`), ...mkeys.map(esc)];
  const body = rows.map((r) => [
    ...vkeys.map((k) => `<code class="param">${esc(r.variant[k] ?? '–')}</code>`),
    ...mkeys.map((k) => {
      const v = r.metrics[k];
      const text = fmt(v);
      return best.has(k) && v === best.get(k) ? `<b>${text}</b>` : text;
    }),
  ]);
  return table(head, body, 'sweep');
}
