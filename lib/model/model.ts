// What every DeepLab variant looks like from outside: segmentation logits from a trunk + classifier,
// and the FCAN head on top of them (docs/method.md §3): a 1x1 conv from the C class logits to the
// C - 1 foreground classes with bias (no filter for background) whose output is the attention volume
// V, and its global average -> one score per foreground class. C is the dataset's class count
// (background included), so a model is built for its data.

import * as tf from '@tensorflow/tfjs';
import { applyConv, stopGradient, type ConvLayer } from './ops.ts';
import type { ConvInit, ParamInfo, ParamStore } from './params.ts';

export const MODEL_NAMES = ['deeplab-lite', 'deeplab-lite-os4', 'deeplabv2-resnet101', 'deeplab-largefov-vgg16'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const HEAD_LAYER = 'fc1_voc12_d0';

export interface ForwardOptions {
  /**
   * Stop the gradient between the segmentation logits and the FCAN head, so a loss on the
   * attention or class scores trains only the head (the released code's routing, docs/method.md D4).
   */
  detachAttention?: boolean;
}

export interface ModelOutputs {
  /** segmentation logits fc1_voc12, [B, h, w, C] */
  logits: tf.Tensor4D;
  /** attention volume V = head(logits), [B, h, w, C - 1] */
  attention: tf.Tensor4D;
  /** GAP of V, [B, C - 1]: the FCAN classification logits */
  scores: tf.Tensor2D;
}

export interface SegmentationModel {
  readonly name: ModelName;
  /** C: the classes it segments, background included (the dataset's class list) */
  readonly classes: number;
  /** every parameter by its checkpoint name, BN statistics included */
  readonly params: ReadonlyMap<string, ParamInfo>;
  /** output size for an input of h x w (TF SAME: a ceil chain) */
  outputSize(height: number, width: number): [number, number];
  /** segmentation logits only (inference, adapt, eval) */
  segLogits(x: tf.Tensor4D): tf.Tensor4D;
  forward(x: tf.Tensor4D, opts?: ForwardOptions): ModelOutputs;
  /** the variables by parameter name (live, not copies: for saveCheckpoint, not to dispose) */
  weights(): tf.NamedTensorMap;
  dispose(): void;
}

/** The paper's heads start at N(0, 0.01) on top of an ImageNet backbone; a model trained from scratch passes 'he'. */
export function createFcanHead(store: ParamStore, classes: number, init: ConvInit = 'gaussian-0.01'): ConvLayer {
  return store.conv(HEAD_LAYER, 1, classes, classes - 1, { group: 'head', bias: true, init });
}

/** Wraps a trunk (input -> `classes` logits) with the FCAN head into a SegmentationModel. */
export function assembleModel(
  name: ModelName,
  store: ParamStore,
  classes: number,
  trunk: (x: tf.Tensor4D) => tf.Tensor4D,
  outputSize: (h: number, w: number) => [number, number],
  headInit: ConvInit = 'gaussian-0.01',
): SegmentationModel {
  const head = createFcanHead(store, classes, headInit);
  return {
    name,
    classes,
    params: store.params,
    outputSize,
    segLogits: (x) => trunk(x),
    forward(x, opts = {}) {
      const logits = trunk(x);
      const headIn = opts.detachAttention === true ? stopGradient(logits) : logits;
      const attention = applyConv(headIn, head);
      const scores = tf.mean(attention, [1, 2]) as tf.Tensor2D;
      return { logits, attention, scores };
    },
    weights() {
      const out: tf.NamedTensorMap = {};
      for (const [n, p] of store.params) out[n] = p.variable;
      return out;
    },
    dispose: () => store.dispose(),
  };
}
