import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import {
  argmaxLabels,
  bilateralFeatures,
  chwToHwc,
  crfLabels,
  DEFAULT_CRF_PARAMS,
  denseCrf,
  positionFeatures,
  type CrfParams,
} from '../../lib/crf/dense-crf.ts';
import { releaseCrfMemory } from '../../lib/crf/wasm-mean-field.ts';
import { gaussian, noisyUnary, seededRandom, syntheticScene } from '../../lib/crf/synthetic.ts';
import type { RgbImage } from '../../lib/types.ts';
import { exactGaussianKernel } from './exact-kernel.ts';
import { VOC_PHOTO_DIR } from '../fixtures/voc-photo.ts';

/** Mean-field with exact O(N^2) Gaussian kernels and the update rule of dense-crf.ts, in float64. */
function exactMeanField(image: RgbImage, prob: Float32Array, L: number, p: CrfParams): Float64Array {
  const { width: w, height: h } = image;
  const n = w * h;
  const kernels = (
    [
      [bilateralFeatures(image, p.bilSxy, p.bilSrgb), 5, p.bilWeight],
      [positionFeatures(w, h, p.posSxy), 2, p.posWeight],
    ] as const
  ).map(([f, d, weight]) => ({ ...exactGaussianKernel(f, n, d), weight }));
  const unary = Float64Array.from(prob, (v) => -Math.log(Math.max(v, p.minProb)));
  const softmax = (x: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let l = 0; l < L; l++) mx = Math.max(mx, x[i * L + l]);
      let s = 0;
      for (let l = 0; l < L; l++) s += x[i * L + l] = Math.exp(x[i * L + l] - mx);
      for (let l = 0; l < L; l++) x[i * L + l] /= s;
    }
    return x;
  };
  let q = softmax(unary.map((u) => -u));
  for (let it = 0; it < p.iterations; it++) {
    const x = unary.map((u) => -u);
    for (const k of kernels) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const c = k.weight * k.norm[i] * k.K[i * n + j] * k.norm[j];
          for (let l = 0; l < L; l++) x[i * L + l] += c * q[j * L + l];
        }
      }
    }
    q = softmax(x);
  }
  return q;
}

function compare(q: Float32Array, e: Float64Array, L: number) {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < q.length; i++) {
    const d = Math.abs(q[i] - e[i]);
    max = Math.max(max, d);
    sum += d;
  }
  const a = argmaxLabels(q, L);
  const b = argmaxLabels(Float32Array.from(e), L);
  let agree = 0;
  for (let i = 0; i < a.length; i++) agree += a[i] === b[i] ? 1 : 0;
  return { max, mean: sum / q.length, agree: agree / a.length };
}

function accuracy(labels: Uint8Array, truth: Uint8Array, mask?: (i: number) => boolean): number {
  let ok = 0;
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    if (mask && !mask(i)) continue;
    count++;
    if (labels[i] === truth[i]) ok++;
  }
  return ok / count;
}

describe('denseCrf', () => {
  it('uses the DCSP parameters by default', () => {
    expect(DEFAULT_CRF_PARAMS).toMatchObject({ iterations: 10, posSxy: 3, posWeight: 3, bilSxy: 49, bilSrgb: 5, bilWeight: 4 });
  });

  // 20x16 images, 3 labels, seeds 1..3. Measured against exact kernels: with a smooth colour
  // kernel (srgb 20) max |dQ| <= 0.022, mean 0.0004, every label equal; with DCSP's srgb 5 on
  // noisy colours a few near-tied pixels flip: mean |dQ| <= 0.012, labels agree >= 98.7%.
  it('matches exact dense mean-field on a tiny image (smooth colour kernel)', () => {
    const params = { ...DEFAULT_CRF_PARAMS, bilSxy: 8, bilSrgb: 20 };
    for (const seed of [1, 2, 3]) {
      const s = syntheticScene({ width: 20, height: 16, labels: 3, regions: 2, seed, stride: 4, noise: 1.2, confidence: 1 });
      for (const engine of ['wasm', 'js'] as const) {
        const c = compare(denseCrf(s.image, s.prob, 3, params, engine), exactMeanField(s.image, s.prob, 3, params), 3);
        expect(c.max).toBeLessThan(0.05);
        expect(c.mean).toBeLessThan(0.001);
        expect(c.agree).toBe(1);
      }
    }
  });

  it('matches exact dense mean-field on a tiny image (DCSP parameters)', () => {
    for (const seed of [1, 2, 3]) {
      const s = syntheticScene({ width: 20, height: 16, labels: 3, regions: 2, seed, stride: 4, noise: 1.2, confidence: 1 });
      const c = compare(denseCrf(s.image, s.prob, 3), exactMeanField(s.image, s.prob, 3, DEFAULT_CRF_PARAMS), 3);
      expect(c.mean).toBeLessThan(0.025);
      expect(c.agree).toBeGreaterThan(0.97);
    }
  });

  it('gives the same marginals from the WebAssembly and JavaScript engines', () => {
    const s = syntheticScene({ width: 61, height: 47, labels: 6, regions: 4, seed: 11 });
    const a = denseCrf(s.image, s.prob, 6, {}, 'wasm');
    const b = denseCrf(s.image, s.prob, 6, {}, 'js');
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
    expect(max).toBeLessThan(1e-5);
    for (let i = 0; i < 61 * 47; i++) {
      let s6 = 0;
      for (let l = 0; l < 6; l++) s6 += a[i * 6 + l];
      expect(s6).toBeCloseTo(1, 5);
    }
  });

  it('fixes a noisy, blurred unary along the colour edge of a two-region image', () => {
    const w = 80;
    const h = 60;
    const rand = seededRandom(3);
    const truth = new Uint8Array(w * h);
    const data = new Uint8Array(w * h * 3);
    const edge = (y: number) => 35 + 8 * Math.sin(y / 7);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        truth[i] = x >= edge(y) ? 1 : 0;
        const base = truth[i] ? [190, 80, 60] : [60, 110, 170];
        for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.round(base[c] + 4 * gaussian(rand));
      }
    }
    const prob = noisyUnary(truth, w, h, 2, { stride: 8, confidence: 1.5, noise: 1.2, rand });
    const image = { width: w, height: h, data };
    const near = (i: number) => Math.abs((i % w) - edge(Math.floor(i / w))) < 6;
    const before = argmaxLabels(prob, 2);
    const after = crfLabels(image, prob, 2);
    const accBefore = accuracy(before, truth, near);
    const accAfter = accuracy(after, truth, near);
    // measured: band within 6 px of the edge 0.723 -> 0.992, whole image 0.876 -> 0.999
    expect(accBefore).toBeLessThan(0.8);
    expect(accAfter).toBeGreaterThan(0.97);
    expect(accuracy(after, truth)).toBeGreaterThan(0.99);
  });

  it('improves a coarse unary on the real VOC photo 2007_000129', async () => {
    const dir = new URL(`file://${VOC_PHOTO_DIR}`);
    const img = await sharp(new URL('2007_000129.jpg', dir).pathname).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const lab = await sharp(new URL('2007_000129.png', dir).pathname).raw().toBuffer({ resolveWithObject: true });
    const { width: w, height: h } = img.info;
    const gt = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) gt[i] = lab.data[i * lab.info.channels];
    const image = { width: w, height: h, data: new Uint8Array(img.data) };
    // a stride-8 unary from the label map (like a DeepLab output upsampled), badly corrupted
    const prob = noisyUnary(gt, w, h, 21, { stride: 8, confidence: 2, noise: 1.5, rand: seededRandom(1) });
    const valid = (i: number) => gt[i] !== 255;
    const accBefore = accuracy(argmaxLabels(prob, 21), gt, valid);
    const accAfter = accuracy(crfLabels(image, prob, 21), gt, valid);
    // measured on non-void pixels: 0.524 -> 0.942
    expect(accBefore).toBeLessThan(0.6);
    expect(accAfter).toBeGreaterThan(0.9);
  });

  it('gives identical results whether or not the per-thread memory is reused', () => {
    const big = syntheticScene({ width: 70, height: 50, labels: 7, regions: 4, seed: 21 });
    const small = syntheticScene({ width: 33, height: 29, labels: 7, regions: 3, seed: 22 });
    releaseCrfMemory();
    const fresh = denseCrf(small.image, small.prob, 7, { iterations: 3 }, 'wasm');
    denseCrf(big.image, big.prob, 7, {}, 'wasm');
    const reused = denseCrf(small.image, small.prob, 7, { iterations: 3 }, 'wasm');
    expect(Array.from(reused)).toEqual(Array.from(fresh));
  });

  it('returns the normalised probabilities with no iterations or no pairwise terms', () => {
    const s = syntheticScene({ width: 9, height: 7, labels: 4, regions: 2, seed: 2 });
    const doubled = s.prob.map((v) => 2 * v);
    for (const params of [{ iterations: 0 }, { posWeight: 0, bilWeight: 0 }]) {
      for (const engine of ['wasm', 'js'] as const) {
        const q = denseCrf(s.image, doubled, 4, params, engine);
        for (let i = 0; i < q.length; i++) expect(q[i]).toBeCloseTo(s.prob[i], 5);
      }
    }
  });

  it('accepts [L, H, W] input through chwToHwc', () => {
    const s = syntheticScene({ width: 8, height: 5, labels: 3, regions: 1, seed: 4 });
    const chw = new Float32Array(s.prob.length);
    for (let i = 0; i < 40; i++) for (let l = 0; l < 3; l++) chw[l * 40 + i] = s.prob[i * 3 + l];
    expect(Array.from(chwToHwc(chw, 3))).toEqual(Array.from(s.prob));
  });

  it('rejects bad inputs with messages that say what is wrong', () => {
    const s = syntheticScene({ width: 8, height: 5, labels: 3, regions: 1, seed: 4 });
    expect(() => denseCrf(s.image, s.prob.subarray(1), 3)).toThrow(/119 values, expected 5x8x3 = 120/);
    expect(() => denseCrf({ ...s.image, data: s.image.data.subarray(3) }, s.prob, 3)).toThrow(/117 bytes, expected 8x5x3/);
    const bad = s.prob.slice();
    bad[7] = NaN;
    for (const engine of ['wasm', 'js'] as const) {
      expect(() => denseCrf(s.image, bad, 3, {}, engine)).toThrow(/flat index 7 is NaN/);
      const inf = s.prob.slice();
      inf[100] = -Infinity;
      expect(() => denseCrf(s.image, inf, 3, {}, engine)).toThrow(/flat index 100 is -Infinity/);
    }
    // zero and negative probabilities are clamped, not errors
    const zero = s.prob.slice();
    zero[5] = 0;
    zero[6] = -0.5;
    expect(argmaxLabels(denseCrf(s.image, zero, 3), 3)).toHaveLength(40);
    expect(() => denseCrf(s.image, s.prob, 3, { iterations: -1 })).toThrow(/iterations/);
    expect(() => denseCrf(s.image, s.prob, 3, { bilSrgb: 0 })).toThrow(/bilSrgb/);
  });
});
