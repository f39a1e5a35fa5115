// Separable resampling of planar or interleaved float data. Downscaling widens the kernel by the scale
// factor (area-style antialiasing) so that textured backgrounds do not alias into false contrast;
// upscaling uses the kernel as is. Sample centres follow the half-pixel convention.

import type { MapF32, RgbImage } from '../types.ts';

export type ResampleKernel = 'triangle' | 'cubic';

interface AxisWeights {
  /** first source index per output index */
  start: Int32Array;
  /** number of taps per output index */
  count: Int32Array;
  /** taps, `maxTaps` per output index */
  weights: Float32Array;
  maxTaps: number;
}

function kernelValue(kind: ResampleKernel, x: number): number {
  const ax = Math.abs(x);
  if (kind === 'triangle') return ax < 1 ? 1 - ax : 0;
  // Keys cubic with a = -0.5 (the usual "bicubic")
  const a = -0.5;
  if (ax < 1) return (a + 2) * ax * ax * ax - (a + 3) * ax * ax + 1;
  if (ax < 2) return a * ax * ax * ax - 5 * a * ax * ax + 8 * a * ax - 4 * a;
  return 0;
}

const weightCache = new Map<string, AxisWeights>();

function axisWeights(srcLen: number, dstLen: number, kind: ResampleKernel): AxisWeights {
  const key = `${srcLen}:${dstLen}:${kind}`;
  const hit = weightCache.get(key);
  if (hit) return hit;
  const scale = srcLen / dstLen;
  const support = (kind === 'triangle' ? 1 : 2) * Math.max(1, scale);
  const filterScale = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const weights = new Float32Array(dstLen * maxTaps);
  for (let i = 0; i < dstLen; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    let lo = Math.ceil(centre - support);
    let hi = Math.floor(centre + support);
    if (lo < 0) lo = 0;
    if (hi > srcLen - 1) hi = srcLen - 1;
    // Clamp-to-edge: taps that fall outside are folded onto the border sample by the clamping above
    // plus renormalisation below, which keeps constant images constant.
    let n = 0;
    let sum = 0;
    for (let j = lo; j <= hi && n < maxTaps; j++) {
      const w = kernelValue(kind, (j - centre) / filterScale);
      weights[i * maxTaps + n] = w;
      sum += w;
      n++;
    }
    if (sum === 0) {
      // degenerate (can only happen for tiny sources): nearest sample
      const j = Math.min(srcLen - 1, Math.max(0, Math.round(centre)));
      lo = j;
      n = 1;
      weights[i * maxTaps] = 1;
      sum = 1;
    }
    for (let t = 0; t < n; t++) weights[i * maxTaps + t] /= sum;
    start[i] = lo;
    count[i] = n;
  }
  const result = { start, count, weights, maxTaps };
  if (weightCache.size > 64) weightCache.clear();
  weightCache.set(key, result);
  return result;
}

/**
 * Resample interleaved float data with `channels` channels from (w, h) to (ow, oh).
 * `src` may be any numeric array (Uint8Array for images, Float32Array for maps).
 */
export function resampleInterleaved(
  src: ArrayLike<number>,
  w: number,
  h: number,
  channels: number,
  ow: number,
  oh: number,
  kind: ResampleKernel = 'triangle',
): Float32Array {
  // One element type keeps the hot loops monomorphic (images arrive as Uint8Array, maps as Float32Array).
  const f = src instanceof Float32Array ? src : Float32Array.from(src);
  if (w === ow && h === oh) return f === src ? f.slice() : f;
  const wx = axisWeights(w, ow, kind);
  const wy = axisWeights(h, oh, kind);
  const tmp = w === ow ? f : horizontalPass(f, w, h, channels, ow, wx);
  if (h === oh) return tmp === f ? f.slice() : tmp;
  // vertical pass
  const out = new Float32Array(oh * ow * channels);
  const rowLen = ow * channels;
  for (let y = 0; y < oh; y++) {
    const s0 = wy.start[y];
    const n = wy.count[y];
    const wo = y * wy.maxTaps;
    const rowOut = y * rowLen;
    for (let t = 0; t < n; t++) {
      const wt = wy.weights[wo + t];
      const rowIn = (s0 + t) * rowLen;
      for (let i = 0; i < rowLen; i++) out[rowOut + i] += wt * tmp[rowIn + i];
    }
  }
  return out;
}

function horizontalPass(src: Float32Array, w: number, h: number, channels: number, ow: number, wx: AxisWeights): Float32Array {
  const tmp = new Float32Array(h * ow * channels);
  const { start, count, weights, maxTaps } = wx;
  if (channels === 3) {
    for (let y = 0; y < h; y++) {
      const rowIn = y * w * 3;
      let o = y * ow * 3;
      for (let x = 0; x < ow; x++, o += 3) {
        let i = rowIn + start[x] * 3;
        const wo = x * maxTaps;
        const n = count[x];
        let r = 0;
        let g = 0;
        let b = 0;
        for (let t = 0; t < n; t++, i += 3) {
          const wt = weights[wo + t];
          r += wt * src[i];
          g += wt * src[i + 1];
          b += wt * src[i + 2];
        }
        tmp[o] = r;
        tmp[o + 1] = g;
        tmp[o + 2] = b;
      }
    }
    return tmp;
  }
  for (let y = 0; y < h; y++) {
    const rowIn = y * w * channels;
    const rowOut = y * ow * channels;
    for (let x = 0; x < ow; x++) {
      const s0 = start[x];
      const n = count[x];
      const wo = x * maxTaps;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let t = 0; t < n; t++) acc += weights[wo + t] * src[rowIn + (s0 + t) * channels + c];
        tmp[rowOut + x * channels + c] = acc;
      }
    }
  }
  return tmp;
}

/** Resize an RGB image; the result is float RGB (0..255, interleaved), not rounded. */
export function resizeRgbToFloat(img: RgbImage, ow: number, oh: number, kind: ResampleKernel = 'triangle'): Float32Array {
  return resampleInterleaved(img.data, img.width, img.height, 3, ow, oh, kind);
}

/** Resize a [0,1] map (e.g. saliency back to image size); the result is clamped to [0, 1]. */
export function resizeMap(map: MapF32, ow: number, oh: number, kind: ResampleKernel = 'cubic'): MapF32 {
  const data = resampleInterleaved(map.data, map.width, map.height, 1, ow, oh, kind);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    data[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return { width: ow, height: oh, data };
}

/** Working size for a long side of at most `maxSide`, keeping aspect ratio; never upsamples. */
export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}
