// The report's summary: the headline figures of whatever artifacts the report has.
import type { Artifact } from '../store/artifact.ts';
import type { Json } from '../store/canonical-json.ts';
import type { SlotArtifacts } from './find-artifacts.ts';
import { esc, pct } from './html.ts';
import { obj } from './tables.ts';

export function summaryHtml(slot: SlotArtifacts): string {
  const kpis: [string, string][] = [];
  const m = (a: Artifact | undefined): Record<string, Json> => obj(a?.manifest.metrics);
  if (slot.eval) kpis.push([`${pct(m(slot.eval).meanIoU)}%`, `mIoU on ${esc(String(obj(slot.eval.manifest.params).split ?? 'val'))}`]);
  if (slot.direct) kpis.push([`${pct(m(slot.direct).meanIoU)}%`, 'mIoU without joint training']);
  if (slot.oracle) kpis.push([`${pct(m(slot.oracle).meanIoU)}%`, 'mIoU of the oracle']);
  if (slot.cues) kpis.push([`${pct(obj(m(slot.cues).quality).meanIoU)}%`, 'cue mIoU (Algorithm 1)']);
  if (slot.adapt) kpis.push([`${pct(obj(m(slot.adapt).quality).meanIoU)}%`, 'cue mIoU after adapt']);
  const r1 = obj(m(slot.s1).quality).objectRecall;
  const r3 = obj(m(slot.s3).quality).objectRecall;
  if (slot.s1 && slot.s3) kpis.push([`${pct(r1)} → ${pct(r3)}%`, 'object recall S1 → S3']);
  if (slot.attention) kpis.push([`${pct(m(slot.attention).valMap)}%`, 'classifier mAP (val)']);
  if (!kpis.length) return '<p class="cap">no metrics</p>';
  return `<div class="kpis">${kpis.map(([v, l]) => `<div class="kpi"><b>${v}</b><span>${l}</span></div>`).join('')}</div>`;
}
