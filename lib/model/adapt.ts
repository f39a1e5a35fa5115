// The adapt step's labelling (docs/method.md §8, D8): per pixel, argmax of the network's logits over
// background and the image's classes. 'exclude' leaves absent classes out (the paper's argmax over
// z and background); 'zero' reproduces the code, which multiplies absent classes' logits by 0, so
// an absent class wins wherever every present logit is negative. Ties: lowest class id (numpy's
// argmax). Pure typed-array code.

import { checkClasses } from './cues.ts';

export type AdaptMasking = 'exclude' | 'zero';

/**
 * @param logits [H, W, C] HWC logits at image size, one per class (background first)
 * @returns [H, W] labels
 */
export function adaptCues(logits: Float32Array, width: number, height: number, classes: readonly number[], masking: AdaptMasking): Uint8Array {
  const n = width * height;
  const C = logits.length / n;
  if (!Number.isInteger(C) || C < 2) throw new Error(`logits have ${logits.length} values, not a whole number (2 or more) of ${width}x${height} channels`);
  checkClasses(classes, C - 1);
  const present = new Uint8Array(C);
  present[0] = 1;
  for (const c of classes) present[c] = 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    let label = 0;
    for (let c = 0; c < C; c++) {
      let v: number;
      if (present[c] === 1) v = logits[i * C + c];
      else if (masking === 'zero') v = 0;
      else continue;
      if (v > best) {
        best = v;
        label = c;
      }
    }
    out[i] = label;
  }
  return out;
}
