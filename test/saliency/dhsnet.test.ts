// DHSNet: the five supervised maps' shapes on odd input sizes, the deep-supervision loss on cases
// worked by hand, and loading weights: a saved checkpoint, and converted weights without metadata.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDhsnet, dhsnetConfig, stepSizes, type DhsnetConfig } from '../../lib/saliency/dhsnet-model.ts';
import { deepSupervisionLoss, halveMap, targetPyramid } from '../../lib/saliency/dhsnet-loss.ts';
import { createDhsnetDetector, dhsnetParamNames, loadDhsnet } from '../../lib/saliency/dhsnet.ts';
import { initBackend } from '../../lib/tensor/backend.ts';
import { saveCheckpoint } from '../../lib/tensor/checkpoint.ts';

let dir: string;
beforeAll(async () => {
  await initBackend({ prefer: 'wasm', log: () => {} });
  dir = await mkdtemp(join(tmpdir(), 'dhsnet-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ODD: DhsnetConfig = dhsnetConfig('dhsnet-lite', [45, 37]);

describe('DHSNet model', () => {
  it('gives S_G and four refinement maps at the encoder resolutions, odd sizes included', () => {
    // 45 -> 23 -> 12 -> 6 -> 3 and 37 -> 19 -> 10 -> 5 -> 3 (2x2 'same' pools round up)
    expect(stepSizes(ODD)).toEqual([
      [6, 5],
      [6, 5],
      [12, 10],
      [23, 19],
      [45, 37],
    ]);
    const model = buildDhsnet(ODD, 3);
    try {
      const x = tf.randomNormal([2, 45, 37, 3], 0, 50, 'float32', 1) as tf.Tensor4D;
      const maps = model.forward(x);
      expect(maps.map((m) => m.shape)).toEqual([
        [2, 6, 5, 1],
        [2, 6, 5, 1],
        [2, 12, 10, 1],
        [2, 23, 19, 1],
        [2, 45, 37, 1],
      ]);
      const p = model.predict(x);
      expect(p.shape).toEqual([2, 45, 37, 1]);
      const v = p.dataSync();
      expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...v)).toBeLessThanOrEqual(1);
      tf.dispose([x, p, ...maps]);
      expect(() => model.forward(tf.zeros([1, 44, 37, 3]))).toThrow(/45x37/);
    } finally {
      model.dispose();
    }
  });

  it('the full model has the paper sizes: 28x28 from a 14x14x512 conv5_3 through one dense layer', () => {
    const cfg = dhsnetConfig('dhsnet');
    expect(stepSizes(cfg)).toEqual([
      [28, 28],
      [28, 28],
      [56, 56],
      [112, 112],
      [224, 224],
    ]);
    const names = dhsnetParamNames({ ...cfg, inputSize: [32, 32] });
    // 13 VGG16 convs (weights + biases), the dense layer, 4 RCL steps of 4 layers (recurrent without bias)
    expect(names.filter((n) => n.name.startsWith('conv'))).toHaveLength(26);
    expect(names.find((n) => n.name === 'conv5_3/weights')?.shape).toEqual([3, 3, 512, 512]);
    expect(names.find((n) => n.name === 'fc_global/weights')?.shape).toEqual([1, 1, 2 * 2 * 512, 4 * 4]);
    expect(names.find((n) => n.name === 'rcl1_squeeze/weights')?.shape).toEqual([1, 1, 512, 64]);
    expect(names.find((n) => n.name === 'rcl4_feed/weights')?.shape).toEqual([3, 3, 65, 64]);
    expect(names.find((n) => n.name === 'rcl4_out/weights')?.shape).toEqual([1, 1, 64, 1]);
    expect(names).toHaveLength(26 + 2 + 4 * 7);
  });
});

describe('deep supervision loss', () => {
  it('halves masks by box averages over the pixels that exist', () => {
    const m = Float32Array.from([1, 1, 0, 1, 0, 0, 0, 0, 1]);
    const h = halveMap(m, 3, 3);
    expect([h.height, h.width]).toEqual([2, 2]);
    expect(Array.from(h.data)).toEqual([0.75, 0, 0, 1]);
  });

  it('is the sum over maps of the mean per-pixel binary cross-entropy', () => {
    const mask = Uint8Array.from([1, 1, 0, 1, 0, 0, 0, 0, 1]);
    const targets = targetPyramid([mask], 3, 3, [
      [2, 2],
      [3, 3],
    ]);
    expect(Array.from(targets[0].dataSync())).toEqual([0.75, 0, 0, 1]);
    // logits 0 everywhere: ln 2 per pixel whatever the target, so 2 ln 2 over two maps
    const zeros = [tf.zeros([1, 2, 2, 1]) as tf.Tensor4D, tf.zeros([1, 3, 3, 1]) as tf.Tensor4D];
    expect(deepSupervisionLoss(zeros, targets).dataSync()[0]).toBeCloseTo(2 * Math.LN2, 6);
    // logit 2 on the coarse map: BCE(2, y) = log(1 + e^2) - 2 y; mean over y = .75, 0, 0, 1
    const two = [tf.fill([1, 2, 2, 1], 2) as tf.Tensor4D, zeros[1]];
    const coarse = (4 * Math.log1p(Math.exp(2)) - 2 * (0.75 + 1)) / 4;
    expect(deepSupervisionLoss(two, targets).dataSync()[0]).toBeCloseTo(coarse + Math.LN2, 5);
    expect(() => deepSupervisionLoss([zeros[1], zeros[1]], targets)).toThrow(/map 0/);
    tf.dispose([...targets, ...zeros, two[0]]);
  });
});

describe('dhsnet weights', () => {
  const cfg = dhsnetConfig('dhsnet-lite', [32, 32]);
  const img = { width: 50, height: 40, data: Uint8Array.from({ length: 50 * 40 * 3 }, (_, i) => (i * 37) % 256) };

  it('a checkpoint carries its configuration; the detector gives the model’s map at the image size', async () => {
    const model = buildDhsnet(cfg, 5);
    const ck = join(dir, 'ck');
    await saveCheckpoint(ck, { weights: model.weights(), iteration: 1, extra: { config: { dhsnet: cfg } } });
    const loaded = await loadDhsnet({ weights: ck });
    const x = tf.randomNormal([1, 32, 32, 3], 0, 40, 'float32', 2) as tf.Tensor4D;
    expect(Array.from(loaded.predict(x).dataSync())).toEqual(Array.from(model.predict(x).dataSync()));
    const det = await createDhsnetDetector({ kind: 'dhsnet', weights: ck });
    const map = await det.detect(img);
    expect([map.width, map.height]).toEqual([50, 40]);
    await det.dispose();
    loaded.dispose();
    model.dispose();
  });

  it('converted weights without metadata need the variant and size, and every tensor by name', async () => {
    const model = buildDhsnet(cfg, 6);
    const bare = join(dir, 'bare');
    const weights = model.weights();
    await saveCheckpoint(bare, { weights, iteration: 0 });
    await expect(loadDhsnet({ weights: bare })).rejects.toThrow(/set variant/);
    const ok = await loadDhsnet({ weights: bare, variant: 'dhsnet-lite', inputSize: [32, 32] });
    ok.dispose();
    const partial = join(dir, 'partial');
    const { 'rcl4_out/weights': _dropped, ...rest } = weights;
    await saveCheckpoint(partial, { weights: rest, iteration: 0 });
    await expect(loadDhsnet({ weights: partial, variant: 'dhsnet-lite', inputSize: [32, 32] })).rejects.toThrow(/no weight 'rcl4_out\/weights'/);
    model.dispose();
  });
});
