// The report's metric tables: each evaluation with its per-class IoU, cue and saliency quality, the
// classifier, and the trainings; without run facts, the metrics that describe a run are left out.
import type { Dataset } from '../layouts/dataset.ts';
import type { Artifact } from '../store/artifact.ts';
import type { Json } from '../store/canonical-json.ts';
import { EVALS, evalSetting } from './evals.ts';
import type { SlotArtifacts } from './find-artifacts.ts';
import { esc } from './html.ts';
import type { Lineage } from './lineage.ts';
import { CLASSIFIER_COLUMNS, CUE_COLUMNS, EVAL_COLUMNS, iouTable, metricTable, obj, SALIENCY_COLUMNS, TRAINING_COLUMNS, type MetricRow } from './tables.ts';

/** training metrics that describe the run rather than the result */
const RUN_FACT_KEYS = new Set(['resumedFrom', 'itPerSecond', 'seconds']);

export function metricsHtml(lineage: Lineage, slot: SlotArtifacts, dataset: Dataset, facts: boolean): string {
  const parts: string[] = [];
  const m = (a: Artifact | undefined): Record<string, Json> => {
    const all = obj(a?.manifest.metrics);
    return facts ? all : Object.fromEntries(Object.entries(all).filter(([k]) => !RUN_FACT_KEYS.has(k)));
  };
  const evals = EVALS.filter((e) => slot[e.slot]).map((e) => ({ ...e, artifact: slot[e.slot]! }));
  if (evals.length) {
    const split = String(obj(evals[0].artifact.manifest.params).split ?? 'val');
    parts.push(`<h3>Segmentation on ${esc(split)}</h3>`);
    parts.push(
      metricTable(
        evals.map((e) => ({ name: e.name, values: m(e.artifact) })),
        EVAL_COLUMNS,
      ),
    );
    if (slot.eval) parts.push(`<p class="cap">DCSP: ${esc(evalSetting(obj(slot.eval.manifest.params)))}.</p>`);
    const series = evals.map((e) => ({ name: e.slot === 'eval' ? 'DCSP' : e.short, iou: obj(m(e.artifact).iou) })).filter((x) => Object.keys(x.iou).length);
    if (series.length) parts.push(iouTable(series, dataset.index.classNames, dataset.index.palette));
    parts.push('<p class="cap">IoU per class; a dash where the class occurs in neither the ground truth nor the prediction (left out of the mean).</p>');
  }
  const cueRows: MetricRow[] = [];
  if (slot.cues) {
    const p = obj(slot.cues.manifest.params);
    const name = p.source === 'gt' ? 'cues (ground truth)' : `cues (${String(p.saliency ?? '')}, ${String(p.mean ?? '')}, γ ${String(p.gamma ?? '')})`;
    cueRows.push({ name, values: obj(m(slot.cues).quality) });
  }
  if (slot.adapt) cueRows.push({ name: 'adapted cues', values: obj(m(slot.adapt).quality) });
  if (cueRows.length) parts.push('<h3>Cue quality (train images, against the ground truth)</h3>', metricTable(cueRows, CUE_COLUMNS));
  const salRows: MetricRow[] = (['s1', 's2', 's3'] as const).flatMap((s, i) =>
    slot[s] ? [{ name: `S${i + 1} (${slot[s].stage})`, values: obj(m(slot[s]).quality) }] : [],
  );
  if (salRows.length) parts.push('<h3>Saliency quality (against the class-agnostic foreground)</h3>', metricTable(salRows, SALIENCY_COLUMNS));
  if (slot.attention)
    parts.push('<h3>Classifier and attention (FCAN)</h3>', metricTable([{ name: 'attention', values: m(slot.attention) }], CLASSIFIER_COLUMNS));
  const trainRowsM: MetricRow[] = lineage.nodes
    // training stages by what they report (a stage may be another instance of a training module)
    .filter((n) => n.artifact && typeof m(n.artifact).iterations === 'number' && 'finalLoss' in m(n.artifact))
    .map((n) => ({ name: n.stage, values: facts ? { ...m(n.artifact!), seconds: n.artifact!.manifest.seconds } : m(n.artifact!) }));
  const trainColumns = facts ? TRAINING_COLUMNS : TRAINING_COLUMNS.filter((c) => !RUN_FACT_KEYS.has(c.key));
  if (trainRowsM.length) parts.push('<h3>Training</h3>', metricTable(trainRowsM, trainColumns));
  return parts.join('\n') || '<p class="cap">no metrics</p>';
}
