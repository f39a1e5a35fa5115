// One image's semantic label map and tags from its instance annotations, the way coco2voc
// (github.com/alicranck/coco2voc, the converter the WSSS code bases that report COCO 2014 point
// to) makes them: instances in order of their `area` field, smallest first (ties in file order),
// and a pixel keeps the class of the first instance that covers it, so a small object on a large
// one stays visible; crowd regions are painted like any instance; background is 0. Class ids are
// the categories' positions in id order, 1..N (coco2voc itself writes the raw category id, 1..90;
// ToCo's and CLIMS's COCO loaders number the classes in this order). README.md says where other
// converters differ.

import { InputError } from '../../errors.ts';
import type { Map8 } from '../../types.ts';
import type { CocoAnnotation, CocoCategory, CocoImage, CocoInstances } from './instances.ts';
import { paintRle } from './rle.ts';
import { segmentationRles } from './segmentation.ts';

/** 255 is the ignore value of every label map in the pipeline. */
const IGNORE = 255;

export interface CocoClasses {
  /** category names in class order: names[k - 1] is class k */
  names: string[];
  /** category id -> class 1..N */
  classOf: ReadonlyMap<number, number>;
}

/** The class table of a file's categories: 1..N in category-id order. */
export function cocoClasses(instances: Pick<CocoInstances, 'categories' | 'source'>): CocoClasses {
  const sorted: CocoCategory[] = [...instances.categories].sort((a, b) => a.id - b.id);
  if (sorted.length >= IGNORE) throw new InputError(`${instances.source}: ${sorted.length} categories; label maps hold at most ${IGNORE - 1} classes`);
  return { names: sorted.map((c) => c.name), classOf: new Map(sorted.map((c, i) => [c.id, i + 1])) };
}

export interface CocoLabels {
  /** row-major, 0 background, 1..N the classes */
  labels: Map8;
  /** the classes of the image's annotations (crowd included), ascending */
  tags: number[];
}

/** The label map and tags of one image from its annotations (any order; they are sorted here). */
export function cocoImageLabels(image: CocoImage, annotations: readonly CocoAnnotation[], classes: CocoClasses, source = 'instances'): CocoLabels {
  const { width, height } = image;
  const labels: Map8 = { width, height, data: new Uint8Array(width * height) };
  const tags = new Set<number>();
  // Array.prototype.sort is stable: equal areas keep the file's order, as Python's sorted does
  const ordered = [...annotations].sort((a, b) => a.area - b.area);
  for (const a of ordered) {
    if (a.imageId !== image.id) throw new Error(`cocoImageLabels: annotation ${a.id} is of image ${a.imageId}, not ${image.id}`);
    const k = classes.classOf.get(a.categoryId);
    if (k === undefined) throw new InputError(`${source}: annotation ${a.id}: category_id ${a.categoryId} is not in the class table`);
    tags.add(k);
    for (const rle of segmentationRles(a.segmentation, height, width, `${source}: annotation ${a.id}: segmentation`)) paintRle(labels, rle, k);
  }
  return { labels, tags: [...tags].sort((a, b) => a - b) };
}
