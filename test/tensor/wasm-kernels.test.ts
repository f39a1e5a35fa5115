// The kernels registered for wasm, and the claim that a model-like graph now differentiates on wasm:
// each checked against the cpu backend (tfjs's reference kernels) or float64 sums. The gradient
// checks run on the test backend (wasm, or DCSP_BACKEND's: test-backend.ts), so CI holds
// tfjs-node's native kernels to the same references.
// Relative error = max|a - b| / max(max|b|, 1e-6); bound 1e-4.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/tensor/backend.ts';
import { atrousConv2d } from '../../lib/tensor/atrous.ts';
import { seededNormalArray, seededUniformArray } from '../../lib/tensor/random.ts';
import { WASM_TRAINING_KERNELS, originalWasmKernel } from '../../lib/tensor/wasm-kernels.ts';
import { relError } from './reference-conv.ts';
import { TEST_BACKEND } from './test-backend.ts';

const TOL = 1e-4;
const quiet = { log: () => {} };

/** Run f on the cpu and the test backend with the same input arrays; return both outputs' values. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; tested: Float32Array[] }> {
  const out: Record<string, Float32Array[]> = {};
  for (const b of ['cpu', TEST_BACKEND] as const) {
    const info = await initBackend({ prefer: b, ...quiet });
    expect(info.name).toBe(b);
    const r = tf.tidy(f);
    const list = Array.isArray(r) ? r : [r];
    out[b] = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose(list);
  }
  return { cpu: out.cpu, tested: out[TEST_BACKEND] };
}

function expectClose(a: Float32Array[], b: Float32Array[]): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(relError(a[i], b[i])).toBeLessThan(TOL);
}

describe('wasm training kernels', () => {
  it('registers the kernels gradients need', async () => {
    await initBackend({ prefer: 'wasm', ...quiet });
    for (const k of WASM_TRAINING_KERNELS) expect(tf.getKernel(k, 'wasm')).toBeDefined();
    expect(WASM_TRAINING_KERNELS).toContain('Conv2DBackpropFilter');
  });

  it.each([
    { shape: [2, 8, 8, 3], k: 2, s: 2, pad: 'same' },
    { shape: [3, 9, 7, 4], k: 3, s: 2, pad: 'same' },
    { shape: [2, 9, 7, 2], k: 3, s: 1, pad: 'valid' },
    { shape: [2, 7, 9, 3], k: 2, s: 2, pad: 'valid' },
  ] as const)('MaxPoolGrad %j matches cpu, ties included', async ({ shape, k, s, pad }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    // Half the inputs relu'd to exactly 0 so windows have ties: the first maximum must win.
    const xa = seededNormalArray(n, 1, 1).map((v) => Math.max(0, v));
    const ra = seededNormalArray(n * 4, 1, 2);
    const r = await onBoth(() =>
      tf.grad((x: tf.Tensor) => {
        const y = tf.maxPool(x as tf.Tensor4D, k, s, pad);
        return tf.sum(tf.mul(y, tf.tensor(ra.subarray(0, y.size), y.shape)));
      })(tf.tensor4d(xa, [...shape])),
    );
    expectClose(r.tested, r.cpu);
  });

  it('the MaxPoolGrad tfjs-backend-wasm 4.22 ships drops gradients (why we replace it)', async () => {
    await initBackend({ prefer: 'wasm', ...quiet });
    const orig = originalWasmKernel('MaxPoolGrad');
    expect(orig).toBeDefined();
    const x = tf.tensor4d(seededNormalArray(2 * 6 * 6 * 3, 1, 1), [2, 6, 6, 3]);
    const dy = tf.tensor4d(seededNormalArray(2 * 3 * 3 * 3, 1, 2), [2, 3, 3, 3]);
    const inputs = { dy, input: x, output: tf.maxPool(x, 2, 2, 'same') };
    const attrs = { filterSize: 2, strides: 2, pad: 'same' };
    const theirs = orig!.kernelFunc({ inputs, attrs, backend: tf.backend() }) as tf.TensorInfo;
    const ours = tf.engine().runKernel('MaxPoolGrad', inputs, attrs) as tf.Tensor;
    // Every dy value must land somewhere: the sums of dx and dy agree for a correct kernel.
    const sum = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0);
    const dySum = sum(dy.dataSync());
    expect(Math.abs(sum(ours.dataSync()) - dySum)).toBeLessThan(1e-4);
    expect(Math.abs(sum(tf.backend().readSync(theirs.dataId) as Float32Array) - dySum)).toBeGreaterThan(1e-3);
  });

  it.each([
    { from: [2, 5, 7, 3], to: [11, 9], alignCorners: false, halfPixelCenters: false },
    { from: [2, 5, 7, 3], to: [11, 9], alignCorners: true, halfPixelCenters: false },
    { from: [2, 5, 7, 3], to: [11, 13], alignCorners: false, halfPixelCenters: true },
    { from: [1, 9, 6, 2], to: [4, 3], alignCorners: false, halfPixelCenters: true },
  ] as const)('ResizeBilinearGrad %j is the adjoint of the forward, element by element', async (c) => {
    // The forward is linear in x, so dx[k] = <resize(e_k), dy>: build that reference from the cpu
    // forward applied to each unit vector, summed in float64.
    const [b, h, w, ch] = c.from;
    const n = b * h * w * ch;
    const dyLen = b * c.to[0] * c.to[1] * ch;
    const dya = seededNormalArray(dyLen, 1, 5);
    await initBackend({ prefer: 'cpu', ...quiet });
    const ref = new Float64Array(n);
    const basis = tf.tidy(() => tf.reshape(tf.oneHot(tf.range(0, n, 1, 'int32'), n), [n * b, h, w, ch]));
    const images = tf.tidy(() => tf.image.resizeBilinear(basis as tf.Tensor4D, [...c.to], c.alignCorners, c.halfPixelCenters));
    const iv = images.dataSync();
    basis.dispose();
    images.dispose();
    // image k of the batch of n*b basis images is unit vector k of the flattened [b,h,w,ch] input
    const per = c.to[0] * c.to[1] * ch;
    for (let k = 0; k < n; k++) {
      const bb = Math.floor(k / (h * w * ch));
      let acc = 0;
      for (let q = 0; q < per; q++) acc += iv[(k * b + bb) * per + q] * dya[bb * per + q];
      ref[k] = acc;
    }
    await initBackend({ prefer: TEST_BACKEND, ...quiet });
    const x = tf.tensor4d(seededUniformArray(n, -1, 1, 3), [...c.from]);
    const dy = tf.tensor4d(dya, [b, c.to[0], c.to[1], ch]);
    const g = tf.grad((t: tf.Tensor) => tf.image.resizeBilinear(t as tf.Tensor4D, [...c.to], c.alignCorners, c.halfPixelCenters))(x, dy);
    expect(g.shape).toEqual([...c.from]);
    expect(relError(g.dataSync(), ref)).toBeLessThan(TOL);
    tf.dispose([x, dy, g]);
  });

  it('UnsortedSegmentSum (gradient of gather) matches cpu', async () => {
    const xa = seededNormalArray(5 * 4 * 3, 1, 1);
    const ra = seededNormalArray(7 * 4 * 3, 1, 2);
    const r = await onBoth(() =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, tf.tensor1d([4, 0, 0, 2, 4, 4, 1], 'int32')), tf.tensor(ra, [7, 4, 3]))))(
        tf.tensor3d(xa, [5, 4, 3]),
      ),
    );
    expectClose(r.tested, r.cpu);
  });

  it(`AvgPoolGrad with 'same' padding is the adjoint of the forward on ${TEST_BACKEND} (not on cpu or wasm)`, async () => {
    // dx[k] = <avgPool(e_k), dy>, from the backend's own forward on each unit vector, in float64.
    // tfjs 4.22's cpu and wasm kernels divide by the whole window at the borders while their forward
    // divides by the in-image count; no model here average-pools, so this only records it.
    const [h, w, c] = [7, 7, 2];
    const n = h * w * c;
    const dya = seededNormalArray(4 * 4 * c, 1, 4);
    const errors: Record<string, number> = {};
    for (const b of ['cpu', TEST_BACKEND] as const) {
      await initBackend({ prefer: b, ...quiet });
      const err = tf.tidy(() => {
        const basis = tf.cast(tf.reshape(tf.oneHot(tf.range(0, n, 1, 'int32'), n), [n, h, w, c]), 'float32') as tf.Tensor4D;
        const iv = tf.avgPool(basis, 3, 2, 'same').dataSync();
        const per = dya.length;
        const ref = new Float64Array(n);
        for (let k = 0; k < n; k++) {
          let acc = 0;
          for (let q = 0; q < per; q++) acc += iv[k * per + q] * dya[q];
          ref[k] = acc;
        }
        const g = tf.grad((x: tf.Tensor) => tf.avgPool(x as tf.Tensor4D, 3, 2, 'same'))(
          tf.tensor4d(seededNormalArray(n, 1, 1), [1, h, w, c]),
          tf.tensor4d(dya, [1, 4, 4, c]),
        );
        return relError(g.dataSync(), ref);
      });
      errors[b] = err;
    }
    expect(errors.cpu).toBeGreaterThan(0.1);
    if (TEST_BACKEND === 'wasm') expect(errors.wasm).toBeGreaterThan(0.1);
    else expect(errors[TEST_BACKEND]).toBeLessThan(TOL);
  });

  it(`a model-like graph differentiates on ${TEST_BACKEND} and matches cpu`, async () => {
    // conv (stride 2, same), conv (valid), atrous rates 2 and 4, max- and avg-pool, batch-norm-like
    // normalisation, concat, slice, pad, bilinear resize, gather, sigmoid and softmax
    // cross-entropies, mean: every op family the DeepLab/FCAN models use.
    // Square feature maps: the cpu reference ResizeBilinearGrad returns [b, w, h, c] (a tfjs bug).
    const xa = seededNormalArray(2 * 17 * 17 * 3, 1, 1);
    const shapes: Array<[number, number, number, number]> = [
      [3, 3, 3, 8],
      [3, 3, 8, 8],
      [3, 3, 8, 8],
      [3, 3, 16, 8],
      [1, 1, 8, 5],
    ];
    const wa = shapes.map((s, i) =>
      seededNormalArray(
        s.reduce((a, b) => a * b),
        0.3,
        10 + i,
      ),
    );
    const labels = seededUniformArray(2 * 5, 0, 1, 3);
    const r = await onBoth(() => {
      const x = tf.tensor4d(xa, [2, 17, 17, 3]);
      const ws = shapes.map((s, i) => tf.tensor4d(wa[i], s));
      const f = (...args: tf.Tensor[]) => {
        const [w1, w2, w3, w4, w5] = args as tf.Tensor4D[];
        let h = tf.relu(tf.conv2d(x, w1, 2, 'same'));
        const m = tf.moments(h, [0, 1, 2]);
        h = tf.div(tf.sub(h, m.mean), tf.sqrt(tf.add(m.variance, 1e-3)));
        const p1 = tf.maxPool(h, 3, 2, 'same');
        // 'valid': with 'same', tfjs's cpu (and wasm) AvgPoolGrad is not the adjoint of its forward (below)
        const p2 = tf.pad(tf.avgPool(h, 3, 2, 'valid'), [
          [0, 0],
          [0, 1],
          [0, 1],
          [0, 0],
        ]);
        const a1 = tf.relu(atrousConv2d(p1, w2, 2, 'same'));
        const a2 = tf.relu(
          atrousConv2d(
            tf.pad(p2, [
              [0, 0],
              [1, 1],
              [2, 2],
              [0, 0],
            ]),
            w3,
            4,
            'same',
          ),
        );
        const a2c = tf.slice(a2, [0, 1, 2, 0], [-1, a1.shape[1], a1.shape[2], -1]);
        let y = tf.relu(tf.conv2d(tf.concat([a1, a2c], 3), w4, 1, 'valid'));
        // halfPixelCenters off: the cpu reference kernel ignores that flag (checked separately above).
        y = tf.conv2d(tf.image.resizeBilinear(y, [9, 8], false, false), w5, 1, 'same');
        const scores = tf.mean(tf.gather(y, tf.tensor1d([0, 2, 4, 1, 3], 'int32'), 3), [1, 2]);
        return tf.add(
          tf.losses.sigmoidCrossEntropy(tf.tensor2d(labels, [2, 5]), scores),
          tf.losses.softmaxCrossEntropy(tf.oneHot(tf.argMax(y, 3), 5), y),
        ) as tf.Scalar;
      };
      return tf.grads(f)(ws);
    });
    expectClose(r.tested, r.cpu);
  });
});
