// COCO's run-length masks. Runs go down the columns (pixel x*height + y), alternate 0s and 1s and
// start with a run of 0s; they add up to height x width. The compressed form writes the same runs
// as a string: each number (from the fourth on, minus the number two places before it) in 5-bit
// groups, low group first, one character per group (48 + group, plus 32 when another group
// follows); the last group's 0x10 bit is the sign. Facts from pycocotools' maskApi.c
// (rleFrString); the code is ours.

import { InputError } from '../../errors.ts';
import type { Map8 } from '../../types.ts';

export interface Rle {
  height: number;
  width: number;
  counts: ArrayLike<number>;
}

const CHAR_BASE = 48;
const MORE = 0x20;
const SIGN = 0x10;
const GROUP = 0x1f;
/** groups in one number: 6 x 5 bits is past any count an image can have (pycocotools shifts an int) */
const MAX_GROUPS = 6;

/**
 * The run lengths of a compressed counts string. `where` names the annotation in messages; a bad
 * character, a number cut off at the end or a negative run is an InputError.
 */
export function countsFromString(s: string, where: string): Uint32Array {
  const out: number[] = [];
  let p = 0;
  while (p < s.length) {
    let value = 0;
    let groups = 0;
    for (;;) {
      if (p >= s.length) throw new InputError(`${where}: the counts string ends inside a number`);
      const c = s.charCodeAt(p) - CHAR_BASE;
      if (c < 0 || c > 63) throw new InputError(`${where}: counts character '${s[p]}' at ${p} is outside '0'..'o'`);
      if (groups === MAX_GROUPS) throw new InputError(`${where}: counts number at ${p} is longer than ${MAX_GROUPS} characters`);
      value += (c & GROUP) * 2 ** (5 * groups);
      groups++;
      p++;
      if (!(c & MORE)) {
        if (c & SIGN) value -= 2 ** (5 * groups);
        break;
      }
    }
    const m = out.length;
    if (m > 2) value += out[m - 2];
    if (value < 0) throw new InputError(`${where}: run ${m} of the counts string is negative (${value})`);
    out.push(value);
  }
  return Uint32Array.from(out);
}

/** Checks that runs cover the image exactly (a longer or shorter list is not a mask of it). */
export function checkRunTotal(rle: Rle, where: string): void {
  let total = 0;
  for (let j = 0; j < rle.counts.length; j++) total += rle.counts[j];
  if (total !== rle.width * rle.height) throw new InputError(`${where}: the run lengths add up to ${total}, not the image's ${rle.width * rle.height} pixels`);
}

/**
 * Writes `value` into the row-major `map` wherever the mask is 1 and the map still holds 0: the
 * first instance painted keeps a pixel. The map must have the RLE's size.
 */
export function paintRle(map: Map8, rle: Rle, value: number): void {
  const { height: h, width: w } = rle;
  if (map.width !== w || map.height !== h) throw new Error(`paintRle: a ${w}x${h} mask on a ${map.width}x${map.height} map`);
  const data = map.data;
  let p = 0;
  for (let j = 0; j < rle.counts.length; j++) {
    const run = rle.counts[j];
    if (j % 2 === 1) {
      const end = p + run;
      let x = Math.floor(p / h);
      let y = p - x * h;
      for (let q = p; q < end; q++) {
        const i = y * w + x;
        if (data[i] === 0) data[i] = value;
        if (++y === h) {
          y = 0;
          x++;
        }
      }
    }
    p += run;
  }
}
