// deeplab-lite: the toy / CPU model. Same shape of computation as DeepLab (strided stem to output
// stride 8, residual blocks with atrous 3x3 convs, an ASPP that sums parallel atrous branches into
// one logit per class, FCAN head), about 0.12 GMAC per 96x96 image so a batch of 8 trains in well under a
// second on one wasm thread. No batch norm: it trains from scratch on the toy set, where frozen
// ImageNet statistics do not exist; the last conv of each residual branch starts small instead,
// so the untrained network is close to its shortcut path and trains stably. The input (BGR minus the
// mean, values up to +-150) is scaled by 1/64 first, roughly unit variance, which He init assumes;
// the ImageNet models need no such scale because their first layers were trained on raw values.
//
//   stem   conv 3x3 s2 3->24, ReLU                          (H/2)
//   down1  conv 3x3 s2 24->48, ReLU; res block 48          (H/4)
//   down2  conv 3x3 s2 48->96, ReLU; res block 96          (H/8)
//   res blocks 96 at dilation 2 and 4
//   ASPP   3x3 96->classes at rates 1, 2, 4, summed (fc1_voc12_c0..c2)
//
// deeplab-lite-os4 is the same network with output stride 4 for small images (the toy set's 80-96
// px objects are a few output pixels at stride 8, too coarse for its thin shapes): down2 keeps the
// resolution, the trunk after it is 48 wide (so it costs about what the stride-8 one does), and
// every dilation and ASPP rate doubles so the receptive field in image pixels stays the same.

import * as tf from '@tensorflow/tfjs';
import { applyConv, sameOut, type ConvLayer } from './ops.ts';
import { assembleModel, type SegmentationModel } from './model.ts';
import { ParamStore } from './params.ts';

export const LITE_ASPP_RATES = [1, 2, 4] as const;
export const LITE_INPUT_SCALE = 1 / 64;

export type LiteStride = 4 | 8;

/** what differs between the two output strides */
function liteShape(stride: LiteStride): { width: number; dilation: number } {
  return stride === 8 ? { width: 96, dilation: 1 } : { width: 48, dilation: 2 };
}

interface ResBlock {
  a: ConvLayer;
  b: ConvLayer;
  dilation: number;
}

export function buildDeeplabLite(seed: number, classes: number, stride: LiteStride = 8): SegmentationModel {
  const name = stride === 8 ? 'deeplab-lite' : 'deeplab-lite-os4';
  const { width: c, dilation: k } = liteShape(stride);
  const store = new ParamStore(name, seed);
  const conv = (name: string, k: number, cin: number, cout: number, scale = 1): ConvLayer =>
    store.conv(name, k, cin, cout, { group: 'backbone', bias: true, init: 'he', scale });
  const block = (name: string, c: number, dilation: number): ResBlock => ({
    a: conv(`${name}_a`, 3, c, c),
    b: conv(`${name}_b`, 3, c, c, 0.25),
    dilation,
  });
  const stem = conv('stem', 3, 3, 24);
  const down1 = conv('down1', 3, 24, 48);
  const res1 = block('res1', 48, 1);
  const down2 = conv('down2', 3, 48, c);
  const res2 = block('res2', c, k);
  const res3 = block('res3', c, 2 * k);
  const res4 = block('res4', c, 4 * k);
  const aspp = LITE_ASPP_RATES.map((_, i) =>
    // He-scaled (shared by the summed branches), not the paper's N(0, 0.01): trained from scratch, two
    // stacked near-zero layers (ASPP, then the 1x1 head) pass almost no gradient to the trunk
    store.conv(`fc1_voc12_c${i}`, 3, c, classes, { group: 'aspp', bias: true, init: 'he', scale: 1 / Math.sqrt(LITE_ASPP_RATES.length) }),
  );

  const residual = (x: tf.Tensor4D, r: ResBlock): tf.Tensor4D => {
    const h = tf.relu(applyConv(x, r.a, { dilation: r.dilation }));
    return tf.relu(tf.add(x, applyConv(h, r.b, { dilation: r.dilation }))) as tf.Tensor4D;
  };
  const trunk = (x: tf.Tensor4D): tf.Tensor4D => {
    let h = tf.relu(applyConv(tf.mul(x, LITE_INPUT_SCALE), stem, { stride: 2 }));
    h = residual(tf.relu(applyConv(h, down1, { stride: 2 })), res1);
    h = residual(tf.relu(applyConv(h, down2, { stride: stride === 8 ? 2 : 1 })), res2);
    h = residual(residual(h, res3), res4);
    const branches = aspp.map((layer, i) => applyConv(h, layer, { dilation: k * LITE_ASPP_RATES[i] }));
    return tf.addN(branches);
  };
  const down = (n: number): number => {
    const quarter = sameOut(sameOut(n, 2), 2);
    return stride === 8 ? sameOut(quarter, 2) : quarter;
  };
  const outputSize = (hh: number, ww: number): [number, number] => [down(hh), down(ww)];
  return assembleModel(name, store, classes, trunk, outputSize, 'he');
}

/** Multiply-accumulates of one forward (trunk + head) for an h x w image and `classes` outputs, for GMAC/s figures. */
export function deeplabLiteMacs(h: number, w: number, stride: LiteStride, classes: number): number {
  const s = (n: number, k: number) => Math.ceil(n / k);
  const { width: c } = liteShape(stride);
  const p2 = s(h, 2) * s(w, 2),
    p4 = s(h, 4) * s(w, 4),
    po = s(h, stride) * s(w, stride);
  return (
    p2 * 9 * 3 * 24 +
    p4 * 9 * 24 * 48 +
    2 * p4 * 9 * 48 * 48 +
    po * 9 * 48 * c +
    6 * po * 9 * c * c +
    LITE_ASPP_RATES.length * po * 9 * c * classes +
    po * classes * (classes - 1)
  );
}
