// Built-in salient-object detector with no weights: boundary connectivity and saliency optimisation
// (Zhu, Liang, Wei, Sun, "Saliency Optimization from Robust Background Detection", CVPR 2014),
// written from the paper's equations. See README.md for the method, deviations and licence notes.
//
// Outline (per image, at a reduced working resolution):
//   SLIC superpixels -> region graph (adjacent regions, plus all border regions linked to each other)
//   -> geodesic colour distances -> boundary connectivity -> background probability
//   -> background-weighted contrast (foreground cue) -> quadratic optimisation over the graph
//   -> per-pixel map, resampled (bicubic) to the image size.

import type { MapF32, RgbImage } from '../types.ts';
import { rgbToLab } from './colour.ts';
import { colourDistances, dijkstra, regionStats, toCsr } from './graph.ts';
import { fitWithin, resampleInterleaved, resizeMap } from './resample.ts';
import { slic } from './slic.ts';

export interface BoundaryParams {
  /** longer side of the working resolution (the map is computed there and upsampled) */
  maxSide: number;
  /** SLIC: target superpixel count, compactness, iterations */
  segments: number;
  compactness: number;
  slicIterations: number;
  /** colour similarity scale in Lab units (paper: 10) */
  sigmaColor: number;
  /** boundary connectivity scale (paper: 1) */
  sigmaBndCon: number;
  /** spatial scale of the contrast term, in units of the longer side (paper: 0.25) */
  sigmaSpatial: number;
  /** constant added to the smoothness weight of adjacent regions (paper: 0.1) */
  smoothMu: number;
  /** weight of the smoothness term in the optimisation */
  smoothWeight: number;
  /**
   * Geodesic edge weights below this (Lab units) count as 0: a texture's small colour steps then do
   * not add up into a long geodesic distance, so textured background stays connected to the border.
   */
  edgeClip: number;
  /**
   * Multiply the contrast cue by (1 - gateContrast * background probability): with 1, a region well
   * connected to the border gets no foreground pull however much it contrasts; 0 is the paper's
   * plain contrast. An addition to the paper for backgrounds made of several large, differently
   * coloured parts (they contrast with each other but all touch the border).
   */
  gateContrast: number;
  /** each border region is linked to this many most similar border regions (0: none; the paper: all) */
  borderLinks: number;
  /**
   * Output scaling. 'max': divide by the map's maximum (the most salient region reaches 1, as a
   * CNN detector's sigmoid output roughly does); 'none': the optimiser's value as is (in [0, 1]).
   */
  normalize: 'max' | 'none';
  /** a map whose maximum is below this is left unscaled by 'max' (nothing salient: stay low) */
  minPeak: number;
}

export const DEFAULT_BOUNDARY_PARAMS: BoundaryParams = {
  maxSide: 160,
  segments: 200,
  compactness: 20,
  slicIterations: 4,
  sigmaColor: 10,
  sigmaBndCon: 1,
  sigmaSpatial: 0.25,
  smoothMu: 0.1,
  smoothWeight: 1,
  edgeClip: 3,
  borderLinks: 4,
  gateContrast: 0.5,
  normalize: 'max',
  minPeak: 0.25,
};

/** Intermediate per-region quantities, exposed for tests and debugging pictures. */
export interface BoundaryDebug {
  regions: number;
  labels: Int32Array;
  width: number;
  height: number;
  bndCon: Float32Array;
  bgProb: Float32Array;
  contrast: Float32Array;
  saliency: Float32Array;
}

export function boundarySaliency(img: RgbImage, params: Partial<BoundaryParams> = {}, debug?: (d: BoundaryDebug) => void): MapF32 {
  const p = { ...DEFAULT_BOUNDARY_PARAMS, ...params };
  const { width: w, height: h } = fitWithin(img.width, img.height, p.maxSide);
  const small = resampleInterleaved(img.data, img.width, img.height, 3, w, h, 'triangle');
  const lab = rgbToLab(small, w * h);
  const sp = slic(lab, w, h, { segments: p.segments, compactness: p.compactness, iterations: p.slicIterations });
  const st = regionStats(sp, lab);
  const k = st.count;
  const dApp = colourDistances(st);

  // Graph for geodesic distances: adjacent regions, plus links between border regions (the paper
  // links every pair of border regions, treating the border as one connected background). A full
  // clique makes the shortest-path step ~7x slower, so each border region links only to its
  // `borderLinks` most similar border regions; similar-coloured stretches of border stay cheap to reach.
  const borderEdge = borderLinkMatrix(k, st.onBorder, dApp, p.borderLinks);
  const clip = p.edgeClip;
  const g = toCsr(k, (i, j) => {
    if (st.adjacent[i * k + j] || borderEdge[i * k + j]) {
      const d = dApp[i * k + j];
      return d > clip ? d - clip : 0;
    }
    return undefined;
  });

  const twoSigC2 = 2 * p.sigmaColor * p.sigmaColor;
  const cutoff = p.sigmaColor * 4;
  const geo = new Float64Array(k);
  const heapCap = g.targets.length + k + 1;
  const heapNodes = new Int32Array(heapCap);
  const heapKeys = new Float64Array(heapCap);
  const bndCon = new Float32Array(k);
  const bgProb = new Float32Array(k);
  const twoSigB2 = 2 * p.sigmaBndCon * p.sigmaBndCon;
  for (let i = 0; i < k; i++) {
    dijkstra(g, i, cutoff, geo, heapNodes, heapKeys);
    let area = 0;
    let len = 0;
    for (let j = 0; j < k; j++) {
      const d = geo[j];
      if (d === Infinity) continue;
      const s = Math.exp(-(d * d) / twoSigC2);
      area += s;
      if (st.onBorder[j]) len += s;
    }
    const bc = len / Math.sqrt(area);
    bndCon[i] = bc;
    bgProb[i] = 1 - Math.exp(-(bc * bc) / twoSigB2);
  }

  // Background-weighted contrast: contrast to nearby regions that look like background.
  const twoSigS2 = 2 * p.sigmaSpatial * p.sigmaSpatial;
  const contrast = new Float32Array(k);
  let cMin = Infinity;
  let cMax = -Infinity;
  for (let i = 0; i < k; i++) {
    let acc = 0;
    for (let j = 0; j < k; j++) {
      if (j === i) continue;
      const dx = st.x[i] - st.x[j];
      const dy = st.y[i] - st.y[j];
      acc += dApp[i * k + j] * Math.exp(-(dx * dx + dy * dy) / twoSigS2) * bgProb[j];
    }
    contrast[i] = acc;
    if (acc < cMin) cMin = acc;
    if (acc > cMax) cMax = acc;
  }
  const cRange = cMax - cMin;
  const fgWeight = new Float32Array(k);
  for (let i = 0; i < k; i++) {
    const c = cRange > 1e-6 ? (contrast[i] - cMin) / cRange : 0;
    fgWeight[i] = c * (1 - p.gateContrast * bgProb[i]);
  }

  const s = optimiseSaliency(k, st.adjacent, dApp, bgProb, fgWeight, p);

  let peak = 0;
  for (let i = 0; i < k; i++) if (s[i] > peak) peak = s[i];
  const scale = p.normalize === 'max' && peak >= p.minPeak ? 1 / peak : 1;
  const small1 = new Float32Array(w * h);
  for (let q = 0; q < w * h; q++) {
    const v = s[sp.labels[q]] * scale;
    small1[q] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  debug?.({ regions: k, labels: sp.labels, width: w, height: h, bndCon, bgProb, contrast: fgWeight, saliency: s });
  return resizeMap({ width: w, height: h, data: small1 }, img.width, img.height, 'cubic');
}

/** Symmetric k x k mask linking each border region to its `links` nearest border regions in colour. */
function borderLinkMatrix(k: number, onBorder: Uint8Array, dApp: Float32Array, links: number): Uint8Array {
  const m = new Uint8Array(k * k);
  const border: number[] = [];
  for (let i = 0; i < k; i++) if (onBorder[i]) border.push(i);
  if (links >= border.length - 1) {
    for (const i of border) for (const j of border) if (i !== j) m[i * k + j] = 1;
    return m;
  }
  for (const i of border) {
    const near = border.filter((j) => j !== i).sort((u, v) => dApp[i * k + u] - dApp[i * k + v]);
    for (let n = 0; n < links; n++) {
      const j = near[n];
      m[i * k + j] = m[j * k + i] = 1;
    }
  }
  return m;
}

/**
 * Minimise  sum_i bg_i s_i^2 + sum_i fg_i (s_i - 1)^2 + lambda sum_{i~j} w_ij (s_i - s_j)^2
 * over adjacent pairs, i.e. solve (diag(bg + fg) + lambda L) s = fg with L the weighted graph
 * Laplacian. The matrix is symmetric, diagonally dominant and positive definite (when any bg/fg
 * weight is positive), so Jacobi-preconditioned conjugate gradients converges quickly; s stays in [0, 1].
 */
function optimiseSaliency(k: number, adjacent: Uint8Array, dApp: Float32Array, bg: Float32Array, fg: Float32Array, p: BoundaryParams): Float32Array {
  const twoSigC2 = 2 * p.sigmaColor * p.sigmaColor;
  const g = toCsr(k, (i, j) => (adjacent[i * k + j] ? p.smoothWeight * (Math.exp(-(dApp[i * k + j] ** 2) / twoSigC2) + p.smoothMu) : undefined));
  const diag = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let d = bg[i] + fg[i] + 1e-6;
    for (let e = g.offsets[i]; e < g.offsets[i + 1]; e++) d += g.weights[e];
    diag[i] = d;
  }
  const mul = (v: Float64Array, out: Float64Array): void => {
    for (let i = 0; i < k; i++) {
      let acc = diag[i] * v[i];
      for (let e = g.offsets[i]; e < g.offsets[i + 1]; e++) acc -= g.weights[e] * v[g.targets[e]];
      out[i] = acc;
    }
  };
  const x = new Float64Array(k);
  const r = new Float64Array(k);
  const z = new Float64Array(k);
  const d = new Float64Array(k);
  const q = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    x[i] = fg[i] / diag[i];
  }
  mul(x, q);
  let bNorm = 0;
  for (let i = 0; i < k; i++) {
    r[i] = fg[i] - q[i];
    z[i] = r[i] / diag[i];
    d[i] = z[i];
    bNorm += fg[i] * fg[i];
  }
  let rz = 0;
  for (let i = 0; i < k; i++) rz += r[i] * z[i];
  const tol2 = 1e-12 * Math.max(bNorm, 1e-12);
  for (let it = 0; it < 4 * k; it++) {
    let rr = 0;
    for (let i = 0; i < k; i++) rr += r[i] * r[i];
    if (rr <= tol2) break;
    mul(d, q);
    let dq = 0;
    for (let i = 0; i < k; i++) dq += d[i] * q[i];
    if (dq <= 0) break;
    const alpha = rz / dq;
    for (let i = 0; i < k; i++) {
      x[i] += alpha * d[i];
      r[i] -= alpha * q[i];
      z[i] = r[i] / diag[i];
    }
    let rzNew = 0;
    for (let i = 0; i < k; i++) rzNew += r[i] * z[i];
    const beta = rzNew / rz;
    rz = rzNew;
    for (let i = 0; i < k; i++) d[i] = z[i] + beta * d[i];
  }
  const out = new Float32Array(k);
  for (let i = 0; i < k; i++) out[i] = x[i] < 0 ? 0 : x[i] > 1 ? 1 : x[i];
  return out;
}
