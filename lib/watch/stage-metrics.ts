// A finished stage's metrics (its manifest's: cue mIoU, object recall, per-class IoU, mAP, final
// loss) as TensorBoard scalars under `metrics/` and one Markdown table, written by the executor for
// every stage, so per-image stages and evaluations need no logging code of their own.
import type { Json } from '../store/canonical-json.ts';
import type { ScalarSink } from '../scalar-sink.ts';

/**
 * Numbers of a metrics object by slash-joined path (`metrics/quality/objectRecall`,
 * `metrics/iou/car`). Arrays are left out: their entries have no names to plot under (per-class
 * figures that matter are objects by class name).
 */
export function metricScalars(metrics: Record<string, Json>): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (v: Json, path: string): void => {
    if (typeof v === 'number') out[path] = v;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, `${path}/${k}`);
  };
  for (const [k, v] of Object.entries(metrics)) walk(v, `metrics/${k}`);
  return out;
}

export function metricsMarkdown(stage: string, scalars: Record<string, number>): string {
  const rows = Object.entries(scalars).map(
    ([tag, v]) => `| ${tag.slice('metrics/'.length).replace(/\//g, '.')} | ${Number.isInteger(v) ? v : Number(v.toPrecision(4))} |`,
  );
  return [`**${stage}**`, '', '| metric | value |', '|---|---|', ...rows].join('\n');
}

/**
 * At the stage's last step: a training's final iteration (its metrics say how many), else 0.
 * Nothing is written for a stage without numeric metrics.
 */
export function logStageMetrics(sink: ScalarSink, stage: string, metrics: Record<string, Json>): void {
  const scalars = metricScalars(metrics);
  if (!Object.keys(scalars).length) return;
  const step = typeof metrics.iterations === 'number' && Number.isSafeInteger(metrics.iterations) && metrics.iterations >= 0 ? metrics.iterations : 0;
  sink.scalars(step, scalars);
  sink.text(step, 'metrics', metricsMarkdown(stage, scalars));
}
