// SBD's class ground truth (benchmark_RELEASE/dataset/cls/<id>.mat: a struct GTcls whose
// Segmentation field is the H x W label map, 0 background, 1..20 the VOC classes) as the label maps
// the rest of the pipeline reads: SegmentationClassAug/<id>.png, grey-index PNGs as the widely used
// "SegmentationClassAug" set has them. VOC's own SegmentationClass PNG wins where both exist.

import { readFile } from 'node:fs/promises';
import { type Map8, VOC_CLASSES } from '../types.ts';
import { MatFileError, readMat5, type MatValue } from './mat5.ts';

export const SBD_GT_DIR = 'SegmentationClassAug';

/** The label map of one SBD cls/*.mat file, row-major; every value must be a VOC class id. */
export function sbdLabelMap(bytes: Uint8Array, file: string): Map8 {
  const gt: MatValue | undefined = readMat5(bytes, file).get('GTcls');
  if (gt === undefined || gt.kind !== 'struct' || gt.elements.length !== 1)
    throw new MatFileError(file, 'no 1x1 struct GTcls (is this an SBD cls/*.mat file?)');
  const seg = gt.elements[0].Segmentation;
  if (seg === undefined || seg.kind !== 'numeric' || seg.dims.length !== 2) throw new MatFileError(file, 'GTcls has no 2-D numeric Segmentation field');
  const [height, width] = seg.dims;
  const data = new Uint8Array(width * height);
  // MATLAB stores columns one after another
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = seg.data[x * height + y];
      if (!Number.isInteger(v) || v < 0 || v >= VOC_CLASSES.length)
        throw new MatFileError(file, `GTcls.Segmentation(${y + 1},${x + 1}) is ${v}, not a class id 0..${VOC_CLASSES.length - 1}`);
      data[y * width + x] = v;
    }
  }
  return { width, height, data };
}

export async function readSbdLabelMap(file: string): Promise<Map8> {
  return sbdLabelMap(await readFile(file), file);
}
