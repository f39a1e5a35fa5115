// deeplab-largefov-vgg16: DeepLab-LargeFOV on VGG16 (the paper's VGG variant). VGG16's 13 3x3 convs
// with ReLU; max-pools 3x3 with stride 2 after blocks 1-3 and stride 1 after blocks 4 and 5 (output
// stride 8); conv5 at dilation 2; fc6 3x3 512 -> 1024 at dilation 12, ReLU; fc7 1x1 1024 -> 1024,
// ReLU; fc8_voc12 1x1 1024 -> one logit per class; FCAN head. DeepLab's dropout after fc6/fc7 is left out (see
// lib/model/README.md). A notop file has no fc6/fc7, so they start random and sit with the classifier (group
// 'aspp': lr x10/x20, and trained by heads-only FCAN pretraining) rather than in the frozen trunk.

import * as tf from '@tensorflow/tfjs';
import { applyConv, sameOut, type ConvLayer } from './ops.ts';
import { assembleModel, type SegmentationModel } from './model.ts';
import { ParamStore } from './params.ts';

/** [block, convs, channels] of VGG16 */
export const VGG16_BLOCKS = [
  [1, 2, 64],
  [2, 2, 128],
  [3, 3, 256],
  [4, 3, 512],
  [5, 3, 512],
] as const;

/** widthDivisor > 1 divides every channel count (same layers and names): small copies for tests. */
export function buildVgg16LargeFov(seed: number, classes: number, widthDivisor = 1): SegmentationModel {
  const d = widthDivisor;
  const store = new ParamStore('deeplab-largefov-vgg16', seed);
  const convs: Array<{ layer: ConvLayer; dilation: number; poolStride: number | null }> = [];
  let cin = 3;
  for (const [block, n, c] of VGG16_BLOCKS) {
    for (let i = 1; i <= n; i++) {
      const layer = store.conv(`conv${block}_${i}`, 3, cin, c / d, { group: 'backbone', bias: true, init: 'he' });
      convs.push({ layer, dilation: block === 5 ? 2 : 1, poolStride: i === n ? (block <= 3 ? 2 : 1) : null });
      cin = c / d;
    }
  }
  const fc6 = store.conv('fc6', 3, 512 / d, 1024 / d, { group: 'aspp', bias: true, init: 'he' });
  const fc7 = store.conv('fc7', 1, 1024 / d, 1024 / d, { group: 'aspp', bias: true, init: 'he' });
  const fc8 = store.conv('fc8_voc12', 1, 1024 / d, classes, { group: 'aspp', bias: true, init: 'gaussian-0.01' });

  const trunk = (x: tf.Tensor4D): tf.Tensor4D => {
    let h = x;
    for (const c of convs) {
      h = tf.relu(applyConv(h, c.layer, { dilation: c.dilation }));
      if (c.poolStride !== null) h = tf.maxPool(h, 3, c.poolStride, 'same');
    }
    h = tf.relu(applyConv(h, fc6, { dilation: 12 }));
    h = tf.relu(applyConv(h, fc7));
    return applyConv(h, fc8);
  };
  const os8 = (n: number) => sameOut(sameOut(sameOut(n, 2), 2), 2);
  return assembleModel('deeplab-largefov-vgg16', store, classes, trunk, (hh, ww) => [os8(hh), os8(ww)]);
}
