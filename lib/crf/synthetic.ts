// Synthetic CRF inputs for tests and benchmarks: a smooth image made of coloured regions and a
// noisy, low-resolution-then-upsampled softmax over labels, like a segmentation network's output.

import type { RgbImage } from '../types.ts';

export interface SyntheticScene {
  image: RgbImage;
  /** true label per pixel, [H, W] */
  truth: Uint8Array;
  /** noisy class probabilities, [H, W, L] */
  prob: Float32Array;
  labels: number;
}

/** Deterministic uniform [0, 1) generator (32-bit LCG followed by an xorshift), seeded. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    let t = s ^ (s >>> 15);
    t = Math.imul(t, 0x2c1b3c6d) >>> 0;
    return ((t ^ (t >>> 12)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample from a uniform generator (Box-Muller). */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * `regions` ellipses of distinct colours (label 1..) over a background gradient (label 0), with
 * pixel noise; the unary is the truth's one-hot times `confidence`, plus Gaussian noise of
 * `noise`, computed on a grid `stride` times coarser and bilinearly upsampled, then softmaxed.
 */
export function syntheticScene(opts: {
  width: number;
  height: number;
  labels: number;
  regions: number;
  seed: number;
  stride?: number;
  confidence?: number;
  noise?: number;
  pixelNoise?: number;
}): SyntheticScene {
  const { width: w, height: h, labels: L, regions, seed } = opts;
  const stride = opts.stride ?? 8;
  const confidence = opts.confidence ?? 2;
  const noise = opts.noise ?? 1.5;
  const pixelNoise = opts.pixelNoise ?? 6;
  const rand = seededRandom(seed);
  const n = w * h;

  const truth = new Uint8Array(n);
  const data = new Uint8Array(n * 3);
  const shapes = Array.from({ length: regions }, (_, i) => ({
    cx: rand() * w,
    cy: rand() * h,
    rx: (0.1 + 0.25 * rand()) * w,
    ry: (0.1 + 0.25 * rand()) * h,
    label: 1 + (i % Math.max(1, L - 1)),
    rgb: [40 + rand() * 180, 40 + rand() * 180, 40 + rand() * 180],
  }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let rgb = [100 + (80 * x) / w, 120 + (60 * y) / h, 140];
      let label = 0;
      for (const s of shapes) {
        const dx = (x - s.cx) / s.rx;
        const dy = (y - s.cy) / s.ry;
        if (dx * dx + dy * dy <= 1) {
          label = s.label;
          rgb = s.rgb;
        }
      }
      truth[i] = label;
      for (let c = 0; c < 3; c++) {
        data[i * 3 + c] = Math.max(0, Math.min(255, Math.round(rgb[c] + pixelNoise * gaussian(rand))));
      }
    }
  }

  const prob = noisyUnary(truth, w, h, L, { stride, confidence, noise, rand });
  return { image: { width: w, height: h, data }, truth, prob, labels: L };
}

/**
 * Class probabilities [H, W, L] that look like an upsampled network output for the label map
 * `truth` (values >= L, e.g. void, count as label 0): one-hot times `confidence` plus Gaussian
 * noise of `noise`, sampled every `stride` pixels, bilinearly upsampled, softmaxed.
 */
export function noisyUnary(
  truth: Uint8Array,
  w: number,
  h: number,
  L: number,
  opts: { stride: number; confidence: number; noise: number; rand: () => number },
): Float32Array {
  const { stride, confidence, noise, rand } = opts;
  const gw = Math.ceil(w / stride) + 1;
  const gh = Math.ceil(h / stride) + 1;
  const coarse = new Float32Array(gw * gh * L);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      let t = truth[Math.min(h - 1, gy * stride) * w + Math.min(w - 1, gx * stride)];
      if (t >= L) t = 0;
      for (let l = 0; l < L; l++) coarse[(gy * gw + gx) * L + l] = (l === t ? confidence : 0) + noise * gaussian(rand);
    }
  }
  const prob = new Float32Array(w * h * L);
  const row = new Float64Array(L);
  for (let y = 0; y < h; y++) {
    const fy = y / stride;
    const y0 = Math.floor(fy);
    const ay = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = x / stride;
      const x0 = Math.floor(fx);
      const ax = fx - x0;
      let mx = -Infinity;
      for (let l = 0; l < L; l++) {
        const v00 = coarse[(y0 * gw + x0) * L + l];
        const v01 = coarse[(y0 * gw + x0 + 1) * L + l];
        const v10 = coarse[((y0 + 1) * gw + x0) * L + l];
        const v11 = coarse[((y0 + 1) * gw + x0 + 1) * L + l];
        const v = (1 - ay) * ((1 - ax) * v00 + ax * v01) + ay * ((1 - ax) * v10 + ax * v11);
        row[l] = v;
        if (v > mx) mx = v;
      }
      let s = 0;
      for (let l = 0; l < L; l++) {
        row[l] = Math.exp(row[l] - mx);
        s += row[l];
      }
      const b = (y * w + x) * L;
      for (let l = 0; l < L; l++) prob[b + l] = row[l] / s;
    }
  }
  return prob;
}
