// The eval stage: multi-scale prediction, dense CRF, confusion matrix and mIoU; test-server PNGs.
import { Dataset } from '../layouts/dataset.ts';
import type { ItemEnv, ItemResult, ItemSetupEnv, StageContext } from '../stage/stage.ts';
import { ConfusionMatrix, formatScoresTable } from '../metrics/confusion.ts';
import type { Json } from '../store/canonical-json.ts';
import type { CrfParams } from '../crf/dense-crf.ts';
import { VOID_LABEL } from '../types.ts';
import { predict } from '../model/inference.ts';
import { map8, netSetup, round, type NetState } from './net.ts';

export interface EvalParams {
  scales: number[];
  crf: boolean;
  crfParams: Partial<CrfParams>;
  checkpoint: 'train' | 'retrain';
  split: 'val' | 'test';
}

export const evalSetup = (env: ItemSetupEnv<EvalParams, Json>): Promise<NetState> => netSetup(env.inputs.dataset, env.inputs[env.params.checkpoint]);

export async function evalCompute(id: string, env: ItemEnv<EvalParams, Json, NetState>): Promise<ItemResult> {
  const { dataset, model } = env.state;
  const image = await dataset.readImage(id);
  const prob = await predict(model, image, env.params.scales, 'hwc');
  let pred: Uint8Array;
  if (env.params.crf) {
    const { crfLabels } = await import('../crf/dense-crf.ts');
    pred = crfLabels(image, prob.data, 21, env.params.crfParams);
  } else {
    const { argmaxLabels } = await import('../crf/dense-crf.ts');
    pred = argmaxLabels(prob.data, 21);
  }
  return { arrays: { prediction: { data: pred, shape: [image.height, image.width] } } };
}

/** Confusion matrix over pixels with ground truth, per-class IoU, mIoU, pixel accuracy. */
export async function evalSummary(
  ctx: StageContext<{ split: 'val' | 'test' }>,
  ids: string[],
  read: (i: number) => Promise<ItemResult>,
  method: string,
): Promise<Record<string, Json>> {
  const dataset = await Dataset.open(ctx.inputs.dataset);
  const cm = new ConfusionMatrix(21, VOID_LABEL);
  let images = 0;
  for (let i = 0; i < ids.length; i++) {
    const gt = await dataset.readGt(ids[i]);
    if (!gt) continue;
    cm.add(map8(await read(i), 'prediction'), gt.data, ids[i]);
    images++;
  }
  if (ctx.params.split === 'test') {
    const { writeTestServerFiles } = await import('../data/voc-server-results.ts');
    const n = await writeTestServerFiles(ctx.out, ids, async (i) => {
      const r = await read(i);
      const [height, width] = r.arrays.prediction.shape;
      return { width, height, data: map8(r, 'prediction') };
    });
    ctx.log(`eval: ${n} test predictions in results/VOC2012/Segmentation/comp6_test_cls/ and results.tar.gz (ready to upload)`);
  }
  if (!images) return { images: 0 };
  const s = cm.scores();
  ctx.log(`${ctx.stage} on ${images} ${ctx.params.split} images (${method}):\n${formatScoresTable(s, dataset.index.classNames)}`);
  await ctx.out.json('confusion.json', { classes: dataset.index.classNames, counts: Array.from(cm.counts) });
  return {
    images,
    meanIoU: round(s.meanIoU),
    pixelAccuracy: round(s.pixelAccuracy),
    meanClassAccuracy: round(s.meanClassAccuracy),
    iou: Object.fromEntries(dataset.index.classNames.map((c, k) => [c, round(s.iou[k])])),
  };
}
