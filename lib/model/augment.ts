// Training augmentation (docs/method.md §2), in the code's order: random scale s ~ U[lo, hi) to
// int(H s) x int(W s) (bilinear image, nearest label), mirror with p 0.5, pad bottom/right to the
// crop with zeros (the mean colour after mean subtraction) and label 0 (background, as the code
// does), random crop. Unlike the code (whose scale and mirror draws are the same number, D12) the
// four draws are independent, from a PRNG seeded by (run seed, iteration, batch slot), so a sample
// is a pure function of where it sits in the run: a resumed run sees the same crops.

import { Prng, deriveSeed } from '../tensor/random.ts';
import type { Map8, RgbImage } from '../types.ts';
import { toNetworkInput } from './preprocess.ts';
import { resizeBilinearTf1, resizeNearestTf1 } from './resample.ts';

export interface AugmentOptions {
  crop: number;
  /** scale range [lo, hi); default [0.5, 1.5]; [1, 1] disables scaling */
  scale?: readonly [number, number];
  mirror?: boolean;
}

export interface AugmentedSample {
  /** crop x crop x 3, BGR mean-subtracted */
  image: Float32Array;
  /** crop x crop labels, when a label map was given */
  label: Uint8Array | null;
  /** the draws, for tests and logs */
  draws: { scale: number; mirror: boolean; top: number; left: number };
}

/** The PRNG for one batch slot of one iteration. */
export function sampleRng(seed: number, iteration: number, slot: number): Prng {
  return new Prng(deriveSeed(deriveSeed(seed >>> 0, iteration), slot));
}

export function augment(image: RgbImage, label: Map8 | null, opts: AugmentOptions, rng: Prng): AugmentedSample {
  const { width: w, height: h } = image;
  if (label !== null && (label.width !== w || label.height !== h)) {
    throw new Error(`augment: label ${label.width}x${label.height} does not match image ${w}x${h}`);
  }
  const [lo, hi] = opts.scale ?? [0.5, 1.5];
  const s = lo + (hi - lo) * rng.next();
  const mirror = (opts.mirror ?? true) && rng.next() < 0.5;
  const uTop = rng.next();
  const uLeft = rng.next();

  const sh = Math.max(1, Math.floor(h * s));
  const sw = Math.max(1, Math.floor(w * s));
  let img = toNetworkInput(image);
  let lab = label?.data ?? null;
  if (sh !== h || sw !== w) {
    img = resizeBilinearTf1(img, h, w, 3, sh, sw);
    if (lab !== null) lab = resizeNearestTf1(lab, h, w, sh, sw);
  }
  const crop = opts.crop;
  const ph = Math.max(sh, crop),
    pw = Math.max(sw, crop);
  const top = Math.floor(uTop * (ph - crop + 1));
  const left = Math.floor(uLeft * (pw - crop + 1));
  const outImg = new Float32Array(crop * crop * 3);
  const outLab = lab !== null ? new Uint8Array(crop * crop) : null;
  // Pixels past the scaled image are padding: zeros and label 0, already in the fresh arrays.
  for (let y = 0; y < crop; y++) {
    const sy = top + y;
    if (sy >= sh) break;
    for (let x = 0; x < crop; x++) {
      const px = left + x;
      if (px >= sw) break;
      const sx = mirror ? sw - 1 - px : px;
      const si = sy * sw + sx,
        o = y * crop + x;
      outImg[3 * o] = img[3 * si];
      outImg[3 * o + 1] = img[3 * si + 1];
      outImg[3 * o + 2] = img[3 * si + 2];
      if (outLab !== null && lab !== null) outLab[o] = lab[si];
    }
  }
  return { image: outImg, label: outLab, draws: { scale: s, mirror, top, left } };
}
