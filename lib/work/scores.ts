// How the label maps of a per-item stage score against the ground truth, as its stage summary:
// cue quality (cues, cues-oracle, adapt) and segmentation mIoU (eval, eval-oracle, eval-direct).
import { formatPercent, roundTo } from '../format.ts';
import { CUES } from '../layouts/cues.ts';
import { Dataset } from '../layouts/dataset.ts';
import { CONFUSION_FILE, PREDICTIONS } from '../layouts/predictions.ts';
import { ConfusionMatrix, formatScoresTable } from '../metrics/confusion.ts';
import { CueQuality } from '../model/cue-quality.ts';
import type { ItemResult, StageContext } from '../contract/stage.ts';
import type { Json } from '../store/canonical-json.ts';
import { VOID_LABEL } from '../types.ts';

/** Cue mIoU and foreground precision / recall against the ground truth, where there is some. */
export async function cueSummary(
  ctx: StageContext<unknown>,
  ids: string[],
  read: (i: number) => Promise<ItemResult>,
  label: string,
): Promise<Record<string, Json>> {
  const dataset = await Dataset.open(ctx.inputs.dataset);
  const q = new CueQuality(dataset.index.classNames.length);
  let images = 0;
  for (let i = 0; i < ids.length; i++) {
    const gt = await dataset.readGt(ids[i]);
    if (!gt) continue;
    // a void cue pixel (the oracle's) sits where the ground truth is void, which is not scored
    const cue = CUES.mapOf(await read(i)).data.map((v) => (v === VOID_LABEL ? 0 : v));
    q.add(cue, gt.data, ids[i]);
    images++;
  }
  if (!images) return { quality: null };
  const s = q.scores();
  ctx.log(
    `${label} on ${images} train images with ground truth: mIoU ${formatPercent(s.meanIoU)}, precision ${formatPercent(s.precision)}, recall ${formatPercent(s.recall)} (foreground, class-aware)`,
  );
  return {
    quality: {
      images,
      meanIoU: roundTo(s.meanIoU),
      precision: roundTo(s.precision),
      recall: roundTo(s.recall),
      fgPrecision: roundTo(s.fgPrecision),
      fgRecall: roundTo(s.fgRecall),
    },
  };
}

/** Confusion matrix over pixels with ground truth, per-class IoU, mIoU, pixel accuracy. */
export async function evalSummary(
  ctx: StageContext<{ split: 'val' | 'test' }>,
  ids: string[],
  read: (i: number) => Promise<ItemResult>,
  method: string,
): Promise<Record<string, Json>> {
  const dataset = await Dataset.open(ctx.inputs.dataset);
  const cm = new ConfusionMatrix(dataset.index.classNames.length, VOID_LABEL);
  let images = 0;
  for (let i = 0; i < ids.length; i++) {
    const gt = await dataset.readGt(ids[i]);
    if (!gt) continue;
    cm.add(PREDICTIONS.mapOf(await read(i)).data, gt.data, ids[i]);
    images++;
  }
  if (ctx.params.split === 'test') {
    const { writeTestServerFiles } = await import('../data/voc-server-results.ts');
    const n = await writeTestServerFiles(ctx.out, ids, async (i) => PREDICTIONS.mapOf(await read(i)));
    ctx.log(`eval: ${n} test predictions in results/VOC2012/Segmentation/comp6_test_cls/ and results.tar.gz (ready to upload)`);
  }
  if (!images) return { images: 0 };
  const s = cm.scores();
  ctx.log(`${ctx.stage} on ${images} ${ctx.params.split} images (${method}):\n${formatScoresTable(s, dataset.index.classNames)}`);
  await ctx.out.json(CONFUSION_FILE, { classes: dataset.index.classNames, counts: Array.from(cm.counts) });
  return {
    images,
    meanIoU: roundTo(s.meanIoU),
    pixelAccuracy: roundTo(s.pixelAccuracy),
    meanClassAccuracy: roundTo(s.meanClassAccuracy),
    iou: Object.fromEntries(dataset.index.classNames.map((c, k) => [c, roundTo(s.iou[k])])),
  };
}
