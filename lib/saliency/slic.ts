// SLIC superpixels (Achanta et al., TPAMI 2012) on a Lab image, followed by connectivity enforcement
// so that every superpixel is one 4-connected region (the boundary detector's graph relies on it).

import type { LabPlanes } from './colour.ts';

export interface SlicOptions {
  /** target number of superpixels */
  segments: number;
  /** weight of spatial distance against Lab distance (the paper's m; 10..40 typical) */
  compactness: number;
  iterations: number;
}

export interface Superpixels {
  /** superpixel id per pixel, 0..count-1 */
  labels: Int32Array;
  count: number;
  width: number;
  height: number;
}

export function slic(lab: LabPlanes, width: number, height: number, opts: SlicOptions): Superpixels {
  const n = width * height;
  const { L, a, b } = lab;
  const step = Math.max(2, Math.sqrt(n / Math.max(1, opts.segments)));
  const nx = Math.max(1, Math.round(width / step));
  const ny = Math.max(1, Math.round(height / step));
  const k = nx * ny;
  const cL = new Float32Array(k);
  const cA = new Float32Array(k);
  const cB = new Float32Array(k);
  const cX = new Float32Array(k);
  const cY = new Float32Array(k);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const c = j * nx + i;
      const x = Math.min(width - 1, Math.floor(((i + 0.5) * width) / nx));
      const y = Math.min(height - 1, Math.floor(((j + 0.5) * height) / ny));
      const p = y * width + x;
      cL[c] = L[p];
      cA[c] = a[p];
      cB[c] = b[p];
      cX[c] = x;
      cY[c] = y;
    }
  }
  const labels = new Int32Array(n).fill(-1);
  const dist = new Float32Array(n);
  const spatialW = (opts.compactness / step) ** 2;
  const sL = new Float64Array(k);
  const sA = new Float64Array(k);
  const sB = new Float64Array(k);
  const sX = new Float64Array(k);
  const sY = new Float64Array(k);
  const cnt = new Int32Array(k);
  const win = Math.ceil(step);
  for (let it = 0; it < opts.iterations; it++) {
    dist.fill(Infinity);
    for (let c = 0; c < k; c++) {
      const x0 = Math.max(0, Math.floor(cX[c] - win));
      const x1 = Math.min(width - 1, Math.ceil(cX[c] + win));
      const y0 = Math.max(0, Math.floor(cY[c] - win));
      const y1 = Math.min(height - 1, Math.ceil(cY[c] + win));
      const l0 = cL[c];
      const a0 = cA[c];
      const b0 = cB[c];
      const px = cX[c];
      const py = cY[c];
      for (let y = y0; y <= y1; y++) {
        const dy = y - py;
        const dy2 = dy * dy;
        let p = y * width + x0;
        for (let x = x0; x <= x1; x++, p++) {
          const dl = L[p] - l0;
          const da = a[p] - a0;
          const db = b[p] - b0;
          const dx = x - px;
          const d = dl * dl + da * da + db * db + (dx * dx + dy2) * spatialW;
          if (d < dist[p]) {
            dist[p] = d;
            labels[p] = c;
          }
        }
      }
    }
    sL.fill(0);
    sA.fill(0);
    sB.fill(0);
    sX.fill(0);
    sY.fill(0);
    cnt.fill(0);
    for (let y = 0, p = 0; y < height; y++) {
      for (let x = 0; x < width; x++, p++) {
        const c = labels[p];
        if (c < 0) continue;
        sL[c] += L[p];
        sA[c] += a[p];
        sB[c] += b[p];
        sX[c] += x;
        sY[c] += y;
        cnt[c]++;
      }
    }
    for (let c = 0; c < k; c++) {
      const m = cnt[c];
      if (m === 0) continue;
      cL[c] = sL[c] / m;
      cA[c] = sA[c] / m;
      cB[c] = sB[c] / m;
      cX[c] = sX[c] / m;
      cY[c] = sY[c] / m;
    }
  }
  return enforceConnectivity(labels, width, height, Math.max(1, Math.floor((step * step) / 4)));
}

/**
 * Relabel 4-connected components; a component smaller than `minSize` joins the component adjacent to
 * its first pixel in scan order (SLIC's usual rule), so the output has no fragments.
 */
export function enforceConnectivity(labels: Int32Array, width: number, height: number, minSize: number): Superpixels {
  const n = width * height;
  const out = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let next = 0;
  for (let start = 0; start < n; start++) {
    if (out[start] >= 0) continue;
    const orig = labels[start];
    // neighbour label to merge into if this component is too small
    let adjacent = -1;
    const sx = start % width;
    const sy = (start - sx) / width;
    if (sx > 0 && out[start - 1] >= 0) adjacent = out[start - 1];
    else if (sy > 0 && out[start - width] >= 0) adjacent = out[start - width];
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    out[start] = next;
    while (head < tail) {
      const p = queue[head++];
      const x = p % width;
      if (x > 0) {
        const q = p - 1;
        if (out[q] < 0 && labels[q] === orig) {
          out[q] = next;
          queue[tail++] = q;
        }
      }
      if (x < width - 1) {
        const q = p + 1;
        if (out[q] < 0 && labels[q] === orig) {
          out[q] = next;
          queue[tail++] = q;
        }
      }
      if (p >= width) {
        const q = p - width;
        if (out[q] < 0 && labels[q] === orig) {
          out[q] = next;
          queue[tail++] = q;
        }
      }
      if (p < n - width) {
        const q = p + width;
        if (out[q] < 0 && labels[q] === orig) {
          out[q] = next;
          queue[tail++] = q;
        }
      }
    }
    if (tail < minSize && adjacent >= 0) {
      for (let i = 0; i < tail; i++) out[queue[i]] = adjacent;
    } else {
      next++;
    }
  }
  return { labels: out, count: next, width, height };
}
