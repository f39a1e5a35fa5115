// A COCO polygon rasterised exactly as pycocotools does (maskApi.c, rleFrPoly), so that label maps
// made here equal those made with pycocotools pixel for pixel. The facts of that method, in our
// words and code:
//  1. vertices go to a grid 5 times finer, rounded as C's (int)(v + .5) does: a half added, then
//     the fraction dropped toward zero, so everything above -1.5 and below 0.5 becomes 0 (rounding
//     to nearest would give -1 below -0.5);
//  2. every edge is walked on the fine grid one step per unit of its longer axis, always from the
//     end with the smaller coordinate on that axis (so an edge gives the same points whichever way
//     the polygon runs), the other coordinate rounded the same way;
//  3. wherever the walk changes fine column, the crossing is kept if it sits on the centre of a
//     pixel column (((x + .5) / 5 - .5) an integer inside the image), at the pixel row ceil of the
//     same map of the walk's smaller y there, clamped to 0..height;
//  4. the kept crossings, as column-major positions x*height + y plus one at height*width, sorted,
//     give the run lengths: each crossing toggles inside/outside, two crossings at one position
//     cancel.

import type { Rle } from './rle.ts';

const SCALE = 5;

/** C's (int)(v + .5): add a half, then drop the fraction toward zero. */
const roundLikeC = (v: number): number => Math.trunc(v + 0.5);

/** The mask of one polygon [x1, y1, x2, y2, ...] (at least one point) on a height x width image, as run lengths. */
export function polygonToRle(xy: readonly number[], height: number, width: number): Rle {
  const k = xy.length >> 1;
  const fx = new Int32Array(k + 1);
  const fy = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) {
    fx[j] = roundLikeC(SCALE * xy[2 * j]);
    fy[j] = roundLikeC(SCALE * xy[2 * j + 1]);
  }
  fx[k] = fx[0];
  fy[k] = fy[0];

  let points = 0;
  for (let j = 0; j < k; j++) points += Math.max(Math.abs(fx[j] - fx[j + 1]), Math.abs(fy[j] - fy[j + 1])) + 1;
  const u = new Int32Array(points);
  const v = new Int32Array(points);
  let m = 0;
  for (let j = 0; j < k; j++) {
    let x0 = fx[j];
    let x1 = fx[j + 1];
    let y0 = fy[j];
    let y1 = fy[j + 1];
    const dx = Math.abs(x1 - x0);
    const dy = Math.abs(y1 - y0);
    const alongX = dx >= dy;
    const reversed = alongX ? x0 > x1 : y0 > y1;
    if (reversed) {
      [x0, x1] = [x1, x0];
      [y0, y1] = [y1, y0];
    }
    const steps = alongX ? dx : dy;
    if (steps === 0) {
      // a repeated vertex: one point (its neighbours share its column, so step 3 never reads it)
      u[m] = x0;
      v[m] = y0;
      m++;
      continue;
    }
    const slope = alongX ? (y1 - y0) / dx : (x1 - x0) / dy;
    for (let d = 0; d <= steps; d++) {
      const t = reversed ? steps - d : d;
      if (alongX) {
        u[m] = t + x0;
        v[m] = roundLikeC(y0 + slope * t);
      } else {
        v[m] = t + y0;
        u[m] = roundLikeC(x0 + slope * t);
      }
      m++;
    }
  }

  const crossings: number[] = [];
  for (let j = 1; j < m; j++) {
    if (u[j] === u[j - 1]) continue;
    const xd = ((u[j] < u[j - 1] ? u[j] : u[j] - 1) + 0.5) / SCALE - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > width - 1) continue;
    let yd = ((v[j] < v[j - 1] ? v[j] : v[j - 1]) + 0.5) / SCALE - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > height) yd = height;
    crossings.push(xd * height + Math.ceil(yd));
  }
  crossings.push(height * width);
  const sorted = Float64Array.from(crossings).sort();

  const counts: number[] = [sorted[0]];
  for (let j = 1; j < sorted.length; j++) {
    const gap = sorted[j] - sorted[j - 1];
    if (gap > 0) counts.push(gap);
    else if (j + 1 < sorted.length) {
      // two crossings at one place cancel: the run after them continues the one before
      j++;
      counts[counts.length - 1] += sorted[j] - sorted[j - 1];
    }
  }
  return { height, width, counts };
}
