// Network input as DCSP's code makes it (docs/method.md §2): RGB -> BGR, minus the per-channel mean, no
// scaling. Zero in this space is the mean colour, which is what crops are padded with.

import type { RgbImage } from '../types.ts';

/** B, G, R means (0..255) */
export const MEAN_BGR = [104.00698793, 116.66876762, 122.67891434] as const;

/** HWC float32, BGR order, mean subtracted. */
export function toNetworkInput(image: RgbImage): Float32Array {
  const { width, height, data } = image;
  const n = width * height;
  if (data.length !== n * 3) throw new Error(`image data has ${data.length} bytes, expected ${n * 3} for ${width}x${height} RGB`);
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[3 * i] = data[3 * i + 2] - MEAN_BGR[0];
    out[3 * i + 1] = data[3 * i + 1] - MEAN_BGR[1];
    out[3 * i + 2] = data[3 * i] - MEAN_BGR[2];
  }
  return out;
}
