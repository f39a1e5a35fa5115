// The checkpoint measures of a run's trainings (val mAP, val mIoU on a fixed val sample), as the
// run's scalars files hold them: the same numbers TensorBoard shows. Only the page a run prints
// has them (run facts: the report stage's artifact cannot read them); its caller reads the files.
import { lineChart } from './chart-svg.ts';

/** One training's values of one measure, by step. */
export interface ProbeSeries {
  stage: string;
  tag: string;
  points: [number, number][];
}

export const PROBE_TAGS: Record<string, string> = { 'val/mAP': 'val mAP', 'val/mIoU': 'val mIoU' };

/** One chart per measure, a line per stage; '' when there is nothing to draw. */
export function probeCurvesHtml(series: readonly ProbeSeries[]): string {
  const colours = ['#1f2a3c', '#d9480f', '#3f63a8', '#2f855a', '#805ad5'];
  const charts: string[] = [];
  for (const [tag, title] of Object.entries(PROBE_TAGS)) {
    const lines = series
      .filter((s) => s.tag === tag && s.points.length)
      .map((s, i) => ({ name: s.stage, colour: colours[i % colours.length], points: s.points }));
    if (lines.length) charts.push(lineChart(lines, { title, xLabel: 'iteration', yLabel: tag, zeroBased: true }));
  }
  if (!charts.length) return '';
  return `<h3>At each checkpoint</h3><p class="cap">What each training measured at its checkpoints on a fixed sample of val images, as its TensorBoard curves show it: the classifier's mAP (fcan-pretrain), the segmentation's mIoU at one scale without CRF (the others). The full measures are the attention and eval stages'.</p><div class="charts">${charts.join('')}</div>`;
}
