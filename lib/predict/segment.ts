// One image's predicted label map as the eval stage computes it (docs/method.md §8, §9): multi-scale
// max-fused softmax, then the dense CRF or a plain argmax. The eval stage and `pipeline predict`
// both call this, so a prediction made outside the pipeline is the one eval scored.
import { argmaxLabels, crfLabels, type CrfParams } from '../crf/dense-crf.ts';
import { predictBatch } from '../model/inference-batch.ts';
import type { SegmentationModel } from '../model/model.ts';
import type { RgbImage } from '../types.ts';

/** eval's params that decide a prediction (stages/eval.ts declares and defaults them) */
export interface SegmentSettings {
  scales: readonly number[];
  crf: boolean;
  /** over lib/crf's DEFAULT_CRF_PARAMS */
  crfParams: Partial<CrfParams>;
}

/**
 * Class ids per pixel (row-major, image size). `classes`: the dataset's class count, which must be
 * what the network predicts (a checkpoint of another dataset fails here, not with wrong labels).
 */
export async function segmentImage(model: SegmentationModel, image: RgbImage, classes: number, settings: SegmentSettings): Promise<Uint8Array> {
  return (await segmentImages(model, [image], classes, settings))[0];
}

/** segmentImage for several images: the network sees equal-size images as one batch per scale (inference-batch.ts). */
export async function segmentImages(model: SegmentationModel, images: readonly RgbImage[], classes: number, settings: SegmentSettings): Promise<Uint8Array[]> {
  const probs = await predictBatch(model, images, settings.scales, 'hwc');
  return probs.map((prob, i) => {
    if (prob.channels !== classes) throw new Error(`the network predicts ${prob.channels} classes, the dataset has ${classes}`);
    return settings.crf ? crfLabels(images[i], prob.data, classes, settings.crfParams) : argmaxLabels(prob.data, classes);
  });
}
