// inference.ts's multi-scale inference (docs/method.md §6, §8, §9) for several images at once, as the
// per-image stages run a batch of items: images of equal size go through each scale in one forward
// pass, nothing padded. Which images make a batch is not decided here: the executor cuts a stage's
// batches from its whole item list within the pixel budget of the backend its key names
// (lib/tensor/batches.ts, lib/exec/item-batches.ts) and each item's key names its batch, so the
// images given are computed as given (one pass per size among them). Each image's output is what
// inference.ts gives it alone up to how a backend's kernels round a batch: byte-equal on wasm
// wherever measured; on tfjs-node (oneDNN off, 1 thread) every uint8 output measured equal, float
// logits within about 1e-7 (test/model/inference-batch.test.ts, bench/per-image-batch.ts,
// docs/voc-and-gpus.md#per-image-stages-batched).
// The single-image functions stay in inference.ts because every training's key follows that file
// (checkpoint-probe.ts imports it): folding them onto these would re-key trainings for no change in
// their bytes.
import * as tf from '@tensorflow/tfjs';
import { sizeGroups } from '../tensor/batches.ts';
import type { RgbImage } from '../types.ts';
import { adaptCues, type AdaptMasking } from './adapt.ts';
import { normaliseAttention, type AttentionMaps } from './attention-norm.ts';
import type { DenseOutput, OutputHead } from './inference.ts';
import type { SegmentationModel } from './model.ts';
import { toNetworkInput } from './preprocess.ts';

/** One image and its classes (the classes whose attention or cues are kept). */
export interface ClassedImage {
  image: RgbImage;
  classes: readonly number[];
}

/**
 * Max-fused multi-scale outputs [h1, w1, C] at each image's scale-1 output size, in the order of
 * `images` (tensors; the caller disposes them): inference.ts's multiScaleTensor per image, with
 * equal sizes batched, up to `maxPixels` input pixels a forward pass (default: no limit, the
 * images given are the batch).
 */
export function multiScaleTensors(
  model: SegmentationModel,
  images: readonly RgbImage[],
  scales: readonly number[],
  head: OutputHead = 'logits',
  maxPixels = Number.POSITIVE_INFINITY,
): tf.Tensor3D[] {
  if (scales.length === 0) throw new Error('at least one scale is needed');
  for (const s of scales) if (!(s > 0)) throw new Error(`scale ${s} is not positive`);
  const out: tf.Tensor3D[] = new Array(images.length);
  for (const group of sizeGroups(images, maxPixels)) {
    const { width: W, height: H } = images[group[0]];
    const fused = tf.tidy(() => {
      const x = tf.tensor4d(networkInputs(group.map((i) => images[i])), [group.length, H, W, 3]);
      const [oh, ow] = model.outputSize(H, W);
      let acc: tf.Tensor4D | null = null;
      for (const s of scales) {
        const sh = Math.max(1, Math.floor(H * s)),
          sw = Math.max(1, Math.floor(W * s));
        const xs = sh === H && sw === W ? x : tf.image.resizeBilinear(x, [sh, sw], false, false);
        let y = head === 'logits' ? model.segLogits(xs) : model.forward(xs).attention;
        if (y.shape[1] !== oh || y.shape[2] !== ow) y = tf.image.resizeBilinear(y, [oh, ow], false, false);
        acc = acc === null ? y : (tf.maximum(acc, y) as tf.Tensor4D);
      }
      return tf.unstack(acc as tf.Tensor4D) as tf.Tensor3D[];
    });
    group.forEach((i, k) => {
      out[i] = fused[k];
    });
  }
  return out;
}

function networkInputs(images: readonly RgbImage[]): Float32Array {
  if (images.length === 1) return toNetworkInput(images[0]);
  const n = images[0].width * images[0].height * 3;
  const all = new Float32Array(n * images.length);
  for (let k = 0; k < images.length; k++) all.set(toNetworkInput(images[k]), k * n);
  return all;
}

/** Reads each fused tensor through `finish` (under tidy) as a DenseOutput; disposes them all. */
async function denseOutputs(
  images: readonly RgbImage[],
  fused: tf.Tensor3D[],
  finish: (fused: tf.Tensor3D, image: RgbImage) => tf.Tensor3D,
): Promise<DenseOutput[]> {
  const out: DenseOutput[] = [];
  try {
    for (let i = 0; i < images.length; i++) {
      const t = tf.tidy(() => finish(fused[i], images[i]));
      const data = (await t.data()) as Float32Array;
      out.push({ width: images[i].width, height: images[i].height, channels: t.shape[2], data });
      t.dispose();
    }
  } finally {
    tf.dispose(fused);
  }
  return out;
}

/** inference.ts's multiScaleLogits for several images. */
export function multiScaleLogitsBatch(
  model: SegmentationModel,
  images: readonly RgbImage[],
  scales: readonly number[],
  head: OutputHead = 'logits',
  maxPixels = Number.POSITIVE_INFINITY,
): Promise<DenseOutput[]> {
  return denseOutputs(images, multiScaleTensors(model, images, scales, head, maxPixels), (fused, image) =>
    tf.image.resizeBilinear(fused, [image.height, image.width], false, false),
  );
}

/** inference.ts's attentionMaps for several images. */
export async function attentionMapsBatch(
  model: SegmentationModel,
  items: readonly ClassedImage[],
  scales: readonly number[],
  maxPixels = Number.POSITIVE_INFINITY,
): Promise<AttentionMaps[]> {
  const v = await multiScaleLogitsBatch(
    model,
    items.map((it) => it.image),
    scales,
    'attention',
    maxPixels,
  );
  return v.map((o, i) => normaliseAttention(o.data, o.width, o.height, items[i].classes));
}

/** inference.ts's adaptImage for several images. */
export async function adaptImages(
  model: SegmentationModel,
  items: readonly ClassedImage[],
  opts: { scales: readonly number[]; masking: AdaptMasking },
): Promise<Uint8Array[]> {
  const z = await multiScaleLogitsBatch(
    model,
    items.map((it) => it.image),
    opts.scales,
    'logits',
  );
  return z.map((o, i) => adaptCues(o.data, o.width, o.height, items[i].classes, opts.masking));
}

/** inference.ts's predict for several images. */
export function predictBatch(
  model: SegmentationModel,
  images: readonly RgbImage[],
  scales: readonly number[],
  layout: 'hwc' | 'chw' = 'hwc',
): Promise<DenseOutput[]> {
  return denseOutputs(images, multiScaleTensors(model, images, scales, 'logits'), (fused, image) => {
    const sm = tf.softmax(tf.image.resizeBilinear(fused, [image.height, image.width], false, false));
    return layout === 'chw' ? (tf.transpose(sm, [2, 0, 1]) as tf.Tensor3D) : sm;
  });
}
