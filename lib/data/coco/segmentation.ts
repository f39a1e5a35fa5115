// One annotation's segmentation as run-length masks, whatever form the file gives it in: a
// polygon list gives one mask per polygon (their union is the instance, as pycocotools merges
// them), an RLE object one mask.

import type { Map8 } from '../../types.ts';
import type { CocoSegmentation } from './instances.ts';
import { polygonToRle } from './polygon.ts';
import { checkRunTotal, countsFromString, paintRle, type Rle } from './rle.ts';

/** The instance's masks; `where` names the annotation when compressed counts are bad. */
export function segmentationRles(seg: CocoSegmentation, height: number, width: number, where: string): Rle[] {
  switch (seg.kind) {
    case 'polygons':
      return seg.polygons.map((p) => polygonToRle(p, height, width));
    case 'rle':
      return [{ height: seg.height, width: seg.width, counts: seg.counts }];
    case 'compressed-rle': {
      const rle = { height: seg.height, width: seg.width, counts: countsFromString(seg.counts, where) };
      checkRunTotal(rle, where);
      return [rle];
    }
  }
}

/** The instance's binary mask (row-major, 1 inside). */
export function segmentationMask(seg: CocoSegmentation, height: number, width: number, where: string): Map8 {
  const mask = { width, height, data: new Uint8Array(width * height) };
  for (const rle of segmentationRles(seg, height, width, where)) paintRle(mask, rle, 1);
  return mask;
}
