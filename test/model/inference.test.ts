// Multi-scale inference: TF1 legacy resizes, max fusion at the scale-1 output size, attention
// maps of the present classes, adapt labels, softmax probabilities.

import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../lib/model/build.ts';
import { adaptImage, attentionMaps, multiScaleTensor, predict } from '../../lib/model/inference.ts';
import type { SegmentationModel } from '../../lib/model/model.ts';
import { toNetworkInput } from '../../lib/model/preprocess.ts';
import { resizeBilinearTf1 } from '../../lib/model/resample.ts';
import { useTestBackend } from '../tensor/test-backend.ts';
import { Prng } from '../../lib/tensor/random.ts';
import type { RgbImage } from '../../lib/types.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

let model: SegmentationModel;
const rng = new Prng(12);
const image: RgbImage = { width: 45, height: 37, data: new Uint8Array(45 * 37 * 3).map(() => Math.floor(rng.next() * 256)) };

beforeAll(async () => {
  await useTestBackend();
  model = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 8 });
  // larger head weights so class maps differ visibly
  const w = model.params.get('fc1_voc12_d0/weights')!.variable;
  w.assign(tf.mul(w, 100));
});
afterAll(() => model.dispose());

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('resampling', () => {
  it("tf.image.resizeBilinear without corner alignment / half-pixel centres is TF1's legacy rule", () => {
    const src = new Float32Array(7 * 9 * 2).map(() => rng.normal());
    const ours = resizeBilinearTf1(src, 7, 9, 2, 5, 13);
    const theirs = tf.image.resizeBilinear(tf.tensor3d(src, [7, 9, 2]), [5, 13], false, false).dataSync();
    expect(maxAbs(ours, theirs)).toBeLessThan(1e-5);
  });
});

describe('multi-scale fusion', () => {
  it('is the element-wise max of each scale resized to the scale-1 output size', () => {
    const fused = multiScaleTensor(model, image, [1, 0.5], 'logits');
    const [oh, ow] = model.outputSize(37, 45);
    expect(fused.shape).toEqual([oh, ow, 21]);
    const x = toNetworkInput(image);
    const y1 = model.segLogits(tf.tensor4d(x, [1, 37, 45, 3]));
    const half = resizeBilinearTf1(x, 37, 45, 3, 18, 22);
    const y2 = model.segLogits(tf.tensor4d(half, [1, 18, 22, 3]));
    const y2up = tf.image.resizeBilinear(y2, [oh, ow], false, false);
    const want = tf.maximum(y1, y2up).dataSync();
    expect(maxAbs(fused.dataSync(), want)).toBeLessThan(1e-3);
    tf.dispose([fused, y1, y2, y2up]);
  });
});

describe('attentionMaps / adaptImage / predict', () => {
  it('returns uint8 maps of the present classes only, ascending, each reaching 255', async () => {
    const before = tf.memory().numTensors;
    const a = await attentionMaps(model, image, [12, 3], [1, 0.75, 0.5]);
    expect(tf.memory().numTensors).toBe(before);
    expect(a.classes).toEqual([3, 12]);
    expect(a.maps.length).toBe(2 * 45 * 37);
    const n = 45 * 37;
    for (let k = 0; k < 2; k++) {
      const m = a.maps.subarray(k * n, (k + 1) * n);
      expect(Math.max(...m)).toBe(255);
      expect(Math.min(...m)).toBe(0);
    }
    expect(a.maps.subarray(0, n)).not.toEqual(a.maps.subarray(n));
  });

  it('adapt labels stay within background + present classes', async () => {
    const labels = await adaptImage(model, image, [2, 19], { scales: [1, 0.75, 0.5], masking: 'exclude' });
    expect(labels.length).toBe(45 * 37);
    for (const v of labels) expect([0, 2, 19]).toContain(v);
  });

  it('predict gives softmax probabilities at image size in HWC or CHW', async () => {
    const p = await predict(model, image, [1, 0.75, 0.5]);
    expect(p.data.length).toBe(21 * 45 * 37);
    for (let i = 0; i < 45 * 37; i += 97) {
      let s = 0;
      for (let c = 0; c < 21; c++) s += p.data[i * 21 + c];
      expect(s).toBeCloseTo(1, 4);
    }
    const chw = await predict(model, image, [1, 0.75, 0.5], 'chw');
    const n = 45 * 37;
    expect(chw.data[5 * n + 100]).toBeCloseTo(p.data[100 * 21 + 5], 6);
  });
});
