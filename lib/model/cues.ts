// Algorithm 1 (docs/method.md §7): per pixel, combine each present class's attention A_c with the
// saliency S by a mean (harmonic by default: 2 / (1/(A_c + 1e-12) + 1/(S + 1e-12))), then label the
// pixel background if the best combined score is below gamma, else the class with the best score.
// Ties go to the lowest class id, which is what the code's argmax over [bg, classes ascending]
// does. Pure typed-array code: runs in worker threads without tfjs.

import { VOID_LABEL } from '../types.ts';

export const CUE_MEANS = ['harmonic', 'arithmetic', 'geometric'] as const;
export type CueMean = (typeof CUE_MEANS)[number];

/** The settings of Algorithm 1; their defaults (the paper's) are the cues stage's params. */
export interface CueOptions {
  /** background threshold */
  gamma: number;
  mean: CueMean;
}

const EPS = 1e-12;

/** Maps stored as uint8 are [0, 1] scaled by 255. */
function unit(v: Uint8Array | Float32Array | Float64Array, i: number): number {
  return v instanceof Uint8Array ? v[i] / 255 : v[i];
}

export function combine(a: number, s: number, mean: CueMean): number {
  switch (mean) {
    case 'harmonic':
      return 2 / (1 / (a + EPS) + 1 / (s + EPS));
    case 'arithmetic':
      return (a + s) / 2;
    case 'geometric':
      return Math.sqrt(a * s);
  }
}

/** Checks an image's class list: ids 1..foreground (a label map's ids stop below void), no repeats. */
export function checkClasses(classes: readonly number[], foreground = VOID_LABEL - 1): void {
  const seen = new Set<number>();
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 1 || c > foreground) throw new Error(`class id ${c} is not in 1..${foreground}`);
    if (seen.has(c)) throw new Error(`class id ${c} listed twice`);
    seen.add(c);
  }
}

/**
 * @param attention [k, H, W] attention maps of the image's classes, in the order of `classes`
 *   (uint8 0..255 or float 0..1)
 * @param classes the k class ids (1 = the first foreground class) the maps belong to
 * @param saliency [H, W] (uint8 0..255 or float 0..1)
 * @returns [H, W] labels: 0 background, else a class id from `classes`
 */
export function cuesFromAttention(
  attention: Uint8Array | Float32Array | Float64Array,
  classes: readonly number[],
  saliency: Uint8Array | Float32Array | Float64Array,
  width: number,
  height: number,
  opts: CueOptions,
): Uint8Array {
  const { gamma, mean } = opts;
  const n = width * height;
  checkClasses(classes);
  if (saliency.length !== n) throw new Error(`saliency has ${saliency.length} pixels, expected ${width}x${height}`);
  if (attention.length !== classes.length * n) {
    throw new Error(`attention has ${attention.length} values, expected ${classes.length} classes x ${width}x${height}`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = unit(saliency, i);
    let best = -Infinity;
    let label = 0;
    for (let k = 0; k < classes.length; k++) {
      const h = combine(unit(attention, k * n + i), s, mean);
      if (h > best || (h === best && classes[k] < label)) {
        best = h;
        label = classes[k];
      }
    }
    out[i] = best < gamma ? 0 : label;
  }
  return out;
}
