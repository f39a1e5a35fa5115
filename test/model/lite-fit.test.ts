// deeplab-lite must be able to fit a small fixed batch under the FCAN objective (eq. 1, scope all,
// from scratch): the classification loss ends well below the constant-prior loss of that batch.
// Guards against changes to the model, init or optimiser plumbing that stall training.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../lib/model/build.ts';
import { toNetworkInput } from '../../lib/model/preprocess.ts';
import { trainLoop } from '../../lib/model/train-loop.ts';
import { useTestBackend } from '../tensor/test-backend.ts';
import { Prng } from '../../lib/tensor/random.ts';
import { VOC_CLASSES } from '../../lib/types.ts';

const SIZE = 32;
const N = 8;

beforeAll(async () => {
  await useTestBackend();
});

/** N seeded noise images, each with 1-2 of classes 1..6 */
function fixedBatch(): { images: Float32Array[]; classes: number[][] } {
  const rng = new Prng(77);
  const images: Float32Array[] = [];
  const classes: number[][] = [];
  for (let i = 0; i < N; i++) {
    const data = Uint8Array.from({ length: SIZE * SIZE * 3 }, () => Math.floor(rng.next() * 256));
    images.push(toNetworkInput({ width: SIZE, height: SIZE, data }));
    const a = 1 + (i % 6);
    classes.push(i % 3 === 0 ? [a, 1 + ((a + 2) % 6)] : [a]);
  }
  return { images, classes };
}

/** sigmoid cross-entropy of the best constant predictor (per-class frequency), mean over N x 20 */
function priorLoss(classes: number[][]): number {
  let sum = 0;
  for (let c = 1; c <= 20; c++) {
    const p = classes.filter((l) => l.includes(c)).length / classes.length;
    if (p > 0 && p < 1) sum += -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  }
  return sum / 20;
}

describe('deeplab-lite optimisation', () => {
  it('fits a fixed batch well below the constant-prior loss', async () => {
    const { images, classes } = fixedBatch();
    const prior = priorLoss(classes);
    const model = buildModel('deeplab-lite', { classes: VOC_CLASSES.length, seed: 5 });
    try {
      const { curve } = await trainLoop({
        model,
        objective: 'fcan',
        scope: 'all',
        iterations: 60,
        batch: N,
        crop: SIZE,
        lr: 0.01,
        sampler: (_it, slot) => ({ image: images[slot], cue: null, classes: classes[slot] }),
      });
      const tail = curve.slice(-5).reduce((s, p) => s + p.clsLoss, 0) / 5;
      expect(curve[0].clsLoss).toBeGreaterThan(prior);
      expect(tail).toBeLessThan(0.35 * prior);
    } finally {
      model.dispose();
    }
  }, 60_000);
});
