// The two DCSP losses with the code's normalisation (docs/method.md §5, §7, D5), and the label plumbing
// they need. Weight decay is not here: the optimiser adds wd * w to each decayed weight's gradient,
// which is the gradient of wd * 1/2 ||w||^2 (see optimiser.ts for which weights).

import * as tf from '@tensorflow/tfjs';
import { resizeNearestTf1 } from './resample.ts';
import { VOID_LABEL } from '../types.ts';

/**
 * FCAN loss, eq. 1: sigmoid cross-entropy of the GAP class scores, mean over batch x classes, in the
 * stable form max(x, 0) - x y + log(1 + exp(-|x|)).
 */
export function fcanLoss(scores: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const x = scores;
    const terms = tf.add(tf.sub(tf.relu(x), tf.mul(x, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
    return tf.mean(terms) as tf.Scalar;
  });
}

/**
 * Segmentation loss l_s: softmax cross-entropy per pixel, mean over the B x h x w pixels whose label
 * is not void (255). DCSP's cues never contain void, so for them this is the code's plain mean; the
 * ground-truth cues of the oracle do, and a fully supervised DeepLab ignores them.
 */
export function segLoss(logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const ids = tf.cast(labels, 'int32');
    // oneHot of 255 is an all-zero row, so void pixels add nothing to the sum; they leave the count too
    const onehot = tf.oneHot(ids, logits.shape[3]);
    const counted = tf.maximum(tf.sum(tf.cast(tf.notEqual(ids, VOID_LABEL), 'float32')), 1);
    return tf.div(tf.neg(tf.sum(tf.mul(logp, onehot))), counted) as tf.Scalar;
  });
}

/** 0/1 target of the classes present, one entry per foreground class (ids 1..foreground; 0 and repeats are an error). */
export function classTargets(classes: readonly number[], foreground: number): Float32Array {
  const t = new Float32Array(foreground);
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 1 || c > foreground) throw new Error(`image label ${c} is not a class id 1..${foreground}`);
    if (t[c - 1] === 1) throw new Error(`image label ${c} listed twice`);
    t[c - 1] = 1;
  }
  return t;
}

/** Cue labels (ids below `classes`, or void) at the logits' resolution: TF1 nearest, src = floor(dst * in / out). */
export function downsampleCues(labels: Uint8Array, height: number, width: number, outH: number, outW: number, classes: number): Uint8Array {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes && labels[i] !== VOID_LABEL) throw new Error(`cue label ${labels[i]} at pixel ${i} is neither 0..${classes - 1} nor void (255)`);
  }
  return resizeNearestTf1(labels, height, width, outH, outW);
}

/** wd * sum of 1/2 ||w||^2 over the given weights: the L2 term of the reported loss. */
export function l2Term(weights: readonly tf.Tensor[], weightDecay: number): tf.Scalar {
  return tf.tidy(() => {
    if (weights.length === 0) return tf.scalar(0);
    return tf.mul(tf.addN(weights.map((w) => tf.sum(tf.square(w)))), 0.5 * weightDecay) as tf.Scalar;
  });
}
