// Full-image inference as DCSP's extraction and evaluation scripts do it (docs/method.md §6, §8, §9, D7,
// D10): the image at each scale (TF1 legacy bilinear to int(H s) x int(W s)), one forward each with
// shared weights, each output resized (bilinear) to the scale-1 output size, element-wise max over
// scales, then bilinear upsampling to H x W. All resizes are TF1's align_corners=False without
// half-pixel centres (tf.image.resizeBilinear with both flags false).

import * as tf from '@tensorflow/tfjs';
import type { RgbImage } from '../types.ts';
import { adaptCues, type AdaptMasking } from './adapt.ts';
import { normaliseAttention, type AttentionMaps } from './attention-norm.ts';
import type { SegmentationModel } from './model.ts';
import { toNetworkInput } from './preprocess.ts';

export type OutputHead = 'logits' | 'attention';

/** An HWC float map at image resolution. */
export interface DenseOutput {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

function checkScales(scales: readonly number[]): void {
  if (scales.length === 0) throw new Error('at least one scale is needed');
  for (const s of scales) if (!(s > 0)) throw new Error(`scale ${s} is not positive`);
}

/**
 * Max-fused multi-scale output [h1, w1, C] at the scale-1 output size (a tensor; the caller disposes
 * it). head 'logits': the C segmentation logits; 'attention': the FCAN volume, one channel per foreground class.
 */
export function multiScaleTensor(model: SegmentationModel, image: RgbImage, scales: readonly number[], head: OutputHead = 'logits'): tf.Tensor3D {
  checkScales(scales);
  const { width: W, height: H } = image;
  const input = toNetworkInput(image);
  return tf.tidy(() => {
    const x = tf.tensor4d(input, [1, H, W, 3]);
    const [oh, ow] = model.outputSize(H, W);
    let fused: tf.Tensor4D | null = null;
    for (const s of scales) {
      const sh = Math.max(1, Math.floor(H * s)),
        sw = Math.max(1, Math.floor(W * s));
      const xs = sh === H && sw === W ? x : tf.image.resizeBilinear(x, [sh, sw], false, false);
      let y = head === 'logits' ? model.segLogits(xs) : model.forward(xs).attention;
      if (y.shape[1] !== oh || y.shape[2] !== ow) y = tf.image.resizeBilinear(y, [oh, ow], false, false);
      fused = fused === null ? y : (tf.maximum(fused, y) as tf.Tensor4D);
    }
    return tf.squeeze(fused as tf.Tensor4D, [0]) as tf.Tensor3D;
  });
}

/** Fused multi-scale output upsampled (TF1 bilinear) to the image size, as HWC floats. */
export async function multiScaleLogits(
  model: SegmentationModel,
  image: RgbImage,
  scales: readonly number[],
  head: OutputHead = 'logits',
): Promise<DenseOutput> {
  const up = tf.tidy(() => {
    const fused = multiScaleTensor(model, image, scales, head);
    return tf.image.resizeBilinear(fused, [image.height, image.width], false, false);
  });
  const data = (await up.data()) as Float32Array;
  const channels = up.shape[2];
  up.dispose();
  return { width: image.width, height: image.height, channels, data };
}

/** Attention maps of the image's classes: 3-scale max-fused, upsampled, per-class min-max normalised, uint8. */
export async function attentionMaps(model: SegmentationModel, image: RgbImage, classes: readonly number[], scales: readonly number[]): Promise<AttentionMaps> {
  const v = await multiScaleLogits(model, image, scales, 'attention');
  return normaliseAttention(v.data, v.width, v.height, classes);
}

/** The adapt step for one image: new cue labels from the network's multi-scale logits. */
export async function adaptImage(
  model: SegmentationModel,
  image: RgbImage,
  classes: readonly number[],
  opts: { scales: readonly number[]; masking: AdaptMasking },
): Promise<Uint8Array> {
  const z = await multiScaleLogits(model, image, opts.scales, 'logits');
  return adaptCues(z.data, z.width, z.height, classes, opts.masking);
}

/**
 * Class probabilities for the CRF and evaluation: multi-scale max-fused logits, upsampled, softmax.
 * layout 'hwc' (default; what lib/crf's denseCrf takes) or 'chw' ([C, H, W]).
 */
export async function predict(model: SegmentationModel, image: RgbImage, scales: readonly number[], layout: 'hwc' | 'chw' = 'hwc'): Promise<DenseOutput> {
  const p = tf.tidy(() => {
    const fused = multiScaleTensor(model, image, scales, 'logits');
    const up = tf.image.resizeBilinear(fused, [image.height, image.width], false, false);
    const sm = tf.softmax(up);
    return layout === 'chw' ? tf.transpose(sm, [2, 0, 1]) : sm;
  });
  const data = (await p.data()) as Float32Array;
  p.dispose();
  return { width: image.width, height: image.height, channels: model.classes, data };
}
