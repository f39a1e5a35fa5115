// A COCO instances file (instances_train2014.json and the like) read into typed records: its
// images, categories and annotations, checked once so that the per-image conversion can trust
// them. Bad input is one InputError naming the file and the item (`annotations[12] (id 345)`).
// The check walks the parsed JSON by hand: the 2014 train file holds some 600,000 annotations and
// tens of millions of polygon coordinates, too many for a schema library's per-value bookkeeping.

import { readFile } from 'node:fs/promises';
import { InputError } from '../../errors.ts';

export interface CocoImage {
  id: number;
  width: number;
  height: number;
  fileName: string;
}

export interface CocoCategory {
  id: number;
  name: string;
}

/** An annotation's segmentation, in the three forms COCO files use. */
export type CocoSegmentation =
  /** one or more polygons, each [x1, y1, x2, y2, ...] in pixel coordinates */
  | { kind: 'polygons'; polygons: number[][] }
  /** run lengths as numbers, column-major, starting with a run of 0s */
  | { kind: 'rle'; height: number; width: number; counts: number[] }
  /** the same run lengths in COCO's compact string form */
  | { kind: 'compressed-rle'; height: number; width: number; counts: string };

export interface CocoAnnotation {
  id: number;
  imageId: number;
  categoryId: number;
  iscrowd: boolean;
  /** the file's own `area` field (the overlap rule orders instances by it) */
  area: number;
  segmentation: CocoSegmentation;
}

export interface CocoInstances {
  /** the file's name, for messages */
  source: string;
  /** in the file's order */
  images: CocoImage[];
  categories: CocoCategory[];
  annotations: CocoAnnotation[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isSize = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Read and check an instances JSON file. */
export async function readCocoInstances(file: string): Promise<CocoInstances> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: cannot read it as JSON (${(err as Error).message})`);
  }
  return parseCocoInstances(json, file);
}

/** Check parsed JSON as a COCO instances file; `source` names it in messages. */
export function parseCocoInstances(json: unknown, source: string): CocoInstances {
  const fail = (where: string, what: string): never => {
    throw new InputError(`${source}: ${where}: ${what}`);
  };
  if (!isObject(json)) fail('(file)', 'not a JSON object');
  const root = json as Json;
  const list = (key: string): unknown[] => (Array.isArray(root[key]) ? (root[key] as unknown[]) : fail(key, 'missing or not a list'));

  const images = list('images').map((v, i) => parseImage(v, `images[${i}]`, fail));
  const imageById = new Map<number, CocoImage>();
  images.forEach((img, i) => {
    if (imageById.has(img.id)) fail(`images[${i}]`, `duplicate image id ${img.id}`);
    imageById.set(img.id, img);
  });

  const categories = list('categories').map((v, i) => parseCategory(v, `categories[${i}]`, fail));
  const categoryIds = new Set<number>();
  const names = new Set<string>();
  categories.forEach((c, i) => {
    if (categoryIds.has(c.id)) fail(`categories[${i}]`, `duplicate category id ${c.id}`);
    if (names.has(c.name)) fail(`categories[${i}]`, `duplicate category name '${c.name}'`);
    categoryIds.add(c.id);
    names.add(c.name);
  });

  const annotationIds = new Set<number>();
  const annotations = list('annotations').map((v, i) => {
    const a = parseAnnotation(v, i, imageById, categoryIds, fail);
    if (annotationIds.has(a.id)) fail(`annotations[${i}]`, `duplicate annotation id ${a.id}`);
    annotationIds.add(a.id);
    return a;
  });
  return { source, images, categories, annotations };
}

type Fail = (where: string, what: string) => never;

function parseImage(v: unknown, where: string, fail: Fail): CocoImage {
  if (!isObject(v)) return fail(where, 'not an object');
  const { id, width, height, file_name } = v;
  if (!isId(id)) fail(where, `id ${JSON.stringify(id)} is not a non-negative integer`);
  const at = `${where} (id ${id})`;
  if (!isSize(width) || !isSize(height)) fail(at, `width ${JSON.stringify(width)} / height ${JSON.stringify(height)} are not positive integers`);
  if (typeof file_name !== 'string' || file_name === '') fail(at, 'file_name is missing');
  return { id: id as number, width: width as number, height: height as number, fileName: file_name as string };
}

function parseCategory(v: unknown, where: string, fail: Fail): CocoCategory {
  if (!isObject(v)) return fail(where, 'not an object');
  const { id, name } = v;
  if (!isId(id)) fail(where, `id ${JSON.stringify(id)} is not a non-negative integer`);
  if (typeof name !== 'string' || name.trim() === '') fail(`${where} (id ${id})`, 'name is missing');
  return { id: id as number, name: name as string };
}

function parseAnnotation(v: unknown, i: number, images: ReadonlyMap<number, CocoImage>, categories: ReadonlySet<number>, fail: Fail): CocoAnnotation {
  if (!isObject(v)) return fail(`annotations[${i}]`, 'not an object');
  const { id, image_id, category_id, iscrowd, area, segmentation } = v;
  if (!isId(id)) fail(`annotations[${i}]`, `id ${JSON.stringify(id)} is not a non-negative integer`);
  const at = `annotations[${i}] (id ${id})`;
  const image = isId(image_id) ? images.get(image_id) : undefined;
  if (!image) return fail(at, `image_id ${JSON.stringify(image_id)} names no image of the file`);
  if (!isId(category_id) || !categories.has(category_id)) fail(at, `category_id ${JSON.stringify(category_id)} names no category of the file`);
  if (iscrowd !== 0 && iscrowd !== 1 && iscrowd !== undefined) fail(at, `iscrowd ${JSON.stringify(iscrowd)} is not 0 or 1`);
  if (typeof area !== 'number' || !Number.isFinite(area) || area < 0) fail(at, `area ${JSON.stringify(area)} is not a non-negative number`);
  return {
    id: id as number,
    imageId: image.id,
    categoryId: category_id as number,
    iscrowd: iscrowd === 1,
    area: area as number,
    segmentation: parseSegmentation(segmentation, image, `${at}: segmentation`, fail),
  };
}

function parseSegmentation(v: unknown, image: CocoImage, where: string, fail: Fail): CocoSegmentation {
  if (Array.isArray(v)) return { kind: 'polygons', polygons: parsePolygons(v, image, where, fail) };
  if (!isObject(v)) return fail(where, 'neither a list of polygons nor an RLE object');
  const { size, counts } = v;
  if (!Array.isArray(size) || size.length !== 2 || size[0] !== image.height || size[1] !== image.width)
    fail(where, `size ${JSON.stringify(size)} is not the image's [height, width] [${image.height}, ${image.width}]`);
  if (typeof counts === 'string') return { kind: 'compressed-rle', height: image.height, width: image.width, counts };
  if (!Array.isArray(counts)) return fail(where, 'counts is neither a list of run lengths nor a string');
  let total = 0;
  for (let j = 0; j < counts.length; j++) {
    const c = counts[j];
    if (!isId(c)) fail(where, `counts[${j}] ${JSON.stringify(c)} is not a non-negative integer`);
    total += c as number;
  }
  // pycocotools would read past its buffer on a longer list and leave pixels unset on a shorter one
  if (total !== image.width * image.height) fail(where, `the run lengths add up to ${total}, not the image's ${image.width * image.height} pixels`);
  return { kind: 'rle', height: image.height, width: image.width, counts: counts as number[] };
}

/**
 * Polygons as pycocotools accepts them: it takes a first polygon of four numbers for a list of
 * boxes (and then fails), so the first needs three points; the others at least one. A coordinate
 * far outside the image would make the rasteriser walk a huge boundary, so it is refused too.
 */
function parsePolygons(v: unknown[], image: CocoImage, where: string, fail: Fail): number[][] {
  if (v.length === 0) fail(where, 'an empty list of polygons');
  const reach = 4 * Math.max(image.width, image.height);
  return v.map((poly, p) => {
    if (!Array.isArray(poly)) return fail(`${where}[${p}]`, 'not a list of coordinates');
    if (poly.length % 2 !== 0) fail(`${where}[${p}]`, `${poly.length} numbers, not x, y pairs`);
    if (poly.length < (p === 0 ? 6 : 2)) fail(`${where}[${p}]`, `${poly.length / 2} point(s): too few for a polygon`);
    for (let j = 0; j < poly.length; j++) {
      const c = poly[j];
      if (typeof c !== 'number' || !Number.isFinite(c) || Math.abs(c) > reach)
        fail(`${where}[${p}][${j}]`, `${JSON.stringify(c)} is not a coordinate in -${reach}..${reach} (4x the image's larger side)`);
    }
    return poly as number[];
  });
}

/** Each image's annotations in the file's order (an image without any has none in the map). */
export function annotationsByImage(instances: CocoInstances): Map<number, CocoAnnotation[]> {
  const out = new Map<number, CocoAnnotation[]>();
  for (const a of instances.annotations) {
    const list = out.get(a.imageId);
    if (list) list.push(a);
    else out.set(a.imageId, [a]);
  }
  return out;
}

/**
 * The WSSS protocol's image filter: the images with at least one annotation (crowd regions
 * count), in the file's order. On COCO 2014 that keeps 82,081 of train's 82,783 images and
 * 40,137 of val's 40,504.
 */
export function annotatedImages(instances: CocoInstances, byImage = annotationsByImage(instances)): CocoImage[] {
  return instances.images.filter((img) => byImage.has(img.id));
}
