// Gradient kernels that are a single pass over typed arrays (NHWC, float32), free of tfjs so they can
// be tested on their own. The wasm kernels hand them views of the wasm heap. The innermost loop runs
// over channels, which are contiguous, so memory is read in order.

/** Geometry of a 2-D pooling window (what computePool2DInfo reports). */
export interface PoolGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  filterH: number;
  filterW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/**
 * dx of max-pooling: each output's gradient goes to the first maximum of its window in row-major
 * window order (strict '>', as tfjs's reference picks it; a window of NaNs passes nothing).
 * dx must be zero-filled; it is accumulated into.
 */
export function maxPoolGradInto(g: PoolGeometry, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const C = g.channels;
  const best = new Float32Array(C);
  const where = new Int32Array(C);
  for (let b = 0; b < g.batch; b++) {
    const xBase = b * g.inH * g.inW * C;
    for (let oy = 0; oy < g.outH; oy++) {
      const y0 = oy * g.strideH - g.padTop;
      const yLo = Math.max(0, y0);
      const yHi = Math.min(g.inH, y0 + g.filterH);
      for (let ox = 0; ox < g.outW; ox++) {
        const x0 = ox * g.strideW - g.padLeft;
        const xLo = Math.max(0, x0);
        const xHi = Math.min(g.inW, x0 + g.filterW);
        best.fill(-Infinity);
        where.fill(-1);
        for (let iy = yLo; iy < yHi; iy++) {
          for (let ix = xLo; ix < xHi; ix++) {
            const p = xBase + (iy * g.inW + ix) * C;
            for (let c = 0; c < C; c++) {
              const v = x[p + c];
              if (v > best[c]) {
                best[c] = v;
                where[c] = p + c;
              }
            }
          }
        }
        const o = ((b * g.outH + oy) * g.outW + ox) * C;
        for (let c = 0; c < C; c++) {
          const w = where[c];
          if (w >= 0) dx[w] += dy[o + c];
        }
      }
    }
  }
}

/** Geometry of a bilinear resize, as tfjs's resizeBilinear defines it. */
export interface ResizeGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** Source taps of one output row/column of tfjs's resizeBilinear: value = lo*(1-frac) + hi*frac. */
export function bilinearTaps(
  outSize: number,
  inSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    const floor = Math.max(0, Math.floor(src));
    lo[o] = floor;
    hi[o] = Math.min(inSize - 1, Math.ceil(src));
    frac[o] = src - floor;
  }
  return { lo, hi, frac };
}

/**
 * dx of tfjs's resizeBilinear (forward: top = a + (b - a)*fx, value = top + (bottom - top)*fy), for
 * both alignCorners and halfPixelCenters. Each dy value is scattered to its four taps. dx must be
 * zero-filled.
 */
export function resizeBilinearGradInto(g: ResizeGeometry, dy: Float32Array, dx: Float32Array): void {
  const C = g.channels;
  const rows = bilinearTaps(g.outH, g.inH, g.alignCorners, g.halfPixelCenters);
  const cols = bilinearTaps(g.outW, g.inW, g.alignCorners, g.halfPixelCenters);
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const base = b * g.inH * g.inW * C;
    for (let r = 0; r < g.outH; r++) {
      const fy = rows.frac[r];
      const top = base + rows.lo[r] * g.inW * C;
      const bottom = base + rows.hi[r] * g.inW * C;
      for (let q = 0; q < g.outW; q++) {
        const fx = cols.frac[q];
        const wTL = (1 - fy) * (1 - fx);
        const wTR = (1 - fy) * fx;
        const wBL = fy * (1 - fx);
        const wBR = fy * fx;
        const left = cols.lo[q] * C;
        const right = cols.hi[q] * C;
        for (let c = 0; c < C; c++) {
          const v = dy[o++];
          dx[top + left + c] += v * wTL;
          dx[top + right + c] += v * wTR;
          dx[bottom + left + c] += v * wBL;
          dx[bottom + right + c] += v * wBR;
        }
      }
    }
  }
}

/** out[ids[i], ...] += x[i, ...] over rows of `inner` values; ids outside [0, segments) are dropped. */
export function unsortedSegmentSumInto(x: Float32Array | Int32Array, ids: Int32Array, inner: number, segments: number, out: Float32Array | Int32Array): void {
  for (let r = 0; r < ids.length; r++) {
    const seg = ids[r];
    if (seg < 0 || seg >= segments) continue;
    const src = r * inner;
    const dst = seg * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += x[src + k];
  }
}
