// The COCO 2014 downloads, pinned: the two image zips and the 2014 annotations zip, at the URLs
// cocodataset.org links to, with their sizes in bytes (the server's Content-Length; the site
// shows only rounded sizes, 13GB / 6GB / 241MB). The site publishes no checksum, so, as for
// DUTS-TR (lib/saliency/duts.ts), a download is checked by its size and its content instead: the
// image zips must hold the published number of JPEGs, among them every image the instances file
// lists, and each instances file the published number of images, of which the WSSS filter keeps
// the published number. A mirror ($DCSP_MIRRORS, mirrors.ts) may pin an MD5 of its copy.

import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { InputError } from '../../errors.ts';

export type CocoSplit = 'train' | 'val';

export interface CocoArchive {
  url: string;
  /** file name under <dataDir>/downloads */
  filename: string;
  /** exact size in bytes */
  bytes: number;
  /** none is published; kept for the shape the downloads share (a mirror may give one) */
  md5?: string;
}

export interface CocoSplitSource {
  /** the zip of the split's images */
  images: CocoArchive;
  /** the folder inside that zip that holds them */
  folder: string;
  /** JPEGs in that folder */
  imageCount: number;
  /** the instances file inside the annotations zip */
  instances: string;
  /** images of the instances file with at least one annotation (the WSSS protocol's set) */
  annotatedCount: number;
}

const SITE = 'http://images.cocodataset.org';

export const COCO_2014_ANNOTATIONS: CocoArchive = {
  url: `${SITE}/annotations/annotations_trainval2014.zip`,
  filename: 'annotations_trainval2014.zip',
  bytes: 252_872_794,
};

export const COCO_2014: Record<CocoSplit, CocoSplitSource> = {
  train: {
    images: { url: `${SITE}/zips/train2014.zip`, filename: 'train2014.zip', bytes: 13_510_573_713 },
    folder: 'train2014',
    imageCount: 82_783,
    instances: 'annotations/instances_train2014.json',
    annotatedCount: 82_081,
  },
  val: {
    images: { url: `${SITE}/zips/val2014.zip`, filename: 'val2014.zip', bytes: 6_645_013_297 },
    folder: 'val2014',
    imageCount: 40_504,
    instances: 'annotations/instances_val2014.json',
    annotatedCount: 40_137,
  },
};

/** Every download of COCO 2014, annotations first (the smallest, and needed to check the others). */
export function coco2014Archives(): CocoArchive[] {
  return [COCO_2014_ANNOTATIONS, COCO_2014.train.images, COCO_2014.val.images];
}

/** A downloaded archive has its pinned size (the first content check: a cut or different file fails here). */
export async function checkArchiveSize(file: string, archive: CocoArchive): Promise<void> {
  const { size } = await stat(file);
  if (size !== archive.bytes) throw new InputError(`${file}: ${size} bytes, but ${archive.filename} has ${archive.bytes} (a partial or different file?)`);
}

const list = (names: readonly string[]): string => `${names.slice(0, 5).join(', ')}${names.length > 5 ? `, ... (${names.length})` : ''}`;

/**
 * An image zip's entry names hold the split's JPEGs, exactly `imageCount` of them in its folder,
 * including every `file_name` of the instances file. `where` names the zip.
 */
export function checkImageEntries(where: string, entries: Iterable<string>, split: CocoSplitSource, fileNames: Iterable<string>): void {
  const inFolder = new Set<string>();
  for (const e of entries) {
    const name = posix.normalize(e);
    if (posix.dirname(name) === split.folder && /\.jpe?g$/i.test(name)) inFolder.add(posix.basename(name));
  }
  const missing = [...fileNames].filter((f) => !inFolder.has(f)).sort();
  if (missing.length) throw new InputError(`${where}: images of ${split.instances} missing from ${split.folder}/: ${list(missing)}`);
  if (inFolder.size !== split.imageCount) throw new InputError(`${where}: ${inFolder.size} JPEGs in ${split.folder}/, expected ${split.imageCount}`);
}

/** An instances file lists the split's images, and the WSSS filter keeps the published number. */
export function checkInstanceCounts(where: string, split: CocoSplitSource, images: number, annotated: number): void {
  if (images !== split.imageCount) throw new InputError(`${where}: ${images} images, expected ${split.imageCount} (${split.instances} of another release?)`);
  if (annotated !== split.annotatedCount)
    throw new InputError(`${where}: ${annotated} images with an annotation, expected ${split.annotatedCount} (the WSSS protocol's count)`);
}
