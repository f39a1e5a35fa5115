// deeplabv2-resnet101: DeepLab-v2 ResNet-101 with ASPP-L, as DCSP's TensorFlow code builds it
// (docs/method.md §3): Caffe ResNet v1 (stride 2 on the first 1x1 of res3a and on its projection), res4
// at dilation 2 and res5 at dilation 4 (output stride 8), bias-free convs each followed by a frozen
// batch norm (eps 1e-3), ASPP of four 3x3 2048 -> 21 convs at rates 6/12/18/24 summed, FCAN head.
// Names follow the Caffe model ('res4b22_branch2b', 'bn4b22_branch2b', 'fc1_voc12_c3').

import * as tf from '@tensorflow/tfjs';
import { applyConv, frozenBatchNorm, sameOut, type ConvLayer } from './ops.ts';
import { assembleModel, type SegmentationModel } from './model.ts';
import { ParamStore, type FrozenBn } from './params.ts';

export const RESNET101_ASPP_RATES = [6, 12, 18, 24] as const;

/** res stage -> (blocks, bottleneck width, first stride, dilation) */
export const RESNET101_STAGES = [
  { stage: 2, blocks: 3, width: 64, stride: 1, dilation: 1 },
  { stage: 3, blocks: 4, width: 128, stride: 2, dilation: 1 },
  { stage: 4, blocks: 23, width: 256, stride: 1, dilation: 2 },
  { stage: 5, blocks: 3, width: 512, stride: 1, dilation: 4 },
] as const;

/** Caffe block names: a, b, c for 3 blocks; a, b1, b2, ... for more. */
export function caffeBlockName(index: number, blocks: number): string {
  if (index === 0) return 'a';
  return blocks <= 3 ? String.fromCharCode(97 + index) : `b${index}`;
}

interface ConvBn {
  conv: ConvLayer;
  bn: FrozenBn;
}
interface Bottleneck {
  proj?: ConvBn;
  a: ConvBn;
  b: ConvBn;
  c: ConvBn;
  stride: number;
  dilation: number;
}

/** widthDivisor > 1 divides every channel count (same layers and names): small copies for tests. */
export function buildResnet101(seed: number, classes: number, widthDivisor = 1): SegmentationModel {
  const d = widthDivisor;
  const store = new ParamStore('deeplabv2-resnet101', seed);
  const convBn = (conv: string, bn: string, k: number, cin: number, cout: number): ConvBn => ({
    conv: store.conv(conv, k, cin, cout, { group: 'backbone', bias: false, init: 'he' }),
    bn: store.batchNorm(bn, cout),
  });
  const conv1 = convBn('conv1', 'bn_conv1', 7, 3, 64 / d);
  const blocks: Bottleneck[] = [];
  let cin = 64 / d;
  for (const s of RESNET101_STAGES) {
    for (let i = 0; i < s.blocks; i++) {
      const id = `${s.stage}${caffeBlockName(i, s.blocks)}`;
      const width = s.width / d;
      const cout = 4 * width;
      const branch = (suffix: string, k: number, ci: number, co: number) => convBn(`res${id}_branch${suffix}`, `bn${id}_branch${suffix}`, k, ci, co);
      blocks.push({
        proj: i === 0 ? branch('1', 1, cin, cout) : undefined,
        a: branch('2a', 1, cin, width),
        b: branch('2b', 3, width, width),
        c: branch('2c', 1, width, cout),
        stride: i === 0 ? s.stride : 1,
        dilation: s.dilation,
      });
      cin = cout;
    }
  }
  const aspp = RESNET101_ASPP_RATES.map((_, i) => store.conv(`fc1_voc12_c${i}`, 3, 2048 / d, classes, { group: 'aspp', bias: true, init: 'gaussian-0.01' }));

  const cb = (x: tf.Tensor4D, l: ConvBn, opts: { stride?: number; dilation?: number } = {}) => frozenBatchNorm(applyConv(x, l.conv, opts), l.bn);
  const trunk = (x: tf.Tensor4D): tf.Tensor4D => {
    let h = tf.relu(cb(x, conv1, { stride: 2 }));
    h = tf.maxPool(h, 3, 2, 'same');
    for (const b of blocks) {
      const shortcut = b.proj ? cb(h, b.proj, { stride: b.stride }) : h;
      let r = tf.relu(cb(h, b.a, { stride: b.stride }));
      r = tf.relu(cb(r, b.b, { dilation: b.dilation }));
      r = cb(r, b.c);
      h = tf.relu(tf.add(shortcut, r)) as tf.Tensor4D;
    }
    return tf.addN(aspp.map((c, i) => applyConv(h, c, { dilation: RESNET101_ASPP_RATES[i] })));
  };
  const os8 = (n: number) => sameOut(sameOut(sameOut(n, 2), 2), 2);
  return assembleModel('deeplabv2-resnet101', store, classes, trunk, (hh, ww) => [os8(hh), os8(ww)]);
}
