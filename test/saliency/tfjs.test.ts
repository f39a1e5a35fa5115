import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDetector, fileSystemHandler } from '../../lib/saliency/index.ts';
import type { RgbImage } from '../../lib/types.ts';
import { mulberry32 } from './synthetic.ts';

const W = 10;
const H = 8;
let dir: string;

function makeImage(w: number, h: number, seed: number): RgbImage {
  const r = mulberry32(seed);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { width: w, height: h, data };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'saliency-tfjs-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tfjs detector', () => {
  it('saves a layers model with the fs handler and runs it back through the detector (cpu and wasm)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [H, W, 3],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.conv2d({
          filters: 1,
          kernelSize: 1,
          activation: 'sigmoid',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
          biasInitializer: 'ones',
        }),
      ],
    });
    const path = join(dir, 'layers');
    await model.save(fileSystemHandler(path));
    expect((await readdir(path)).sort()).toEqual(['model.json', 'weights.bin']);

    const img = makeImage(W, H, 11);
    const mean: [number, number, number] = [0.5, 0.4, 0.3];
    // the reference: the in-memory model on the same normalised input
    const x = new Float32Array(W * H * 3);
    for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) x[i * 3 + c] = img.data[i * 3 + c] / 255 - mean[c];
    const yT = model.predict(tf.tensor4d(x, [1, H, W, 3])) as tf.Tensor;
    const want = await yT.data();
    yT.dispose();

    const det = await createDetector({ kind: 'tfjs', path, backend: 'cpu', scale: 'unit', mean });
    try {
      const map = await det.detect(img);
      expect([map.width, map.height]).toEqual([W, H]);
      let maxErr = 0;
      for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(want[i] - map.data[i]));
      expect(maxErr).toBeLessThan(1e-5);
      expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.01);
      // any image size: resized to the model's input (read from the model) and back
      const big = await det.detect(makeImage(33, 21, 12));
      expect([big.width, big.height]).toEqual([33, 21]);
    } finally {
      await det.dispose();
    }
    // the same saved model on the wasm backend gives the same map
    const wasm = await createDetector({ kind: 'tfjs', path, backend: 'wasm', scale: 'unit', mean });
    try {
      expect(tf.getBackend()).toBe('wasm');
      const map = await wasm.detect(img);
      let maxErr = 0;
      for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(want[i] - map.data[i]));
      expect(maxErr).toBeLessThan(1e-4);
    } finally {
      await wasm.dispose();
      model.dispose();
    }
  });

  it('reports a missing model folder clearly', async () => {
    await expect(createDetector({ kind: 'tfjs', path: join(dir, 'nothing-here'), format: 'layers', backend: 'cpu' })).rejects.toThrow(/cannot read tfjs model/);
  });
});
