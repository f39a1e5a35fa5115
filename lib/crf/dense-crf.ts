// Fully connected CRF with Gaussian pairwise terms (Kraehenbuehl and Koltun, NIPS 2011), as the
// DCSP evaluation uses it through pydensecrf's DenseCRF2D: unary -log p, a position kernel and a
// bilateral (position + RGB) kernel, both with Potts compatibility, diagonal kernels and symmetric
// normalisation, mean-field inference on permutohedral lattices.
//
// Update rule, per iteration and pixel i (as the reference implementation computes it):
//   Q_i(l) = softmax_l( -U_i(l) + sum_k w_k * n_k(i) * alpha * sum_j K_k(i,j) n_k(j) Q_j(l) )
// where n_k = 1/sqrt(K_k 1) is the symmetric normalisation (K_k including its alpha) and the Potts
// constant part cancels in the softmax. Q starts as softmax(-U).
//
// The hot loop is fused: one pass over pixels slices both lattices, takes the softmax and splats
// the new Q straight into the next iteration's lattice buffers, so Q is never stored between
// iterations. The normalisation, alpha and the Potts weight are folded into per-pixel splat and
// slice weights once per image. That loop runs as generated WebAssembly SIMD (wasm-mean-field.ts)
// or, with engine 'js', as the plain JavaScript below; the lattices are built in JavaScript.

import type { RgbImage } from '../types.ts';
import { blurDirection, buildLattice, latticeFilter, type Lattice } from './permutohedral.ts';
import { expNonPositive, logFloat32Bits } from './fast-math.ts';
import { meanFieldWasm, wasmSimdAvailable, type KernelSetup } from './wasm-mean-field.ts';

export interface CrfParams {
  /** mean-field iterations */
  iterations: number;
  /** position kernel standard deviation, pixels */
  posSxy: number;
  /** position kernel Potts weight (0 disables the kernel) */
  posWeight: number;
  /** bilateral kernel spatial standard deviation, pixels */
  bilSxy: number;
  /** bilateral kernel colour standard deviation, 0..255 intensity units */
  bilSrgb: number;
  /** bilateral kernel Potts weight (0 disables the kernel) */
  bilWeight: number;
  /** probabilities are clamped to at least this before -log, so that log(0) cannot occur */
  minProb: number;
}

/** DCSP's values (utils.dense_crf as evaluate.py calls it; docs/method.md §9). */
export const DEFAULT_CRF_PARAMS: Readonly<CrfParams> = Object.freeze({
  iterations: 10,
  posSxy: 3,
  posWeight: 3,
  bilSxy: 49,
  bilSrgb: 5,
  bilWeight: 4,
  minProb: 1e-8,
});

/** Which mean-field loop runs: generated WebAssembly SIMD (default when the runtime has it) or JS. */
export type CrfEngine = 'wasm' | 'js';

let simd: boolean | undefined;
function defaultEngine(): CrfEngine {
  simd ??= wasmSimdAvailable();
  return simd ? 'wasm' : 'js';
}

/**
 * Posterior marginals of the dense CRF.
 * @param prob class probabilities laid out [H, W, L] (HWC, label fastest; what a NHWC softmax
 *   gives). Use `chwToHwc` for [L, H, W] input. Rows need not sum to 1.
 * @returns Q laid out [H, W, L], each pixel's row summing to 1.
 */
export function denseCrf(
  image: RgbImage,
  prob: Float32Array,
  labels: number,
  params: Partial<CrfParams> = {},
  engine: CrfEngine = defaultEngine(),
): Float32Array {
  const p = resolveParams(params);
  const { width: w, height: h } = image;
  const n = w * h;
  checkInputs(image, prob, labels);

  const setups: KernelSetup[] = [];
  if (p.bilWeight !== 0) setups.push(setupKernel(bilateralFeatures(image, p.bilSxy, p.bilSrgb), n, 5, p.bilWeight));
  if (p.posWeight !== 0) setups.push(setupKernel(positionFeatures(w, h, p.posSxy), n, 2, p.posWeight));
  if (engine === 'wasm') return meanFieldWasm(prob, p.minProb, n, labels, setups, p.iterations);
  if (engine !== 'js') throw new Error(`unknown CRF engine '${String(engine)}' (expected 'wasm' or 'js')`);
  const unary = unaryFromProb(prob, p.minProb);
  const q = new Float32Array(n * labels);
  meanField(
    unary,
    n,
    labels,
    setups.map((k) => jsKernel(k, labels)),
    p.iterations,
    q,
  );
  return q;
}

/** U = -log(max(p, minProb)); NaN or infinite probabilities are an error naming the index. */
export function unaryFromProb(prob: Float32Array, minProb: number): Float32Array {
  const unary = new Float32Array(prob.length);
  const bits = new Int32Array(prob.buffer, prob.byteOffset, prob.length);
  const floor = -Math.log(minProb);
  for (let i = 0; i < prob.length; i++) {
    const v = prob[i];
    if (v >= minProb && v < Infinity) unary[i] = -logFloat32Bits(bits[i]);
    else if (v < minProb && v > -Infinity) unary[i] = floor;
    else throw new Error(`CRF probability at flat index ${i} is ${v}`);
  }
  return unary;
}

/** Argmax labels of the CRF posterior, [H, W]. */
export function crfLabels(image: RgbImage, prob: Float32Array, labels: number, params: Partial<CrfParams> = {}, engine?: CrfEngine): Uint8Array {
  return argmaxLabels(denseCrf(image, prob, labels, params, engine), labels);
}

/** Per-pixel argmax of an [N, L] array (first maximum wins on ties). */
export function argmaxLabels(q: Float32Array, labels: number): Uint8Array {
  if (labels > 256) throw new Error(`argmaxLabels: ${labels} labels do not fit in a Uint8Array`);
  const n = q.length / labels;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const b = i * labels;
    let best = 0;
    let bv = q[b];
    for (let k = 1; k < labels; k++) {
      if (q[b + k] > bv) {
        bv = q[b + k];
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Converts [L, H*W] (label-major, pydensecrf's layout) to [H*W, L]. */
export function chwToHwc(chw: Float32Array, labels: number): Float32Array {
  const n = chw.length / labels;
  if (!Number.isInteger(n)) throw new Error(`chwToHwc: length ${chw.length} is not a multiple of ${labels} labels`);
  const out = new Float32Array(chw.length);
  for (let k = 0; k < labels; k++) {
    const b = k * n;
    for (let i = 0; i < n; i++) out[i * labels + k] = chw[b + i];
  }
  return out;
}

export function resolveParams(params: Partial<CrfParams>): CrfParams {
  const p: CrfParams = { ...DEFAULT_CRF_PARAMS, ...params };
  if (!Number.isInteger(p.iterations) || p.iterations < 0) throw new Error(`CRF iterations must be an integer >= 0, got ${p.iterations}`);
  for (const k of ['posSxy', 'bilSxy', 'bilSrgb'] as const) {
    if (!(p[k] > 0) || !Number.isFinite(p[k])) throw new Error(`CRF ${k} must be a positive number, got ${p[k]}`);
  }
  for (const k of ['posWeight', 'bilWeight'] as const) {
    if (!Number.isFinite(p[k])) throw new Error(`CRF ${k} must be finite, got ${p[k]}`);
  }
  // a float32 normal number, so that its logarithm can be taken from its bits
  if (!(p.minProb >= 1e-30 && p.minProb < 1)) throw new Error(`CRF minProb must be in [1e-30, 1), got ${p.minProb}`);
  return p;
}

function checkInputs(image: RgbImage, prob: Float32Array, labels: number): void {
  const { width: w, height: h } = image;
  if (!Number.isInteger(labels) || labels < 1) throw new Error(`CRF needs a positive integer label count, got ${labels}`);
  if (image.data.length !== w * h * 3) {
    throw new Error(`CRF image data has ${image.data.length} bytes, expected ${w}x${h}x3 = ${w * h * 3}`);
  }
  if (prob.length !== w * h * labels) {
    throw new Error(`CRF probabilities have ${prob.length} values, expected ${h}x${w}x${labels} = ${w * h * labels}`);
  }
}

/** [N, 2] features (x/sxy, y/sxy). */
export function positionFeatures(width: number, height: number, sxy: number): Float32Array {
  const f = new Float32Array(width * height * 2);
  const inv = 1 / sxy;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 2) {
      f[i] = x * inv;
      f[i + 1] = y * inv;
    }
  }
  return f;
}

/** [N, 5] features (x/sxy, y/sxy, r/srgb, g/srgb, b/srgb). */
export function bilateralFeatures(image: RgbImage, sxy: number, srgb: number): Float32Array {
  const { width, height, data } = image;
  const f = new Float32Array(width * height * 5);
  const is = 1 / sxy;
  const ic = 1 / srgb;
  for (let y = 0, i = 0, c = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 5, c += 3) {
      f[i] = x * is;
      f[i + 1] = y * is;
      f[i + 2] = data[c] * ic;
      f[i + 3] = data[c + 1] * ic;
      f[i + 4] = data[c + 2] * ic;
    }
  }
  return f;
}

/** One Gaussian pairwise term, ready for the fused loop. */
interface PairwiseKernel {
  lat: Lattice;
  /** d + 1: simplex corners per pixel */
  corners: number;
  /** [n][corners] vertex index * labels: row offsets into the value buffers */
  rows: Int32Array;
  /** [n][corners] barycentric weight * normalisation */
  splatW: Float32Array;
  /** [n][corners] barycentric weight * normalisation * alpha * Potts weight */
  sliceW: Float32Array;
  /** two (m+1) x labels buffers, ping-ponged by the blur; row m stays zero */
  bufA: Float32Array;
  bufB: Float32Array;
}

function setupKernel(features: Float32Array, n: number, d: number, potts: number): KernelSetup {
  const lat = buildLattice(features, n, d);
  const norm = latticeFilter(lat, new Float32Array(n).fill(1), 1);
  for (let i = 0; i < n; i++) norm[i] = 1 / Math.sqrt(norm[i] + 1e-20);
  return { lat, norm, potts };
}

function jsKernel(setup: KernelSetup, labels: number): PairwiseKernel {
  const { lat, norm, potts } = setup;
  const n = lat.n;
  const corners = lat.d + 1;
  const rows = new Int32Array(n * corners);
  const splatW = new Float32Array(n * corners);
  const sliceW = new Float32Array(n * corners);
  for (let i = 0; i < n; i++) {
    const s = norm[i];
    for (let r = 0; r < corners; r++) {
      const c = i * corners + r;
      rows[c] = lat.vertex[c] * labels;
      splatW[c] = lat.weight[c] * s;
      sliceW[c] = lat.weight[c] * s * lat.alpha * potts;
    }
  }
  const size = (lat.m + 1) * labels;
  return { lat, corners, rows, splatW, sliceW, bufA: new Float32Array(size), bufB: new Float32Array(size) };
}

function meanField(unary: Float32Array, n: number, labels: number, kernels: PairwiseKernel[], iterations: number, q: Float32Array): void {
  const L = labels;
  const logits = new Float64Array(L);
  const nk = kernels.length;
  // splatInto[k]: buffer receiving this pass's splat; it becomes the blur's source.
  const splatInto = kernels.map((k) => k.bufA);

  const passes = nk === 0 ? 0 : iterations;
  for (let p = 0; p < n; p++) {
    const ub = p * L;
    for (let l = 0; l < L; l++) logits[l] = -unary[ub + l];
    softmaxInPlace(logits, L);
    if (passes === 0) {
      for (let l = 0; l < L; l++) q[ub + l] = logits[l];
      continue;
    }
    for (let k = 0; k < nk; k++) splat(kernels[k], splatInto[k], p, logits, L);
  }

  const blurred: Float32Array[] = new Array<Float32Array>(nk);
  for (let it = 0; it < passes; it++) {
    const last = it === passes - 1;
    for (let k = 0; k < nk; k++) {
      const ker = kernels[k];
      let src = splatInto[k];
      let dst = src === ker.bufA ? ker.bufB : ker.bufA;
      for (let j = 0; j < ker.corners; j++) {
        blurDirection(ker.lat, j, src, dst, L);
        const t = src;
        src = dst;
        dst = t;
      }
      blurred[k] = src;
      splatInto[k] = dst;
      if (!last) dst.fill(0, 0, ker.lat.m * L);
    }
    for (let p = 0; p < n; p++) {
      const ub = p * L;
      for (let l = 0; l < L; l++) logits[l] = -unary[ub + l];
      for (let k = 0; k < nk; k++) slice(kernels[k], blurred[k], p, logits, L);
      softmaxInPlace(logits, L);
      if (last) {
        for (let l = 0; l < L; l++) q[ub + l] = logits[l];
      } else {
        for (let k = 0; k < nk; k++) splat(kernels[k], splatInto[k], p, logits, L);
      }
    }
  }
}

function softmaxInPlace(x: Float64Array, L: number): void {
  let mx = x[0];
  for (let l = 1; l < L; l++) if (x[l] > mx) mx = x[l];
  let s = 0;
  for (let l = 0; l < L; l++) {
    const e = expNonPositive(x[l] - mx);
    x[l] = e;
    s += e;
  }
  const inv = 1 / s;
  for (let l = 0; l < L; l++) x[l] *= inv;
}

// The corner loops are unrolled for the two lattice sizes the CRF uses (position d=2, bilateral
// d=5): V8 then keeps the row offsets and weights in registers and streams each label row once.

function slice(ker: PairwiseKernel, vals: Float32Array, p: number, acc: Float64Array, L: number): void {
  const c = ker.corners;
  const b = p * c;
  const rows = ker.rows;
  const w = ker.sliceW;
  if (c === 6) {
    const o0 = rows[b],
      o1 = rows[b + 1],
      o2 = rows[b + 2],
      o3 = rows[b + 3],
      o4 = rows[b + 4],
      o5 = rows[b + 5];
    const w0 = w[b],
      w1 = w[b + 1],
      w2 = w[b + 2],
      w3 = w[b + 3],
      w4 = w[b + 4],
      w5 = w[b + 5];
    for (let l = 0; l < L; l++) {
      acc[l] += w0 * vals[o0 + l] + w1 * vals[o1 + l] + w2 * vals[o2 + l] + w3 * vals[o3 + l] + w4 * vals[o4 + l] + w5 * vals[o5 + l];
    }
  } else if (c === 3) {
    const o0 = rows[b],
      o1 = rows[b + 1],
      o2 = rows[b + 2];
    const w0 = w[b],
      w1 = w[b + 1],
      w2 = w[b + 2];
    for (let l = 0; l < L; l++) acc[l] += w0 * vals[o0 + l] + w1 * vals[o1 + l] + w2 * vals[o2 + l];
  } else {
    for (let r = 0; r < c; r++) {
      const o = rows[b + r];
      const wr = w[b + r];
      for (let l = 0; l < L; l++) acc[l] += wr * vals[o + l];
    }
  }
}

function splat(ker: PairwiseKernel, vals: Float32Array, p: number, qp: Float64Array, L: number): void {
  const c = ker.corners;
  const b = p * c;
  const rows = ker.rows;
  const w = ker.splatW;
  if (c === 6) {
    const o0 = rows[b],
      o1 = rows[b + 1],
      o2 = rows[b + 2],
      o3 = rows[b + 3],
      o4 = rows[b + 4],
      o5 = rows[b + 5];
    const w0 = w[b],
      w1 = w[b + 1],
      w2 = w[b + 2],
      w3 = w[b + 3],
      w4 = w[b + 4],
      w5 = w[b + 5];
    for (let l = 0; l < L; l++) {
      const v = qp[l];
      vals[o0 + l] += w0 * v;
      vals[o1 + l] += w1 * v;
      vals[o2 + l] += w2 * v;
      vals[o3 + l] += w3 * v;
      vals[o4 + l] += w4 * v;
      vals[o5 + l] += w5 * v;
    }
  } else if (c === 3) {
    const o0 = rows[b],
      o1 = rows[b + 1],
      o2 = rows[b + 2];
    const w0 = w[b],
      w1 = w[b + 1],
      w2 = w[b + 2];
    for (let l = 0; l < L; l++) {
      const v = qp[l];
      vals[o0 + l] += w0 * v;
      vals[o1 + l] += w1 * v;
      vals[o2 + l] += w2 * v;
    }
  } else {
    for (let r = 0; r < c; r++) {
      const o = rows[b + r];
      const wr = w[b + r];
      for (let l = 0; l < L; l++) vals[o + l] += wr * qp[l];
    }
  }
}
