// Batched multi-scale inference (lib/model/inference-batch.ts) against inference.ts one image at a
// time: equal-size images share one forward pass per scale, and each image's output must be what
// it is alone up to float32 rounding (1e-5 of the largest magnitude: tfjs-node's Eigen tiles a batch
// otherwise, 1.3e-7 measured), the uint8 outputs (attention maps, cues, labels) equal; a batch gives
// the same bytes every time it is computed, which is what a key naming the batch relies on. The
// batches themselves are cut by lib/tensor/batches.ts, within each backend's pixel budget, on
// every backend (CI runs this file on wasm and on tfjs-node).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../lib/model/build.ts';
import { adaptImage, attentionMaps, multiScaleLogits, predict } from '../../lib/model/inference.ts';
import { adaptImages, attentionMapsBatch, multiScaleLogitsBatch, predictBatch } from '../../lib/model/inference-batch.ts';
import type { SegmentationModel } from '../../lib/model/model.ts';
import { segmentImage, segmentImages } from '../../lib/predict/segment.ts';
import { Prng } from '../../lib/tensor/random.ts';
import { batchPixelsOn, CPU_BATCH_PIXELS, GPU_BATCH_PIXELS, sizeGroups } from '../../lib/tensor/batches.ts';
import type { RgbImage } from '../../lib/types.ts';
import { VOC_CLASSES } from '../../lib/types.ts';
import { useTestBackend } from '../tensor/test-backend.ts';

const rng = new Prng(31);
const noise = (width: number, height: number): RgbImage => ({
  width,
  height,
  data: new Uint8Array(width * height * 3).map(() => Math.floor(rng.next() * 256)),
});
// three of one size, one of another in between: groups and order both matter
const images = [noise(45, 37), noise(45, 37), noise(40, 33), noise(45, 37)];
const classes = [[3], [7, 12], [1], [20, 4]];
const SCALES = [1, 0.75, 0.5];

let model: SegmentationModel;
beforeAll(async () => {
  await useTestBackend();
  model = buildModel('deeplab-lite-os4', { classes: VOC_CLASSES.length, seed: 3 });
  // larger head weights so the class maps differ visibly
  const w = model.params.get('fc1_voc12_d0/weights')!.variable;
  w.assign(tf.mul(w, 100));
});
afterAll(() => model.dispose());

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0,
    scale = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return m / scale;
}

describe('batched inference', () => {
  it('groups equal sizes, in order of first appearance, within a pixel budget', () => {
    expect(sizeGroups(images)).toEqual([[0, 1, 3], [2]]);
    expect(sizeGroups(images, 2 * 45 * 37)).toEqual([[0, 1], [3], [2]]);
    // an image over the budget is a pass of its own
    expect(sizeGroups(images, 10)).toEqual([[0], [1], [3], [2]]);
    // and no pass holds more images than a stage's chunk
    expect(sizeGroups(images, Number.POSITIVE_INFINITY, 2)).toEqual([[0, 1], [3], [2]]);
    expect(
      sizeGroups(
        [
          { width: 500, height: 375 },
          { width: 500, height: 375 },
        ],
        CPU_BATCH_PIXELS,
      ),
    ).toEqual([[0], [1]]);
    expect(
      sizeGroups(
        Array.from({ length: 8 }, () => ({ width: 96, height: 96 })),
        CPU_BATCH_PIXELS,
      ),
    ).toHaveLength(1);
  });

  it('gives each image the logits and attention volume it has alone', async () => {
    for (const head of ['logits', 'attention'] as const) {
      const batch = await multiScaleLogitsBatch(model, images, SCALES, head, Number.POSITIVE_INFINITY);
      for (let i = 0; i < images.length; i++) {
        const one = await multiScaleLogits(model, images[i], SCALES, head);
        expect([batch[i].width, batch[i].height, batch[i].channels]).toEqual([one.width, one.height, one.channels]);
        expect(relDiff(batch[i].data, one.data)).toBeLessThan(1e-5);
      }
    }
  });

  it('gives equal attention maps, cues, probabilities and predictions', async () => {
    const items = images.map((image, i) => ({ image, classes: classes[i] }));
    const maps = await attentionMapsBatch(model, items, SCALES);
    const cues = await adaptImages(model, items, { scales: SCALES, masking: 'exclude' });
    const probs = await predictBatch(model, images, SCALES, 'chw');
    const settings = { scales: SCALES, crf: true, crfParams: { iterations: 2 } };
    const preds = await segmentImages(model, images, VOC_CLASSES.length, settings);
    for (let i = 0; i < images.length; i++) {
      const a = await attentionMaps(model, images[i], classes[i], SCALES);
      expect(maps[i].classes).toEqual(a.classes);
      expect(Buffer.from(maps[i].maps).equals(Buffer.from(a.maps))).toBe(true);
      const cue = await adaptImage(model, images[i], classes[i], { scales: SCALES, masking: 'exclude' });
      expect(Buffer.from(cues[i]).equals(Buffer.from(cue))).toBe(true);
      expect(relDiff(probs[i].data, (await predict(model, images[i], SCALES, 'chw')).data)).toBeLessThan(1e-5);
      const pred = await segmentImage(model, images[i], VOC_CLASSES.length, settings);
      expect(Buffer.from(preds[i]).equals(Buffer.from(pred))).toBe(true);
    }
  });

  it('batches on every backend, within the budget of the backend a key names', () => {
    for (const b of ['wasm', 'cpu', 'tfjs-node']) expect(batchPixelsOn(b)).toBe(CPU_BATCH_PIXELS);
    expect(batchPixelsOn('tfjs-node-gpu')).toBe(GPU_BATCH_PIXELS);
    // a stage without numerics, or a backend nobody measured: one image a pass
    expect(batchPixelsOn(undefined)).toBe(0);
    expect(batchPixelsOn('webgl')).toBe(0);
    expect(sizeGroups(images, batchPixelsOn('tfjs-node'), 8)).toEqual([[0, 1, 3], [2]]);
    expect(sizeGroups(images, batchPixelsOn(undefined), 8)).toEqual([[0], [1], [3], [2]]);
    // VOC's 500x375 go in batches of five on a GPU, one a pass on a CPU
    const voc = Array.from({ length: 7 }, () => ({ width: 500, height: 375 }));
    expect(sizeGroups(voc, batchPixelsOn('tfjs-node-gpu'), 8).map((g) => g.length)).toEqual([5, 2]);
    expect(sizeGroups(voc, batchPixelsOn('tfjs-node'), 8).map((g) => g.length)).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('gives a batch the same bytes every time', async () => {
    const group = [images[0], images[1], images[3]];
    const a = await multiScaleLogitsBatch(model, group, SCALES);
    const b = await multiScaleLogitsBatch(model, group, SCALES);
    const bytes = (d: Float32Array): Buffer => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    for (let i = 0; i < group.length; i++) expect(bytes(a[i].data).equals(bytes(b[i].data))).toBe(true);
  });

  it('keeps no tensors', async () => {
    const before = tf.memory().numTensors;
    await predictBatch(model, images, SCALES);
    await attentionMapsBatch(
      model,
      images.map((image, i) => ({ image, classes: classes[i] })),
      SCALES,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
