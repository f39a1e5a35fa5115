// Reads a folder in the VOC layout (real VOC2012 prepared by prepareVoc, or the toy generator's
// output) into a DatasetIndex: split lists from ImageSets/Segmentation, image-level labels from
// Annotations/*.xml, ground truth from SegmentationClass (or SegmentationClassAug), sizes checked
// against the JPEG headers.

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ProgressSink } from '../types.ts';
import { silentProgress } from '../types.ts';
import { type ClassList, vocClassList } from './class-list.ts';
import { mapLimit } from './concurrency.ts';
import type { DatasetImage, DatasetIndex, DatasetSource, SplitName } from './dataset-index.ts';
import { checkSplit, difference, duplicates, formatIds, readIdList, type ExpectedIds } from './id-lists.ts';
import { ImageFileError, readImageSize } from './image-io.ts';
import { AnnotationError, imageLabels, parseAnnotationXml } from './voc-xml.ts';

export interface ReadLayoutOptions {
  source: DatasetSource;
  /** list names under ImageSets/Segmentation (without .txt); train defaults to 'train_aug' for voc */
  lists?: Partial<Record<SplitName, string>>;
  /** counts (or exact id lists) each split must have; real VOC: train 10,582, val 1,449, test 1,456 */
  expectedCounts?: Partial<Record<SplitName, ExpectedIds>>;
  /** 'header' (default) opens every image header (catches missing or non-image files); 'none' trusts the XML size */
  checkImages?: 'header' | 'none';
  /** ground-truth folders in order of preference */
  gtDirs?: string[];
  fgDir?: string;
  /** the class list the annotations' object names are looked up in (default VOC's) */
  classes?: ClassList;
  /** splits whose every image must have ground truth (default: val) */
  requireGt?: SplitName[];
  progress?: ProgressSink;
}

export const VOC_EXPECTED_COUNTS: Record<SplitName, number> = { train: 10582, val: 1449, test: 1456 };

async function listDir(dir: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(dir));
  } catch {
    return new Set();
  }
}

export async function readVocLayout(rootIn: string, opts: ReadLayoutOptions): Promise<DatasetIndex> {
  const root = resolve(rootIn);
  const progress = opts.progress ?? silentProgress;
  const classes = opts.classes ?? vocClassList();
  const lists: Record<SplitName, string> = {
    train: opts.source === 'voc' ? 'train_aug' : 'train',
    val: 'val',
    test: 'test',
    ...opts.lists,
  };
  const gtDirs = opts.gtDirs ?? ['SegmentationClass', 'SegmentationClassAug'];
  const fgDir = opts.fgDir ?? 'ForegroundMasks';
  const requireGt = new Set<SplitName>(opts.requireGt ?? ['val']);
  const listDirPath = join(root, 'ImageSets', 'Segmentation');

  const splits = { train: [], val: [], test: [] } as Record<SplitName, string[]>;
  for (const split of ['train', 'val', 'test'] as const) {
    const file = join(listDirPath, `${lists[split]}.txt`);
    if (split === 'test' && !existsSync(file)) continue; // the test set is optional
    const ids = await readIdList(file);
    const dup = duplicates(ids);
    if (dup.length) throw new Error(`${file}: ${dup.length} duplicated id(s): ${formatIds(dup)}`);
    splits[split] = ids;
  }
  for (const [a, b] of [
    ['train', 'val'],
    ['train', 'test'],
    ['val', 'test'],
  ] as const) {
    const other = new Set(splits[b]);
    const both = splits[a].filter((id) => other.has(id));
    if (both.length) throw new Error(`${root}: ${both.length} id(s) are in both ${a} and ${b}: ${formatIds(both)}`);
  }

  const [jpegs, xmls, fgs, ...gtSets] = await Promise.all([
    listDir(join(root, 'JPEGImages')),
    listDir(join(root, 'Annotations')),
    listDir(join(root, fgDir)),
    ...gtDirs.map((d) => listDir(join(root, d))),
  ]);

  // every listed id needs its JPEG; name the missing ones in one error rather than the first only
  for (const split of ['train', 'val', 'test'] as const) {
    const missing = splits[split].filter((id) => !jpegs.has(`${id}.jpg`));
    if (missing.length) {
      throw new ImageFileError(
        join(root, 'JPEGImages', `${missing[0]}.jpg`),
        `file not found (${split}: ${missing.length} listed id(s) without JPEGImages/<id>.jpg: ${formatIds(missing)})`,
      );
    }
    checkSplit(split, splits[split], opts.expectedCounts?.[split]);
  }

  const all: [SplitName, string][] = (['train', 'val', 'test'] as const).flatMap((s) => splits[s].map((id) => [s, id] as [SplitName, string]));
  progress.start(all.length, 'index images');
  const entries = await mapLimit(all, 16, async ([split, id]): Promise<DatasetImage> => {
    const xmlName = `${id}.xml`;
    let labels: number[] = [];
    let objects = 0;
    let width: number | null = null;
    let height: number | null = null;
    if (xmls.has(xmlName)) {
      const file = join(root, 'Annotations', xmlName);
      const ann = parseAnnotationXml(await readFile(file, 'utf8'), file);
      labels = imageLabels(ann, file, classes.names);
      objects = ann.objects.length;
      width = ann.width;
      height = ann.height;
    } else if (split !== 'test') {
      // image-level labels are the whole supervision signal for train; val needs them for reports
      throw new AnnotationError(join(root, 'Annotations', xmlName), 'file not found (image-level labels come from it)');
    }
    const image = `JPEGImages/${id}.jpg`;
    if (opts.checkImages !== 'none' || width === null || height === null) {
      const size = await readImageSize(join(root, image));
      if (width !== null && height !== null && (size.width !== width || size.height !== height)) {
        throw new ImageFileError(join(root, image), `image is ${size.width}x${size.height} but its annotation says ${width}x${height}`);
      }
      width = size.width;
      height = size.height;
    }
    let gt: string | null = null;
    for (let k = 0; k < gtDirs.length && !gt; k++) if (gtSets[k].has(`${id}.png`)) gt = `${gtDirs[k]}/${id}.png`;
    const fg = fgs.has(`${id}.png`) ? `${fgDir}/${id}.png` : null;
    progress.tick(1);
    return { id, image, gt, fg, width, height, labels, objects };
  });
  progress.done();

  for (const split of requireGt) {
    const noGt = difference(
      splits[split],
      entries.filter((e) => e.gt).map((e) => e.id),
    );
    if (noGt.length) {
      throw new Error(`${root}: ${split} needs ground truth but ${noGt.length} id(s) have no ${gtDirs.join(' or ')}/<id>.png: ${formatIds(noGt)}`);
    }
  }

  const images: Record<string, DatasetImage> = {};
  for (const e of entries) images[e.id] = e;
  return {
    source: opts.source,
    root,
    splits,
    images,
    classNames: [...classes.names],
    palette: classes.palette,
  };
}
