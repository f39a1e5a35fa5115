// The adapt step's labelling (docs/method.md §8, D8): per pixel, argmax of the network's logits over
// background and the image's classes. 'exclude' leaves absent classes out (the paper's argmax over
// z and background); 'zero' reproduces the code, which multiplies absent classes' logits by 0, so
// an absent class wins wherever every present logit is negative. Ties: lowest class id (numpy's
// argmax). Pure typed-array code.

import { NUM_CLASSES } from '../types.ts';
import { checkClasses } from './cues.ts';

export type AdaptMasking = 'exclude' | 'zero';

/**
 * @param logits [H, W, 21] HWC logits at image size
 * @returns [H, W] labels
 */
export function adaptCues(logits: Float32Array, width: number, height: number, classes: readonly number[], masking: AdaptMasking): Uint8Array {
  const n = width * height;
  if (logits.length !== n * NUM_CLASSES) throw new Error(`logits have ${logits.length} values, expected ${width}x${height}x${NUM_CLASSES}`);
  checkClasses(classes);
  const present = new Uint8Array(NUM_CLASSES);
  present[0] = 1;
  for (const c of classes) present[c] = 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    let label = 0;
    for (let c = 0; c < NUM_CLASSES; c++) {
      let v: number;
      if (present[c] === 1) v = logits[i * NUM_CLASSES + c];
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
