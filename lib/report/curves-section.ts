// The report's training curves: loss and learning rate per iteration of every training found
// upstream (its curve file, lib/layouts/model.ts), long curves drawn as bin means.
import { CURVE_FILE } from '../layouts/model.ts';
import { lineChart, type Series } from './chart-svg.ts';
import { esc } from './html.ts';
import type { Lineage } from './lineage.ts';

interface CurvePoint {
  iteration: number;
  loss: number | null;
  segLoss: number | null;
  clsLoss: number | null;
  lr: number | null;
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Bin means over `max` bins when a curve is longer (30K iterations would be a 1 MB polyline). */
export function binCurve(points: CurvePoint[], max = 500): { points: CurvePoint[]; bin: number } {
  if (points.length <= max) return { points, bin: 1 };
  const bin = Math.ceil(points.length / max);
  const out: CurvePoint[] = [];
  for (let i = 0; i < points.length; i += bin) {
    const chunk = points.slice(i, i + bin);
    const mean = (k: keyof CurvePoint): number | null => {
      const v = chunk.map((p) => p[k]).filter((x): x is number => x !== null);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
    };
    out.push({ iteration: chunk[chunk.length - 1].iteration, loss: mean('loss'), segLoss: mean('segLoss'), clsLoss: mean('clsLoss'), lr: mean('lr') });
  }
  return { points: out, bin };
}

export async function curvesHtml(lineage: Lineage): Promise<string> {
  const blocks: string[] = [];
  for (const n of lineage.nodes) {
    if (!n.artifact) continue;
    let raw: unknown;
    try {
      raw = await n.artifact.json<unknown>(CURVE_FILE);
    } catch {
      continue;
    }
    if (!Array.isArray(raw) || !raw.length) continue;
    const pts: CurvePoint[] = raw
      .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object')
      .map((p) => ({
        iteration: Number(p.iteration),
        loss: numOrNull(p.loss),
        segLoss: numOrNull(p.segLoss),
        clsLoss: numOrNull(p.clsLoss),
        lr: numOrNull(p.lr),
      }))
      .filter((p) => Number.isFinite(p.iteration));
    const { points, bin } = binCurve(pts);
    const xy = (k: keyof CurvePoint): [number, number | null][] => points.map((p) => [p.iteration, p[k]]);
    const loss: Series[] = [
      { name: 'total', colour: '#1f2a3c', points: xy('loss') },
      { name: 'segmentation', colour: '#d9480f', points: xy('segLoss') },
      { name: 'classification', colour: '#3f63a8', points: xy('clsLoss'), dashed: true },
    ];
    const binNote = bin > 1 ? ` (means over ${bin} iterations)` : '';
    blocks.push(
      `<h3>${esc(n.stage)} <span style="font-weight:400;color:#5a6475">${pts.length} iterations${binNote}</span></h3>`,
      `<div class="charts">${lineChart(loss, { title: `${n.stage}: loss`, xLabel: 'iteration', yLabel: 'loss', zeroBased: true })}${lineChart(
        [{ name: 'lr', colour: '#2f855a', points: xy('lr') }],
        { title: `${n.stage}: learning rate`, xLabel: 'iteration', yLabel: 'lr', zeroBased: true },
      )}</div>`,
    );
  }
  if (!blocks.length) return '';
  return `<p class="cap">Loss per iteration (total = segmentation + classification + weight decay, as the training loop reports it) and the poly learning-rate schedule.</p>${blocks.join('\n')}`;
}
