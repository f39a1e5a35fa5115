// Small differentiable building blocks shared by the models.

import * as tf from '@tensorflow/tfjs';
import { conv2d } from '../tensor/atrous.ts';
import type { FrozenBn } from './params.ts';

/** slim's batch_norm epsilon, which DCSP's TensorFlow code ran the Caffe statistics with */
export const BN_EPSILON = 1e-3;

/**
 * Identity forward, zero gradient: tfjs has no public stopGradient. Used to keep the FCAN loss out
 * of the segmentation network under the code's gradient routing (docs/method.md D4).
 */
export const stopGradient: <T extends tf.Tensor>(x: T) => T = (() => {
  const f = tf.customGrad(((x: tf.Tensor) => ({
    value: tf.clone(x),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return <T extends tf.Tensor>(x: T): T => f(x) as T;
})();

/** Inference-mode batch norm with frozen statistics, folded to one scale and one shift per channel. */
export function frozenBatchNorm(x: tf.Tensor4D, bn: FrozenBn, eps = BN_EPSILON): tf.Tensor4D {
  const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(bn.variance, eps)));
  const shift = tf.sub(bn.beta, tf.mul(bn.mean, scale));
  return tf.add(tf.mul(x, scale), shift);
}

export interface ConvLayer {
  w: tf.Variable;
  b?: tf.Variable;
}

export function applyConv(x: tf.Tensor4D, layer: ConvLayer, opts: { stride?: number; dilation?: number } = {}): tf.Tensor4D {
  return conv2d(x, layer.w as tf.Tensor4D, {
    stride: opts.stride,
    dilation: opts.dilation,
    padding: 'same',
    bias: layer.b as tf.Tensor1D | undefined,
  });
}

/** TF "SAME" output size of a stride-s layer: ceil(n / s). */
export function sameOut(n: number, stride: number): number {
  return Math.ceil(n / stride);
}
