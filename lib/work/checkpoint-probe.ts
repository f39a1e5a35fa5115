// What a training can measure cheaply at each checkpoint, for its TensorBoard curves: the FCAN
// classifier's mAP, or the segmentation's mIoU (one scale, no CRF), on a fixed sample of val images
// spread evenly over the split. Inference only: the weights are read, never changed, so a run that
// logs these ends with the same weights as one that does not. The full measures are the attention
// and eval stages'.
import * as tf from '@tensorflow/tfjs';
import { argmaxLabels } from '../crf/dense-crf.ts';
import type { Dataset } from '../layouts/dataset.ts';
import { meanAveragePrecision } from '../metrics/classification.ts';
import { ConfusionMatrix } from '../metrics/confusion.ts';
import { predict } from '../model/inference.ts';
import type { SegmentationModel } from '../model/model.ts';
import { toNetworkInput } from '../model/preprocess.ts';

/** val images per checkpoint measure */
export const PROBE_IMAGES = 16;

/** Every k-th val id, at most `n`: the same sample at every checkpoint and in every run. */
export function probeSample(ids: readonly string[], n = PROBE_IMAGES): string[] {
  if (ids.length <= n) return [...ids];
  return Array.from({ length: n }, (_, i) => ids[Math.floor((i * ids.length) / n)]);
}

export function checkpointProbe(dataset: Dataset, model: SegmentationModel, objective: 'fcan' | 'seg'): (() => Promise<Record<string, number>>) | undefined {
  const ids = probeSample(dataset.ids('val'));
  if (!ids.length) return undefined;
  const classes = dataset.index.classNames.length;
  if (objective === 'fcan') {
    return async () => {
      const scores: number[][] = [];
      for (const id of ids) {
        const image = await dataset.readImage(id);
        const s = tf.tidy(() => model.forward(tf.tensor4d(toNetworkInput(image), [1, image.height, image.width, 3])).scores);
        scores.push(Array.from(await s.data()));
        s.dispose();
      }
      return {
        'val/mAP': meanAveragePrecision(
          scores,
          ids.map((id) => dataset.labels(id)),
          classes - 1,
        ).map,
      };
    };
  }
  return async () => {
    const cm = new ConfusionMatrix(classes);
    for (const id of ids) {
      const gt = await dataset.readGt(id);
      if (!gt) continue;
      const image = await dataset.readImage(id);
      const p = await predict(model, image, [1]);
      cm.add(argmaxLabels(p.data, p.channels), gt.data, id);
    }
    return { 'val/mIoU': cm.scores().meanIoU };
  };
}
