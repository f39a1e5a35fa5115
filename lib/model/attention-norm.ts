// Per-image, per-class normalisation of the attention volume (docs/method.md §6):
//   A_c = (V_c - min V_c + 1e-12) / max(V_c - min V_c + 1e-12)
// over all H x W pixels, kept only for the image's classes in ascending order, stored as uint8
// (round(255 A_c)) so it fits the pipeline's per-image uint8 maps.

import { checkClasses } from './cues.ts';

export interface AttentionMaps {
  width: number;
  height: number;
  /** ascending class ids (1 = the first foreground class) */
  classes: number[];
  /** [k, H, W], 0..255 */
  maps: Uint8Array;
}

/**
 * @param volume [H, W, F] HWC attention volume at image size, one channel per foreground class
 *   (channel c - 1 is class c)
 */
export function normaliseAttention(volume: Float32Array, width: number, height: number, classes: readonly number[]): AttentionMaps {
  const n = width * height;
  const f = volume.length / n;
  if (!Number.isInteger(f) || f < 1) throw new Error(`attention volume has ${volume.length} values, not a whole number of ${width}x${height} channels`);
  checkClasses(classes, f);
  const sorted = [...classes].sort((a, b) => a - b);
  const maps = new Uint8Array(sorted.length * n);
  sorted.forEach((c, k) => {
    const ch = c - 1;
    let lo = Infinity;
    for (let i = 0; i < n; i++) lo = Math.min(lo, volume[i * f + ch]);
    let hi = -Infinity;
    for (let i = 0; i < n; i++) hi = Math.max(hi, volume[i * f + ch] - lo + 1e-12);
    for (let i = 0; i < n; i++) maps[k * n + i] = Math.round((255 * (volume[i * f + ch] - lo + 1e-12)) / hi);
  });
  return { width, height, classes: sorted, maps };
}
