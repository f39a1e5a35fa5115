// COCO 2014 as a dataset of the pipeline: the pinned zips fetched (or taken from where you have
// them) and checked by size and content (archives.ts), the two instances files and the split
// folders extracted, and one label map per image made from its instances (label-map.ts) under the
// store's data folder:
//   <dataDir>/2014/annotations/instances_{train,val}2014.json
//   <dataDir>/2014/{train2014,val2014}/*.jpg
//   <dataDir>/2014/labels-<digest>/{train2014,val2014}/<id>.png   (palette PNGs, class ids 0..N)
// Splits: train2014's annotated images are the pipeline's train, val2014's its val (the WSSS
// papers' protocol); there is no test split. Every step resumes: a download continues its .part,
// an extraction skips the files already out, and the label maps are made one image at a time,
// each written whole (a temporary name renamed), so a run stopped at image 40,000 starts at
// 40,001 and a second dataset (another meanSample, say) reuses every map. The maps' folder is
// named by the instances file's content and COCO_LABEL_RULE, so new annotations or a new rule
// never reuse old maps.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, posix } from 'node:path';
import { InputError } from '../../errors.ts';
import { sha256, sha256File } from '../../store/hash.ts';
import type { ProgressSink } from '../../types.ts';
import { type ClassList, classListOf } from '../class-list.ts';
import { mapLimit } from '../concurrency.ts';
import type { DatasetImage, SplitName } from '../dataset-index.ts';
import { ChecksumError, downloadFile } from '../download.ts';
import { readImageSize } from '../image-io.ts';
import { encodePalettePng } from '../label-png.ts';
import { withMirror } from '../mirrors.ts';
import {
  COCO_2014,
  COCO_2014_ANNOTATIONS,
  type CocoArchive,
  type CocoSplit,
  type CocoSplitSource,
  checkArchiveSize,
  checkImageEntries,
  checkInstanceCounts,
} from './archives.ts';
import { annotatedImages, annotationsByImage, type CocoInstances, readCocoInstances } from './instances.ts';
import { type CocoClasses, cocoClasses, cocoImageLabels } from './label-map.ts';
import { listZip, type ZipEntry, ZipReader } from './zip.ts';

/** Bump when the label maps' bytes change for the same instances file (the overlap rule, the PNG form). */
export const COCO_LABEL_RULE = 'coco2voc-area-order/1';

export type CocoArchiveKind = 'annotations' | CocoSplit;

export interface PrepareCocoOptions {
  /** <cache>/data/coco */
  dataDir: string;
  /** zips you already have (checked the same way, never deleted) */
  archives?: Partial<Record<CocoArchiveKind, string>>;
  /** URL, size or MD5 overrides of the pinned downloads (a mirror of your own; tests) */
  sources?: Partial<Record<CocoArchiveKind, { url?: string; bytes?: number; md5?: string }>>;
  /** the published counts, overridden (tests): images in the split's zip and instances file, and those the WSSS filter keeps */
  expected?: Partial<Record<CocoSplit, { images?: number; annotated?: number }>>;
  progress: ProgressSink;
  log(line: string): void;
  signal?: AbortSignal;
}

export interface PreparedCoco {
  root: string;
  classes: ClassList;
  splits: Record<SplitName, string[]>;
  images: Record<string, DatasetImage>;
}

const SPLITS: readonly CocoSplit[] = ['train', 'val'];

/** The pinned archive with the options' overrides; a mirror in $DCSP_MIRRORS replaces URL and MD5. */
function archiveOf(kind: CocoArchiveKind, opts: PrepareCocoOptions): CocoArchive {
  const pinned = kind === 'annotations' ? COCO_2014_ANNOTATIONS : COCO_2014[kind].images;
  const o = opts.sources?.[kind] ?? {};
  return withMirror({ ...pinned, ...(o.url ? { url: o.url } : {}), ...(o.bytes ? { bytes: o.bytes } : {}), ...(o.md5 ? { md5: o.md5 } : {}) });
}

function splitSource(split: CocoSplit, opts: PrepareCocoOptions): CocoSplitSource {
  const e = opts.expected?.[split] ?? {};
  return { ...COCO_2014[split], imageCount: e.images ?? COCO_2014[split].imageCount, annotatedCount: e.annotated ?? COCO_2014[split].annotatedCount };
}

/** The archive on disk, downloaded if need be, of its pinned size (a bad download is deleted, a file of yours never is). */
async function obtain(kind: CocoArchiveKind, opts: PrepareCocoOptions): Promise<string> {
  const archive = archiveOf(kind, opts);
  const local = opts.archives?.[kind];
  if (local) {
    if (!existsSync(local)) throw new InputError(`dataset.coco.archives.${kind}: ${local} does not exist`);
    await checkArchiveSize(local, archive);
    return local;
  }
  const dest = join(opts.dataDir, 'downloads', archive.filename);
  try {
    await downloadFile({ url: archive.url, md5: archive.md5, dest, progress: opts.progress, label: archive.filename, log: opts.log, signal: opts.signal });
  } catch (err) {
    if (err instanceof ChecksumError) throw new InputError(err.message);
    throw err;
  }
  try {
    await checkArchiveSize(dest, archive);
  } catch (err) {
    await rm(dest, { force: true });
    throw new InputError(`${(err as Error).message}; deleted it, so the next run downloads it again`);
  }
  return dest;
}

/**
 * What a marker records of the archive a folder came from: its pin (size, MD5) and, for a zip of
 * yours, its path. A folder marked with the same stamp is not extracted again, and its zip is not
 * even looked for: the 20 GB of zips may be deleted once they are out.
 */
function stampOf(kind: CocoArchiveKind, opts: PrepareCocoOptions): string {
  const a = archiveOf(kind, opts);
  return JSON.stringify({ file: opts.archives?.[kind] ?? a.filename, bytes: a.bytes, md5: a.md5 ?? null });
}

async function isMarked(marker: string, stamp: string): Promise<boolean> {
  return existsSync(marker) && (await readFile(marker, 'utf8')) === stamp;
}

/** Write `data` under `path` whole: a stopped run leaves a temporary file, never a short one under the real name. */
async function writeWhole(path: string, data: Uint8Array): Promise<void> {
  // unique per write: two dataset stages of one process may make the same map at once
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** The two instances files out of the annotations zip (into <root>/annotations). */
async function extractInstances(root: string, opts: PrepareCocoOptions): Promise<void> {
  const marker = join(root, 'annotations', '.complete');
  const stamp = stampOf('annotations', opts);
  if (await isMarked(marker, stamp)) return;
  const zip = await obtain('annotations', opts);
  const entries = await listZip(zip);
  await mkdir(join(root, 'annotations'), { recursive: true });
  const reader = await ZipReader.open(zip);
  try {
    for (const split of SPLITS) {
      const name = COCO_2014[split].instances;
      const entry = entries.find((e) => posix.normalize(e.name) === name);
      if (!entry) throw new InputError(`${zip}: no ${name} in it (not COCO 2014's annotations zip?)`);
      await writeWhole(join(root, name), await reader.read(entry));
    }
  } finally {
    await reader.close();
  }
  await writeFile(marker, stamp);
}

/** The split's images out of its zip, after the zip's entries are checked against the instances file. */
async function extractImages(root: string, split: CocoSplitSource, kind: CocoSplit, inst: CocoInstances, opts: PrepareCocoOptions): Promise<void> {
  const dir = join(root, split.folder);
  const marker = join(root, `.${split.folder}.complete`);
  // checked against these instances: other annotations check the zip again
  const stamp = `${stampOf(kind, opts)}\n${stampOf('annotations', opts)}`;
  if (await isMarked(marker, stamp)) return;
  const zip = await obtain(kind, opts);
  const entries = await listZip(zip);
  checkImageEntries(
    zip,
    entries.map((e) => e.name),
    split,
    inst.images.map((i) => i.fileName),
  );
  const wanted: ZipEntry[] = entries.filter((e) => posix.dirname(posix.normalize(e.name)) === split.folder && /\.jpe?g$/i.test(e.name));
  await mkdir(dir, { recursive: true });
  const reader = await ZipReader.open(zip);
  opts.progress.start(wanted.length, `extract ${split.folder}`);
  try {
    await mapLimit(wanted, 4, async (e) => {
      opts.signal?.throwIfAborted();
      const path = join(dir, posix.basename(e.name));
      // a file already out at its full size is from an earlier, stopped extraction of this zip
      const have = await stat(path).catch(() => null);
      if (have?.size !== e.size) await writeWhole(path, await reader.read(e));
      opts.progress.tick();
    });
  } finally {
    opts.progress.done();
    await reader.close();
  }
  await writeFile(marker, stamp);
}

/** Check that val's categories are train's (the class list is one for both). */
function sameCategories(train: CocoInstances, val: CocoInstances): void {
  const key = (i: CocoInstances) =>
    [...i.categories]
      .sort((a, b) => a.id - b.id)
      .map((c) => `${c.id}:${c.name}`)
      .join(',');
  if (key(train) !== key(val)) throw new InputError(`${val.source}: its categories are not those of ${train.source} (ids and names must match)`);
}

const stem = (fileName: string): string => basename(fileName, extname(fileName));

/** One split's label maps (made where missing) and index entries. */
async function convertSplit(
  root: string,
  labelsDir: string,
  split: CocoSplitSource,
  inst: CocoInstances,
  classes: CocoClasses,
  palette: ClassList['palette'],
  images: Record<string, DatasetImage>,
  opts: PrepareCocoOptions,
): Promise<string[]> {
  const byImage = annotationsByImage(inst);
  const kept = annotatedImages(inst, byImage);
  const outDir = join(root, labelsDir, split.folder);
  await mkdir(outDir, { recursive: true });
  const ids = kept.map((im) => stem(im.fileName));
  const seen = new Map<string, string>();
  kept.forEach((im, i) => {
    const first = seen.get(ids[i]);
    if (first !== undefined) throw new InputError(`${inst.source}: images ${first} and ${im.id} are both named ${ids[i]}`);
    seen.set(ids[i], String(im.id));
  });
  opts.progress.start(kept.length, `labels ${split.folder}`);
  let made = 0;
  try {
    await mapLimit(kept, 4, async (im, i) => {
      opts.signal?.throwIfAborted();
      const anns = byImage.get(im.id) ?? [];
      const gt = join(outDir, `${ids[i]}.png`);
      const image = join(split.folder, im.fileName);
      let tags: number[];
      if (existsSync(gt)) {
        tags = [...new Set(anns.map((a) => classes.classOf.get(a.categoryId) ?? 0))].sort((a, b) => a - b);
      } else {
        const file = join(root, image);
        const size = await readImageSize(file).catch((err: Error) => {
          throw new InputError(`${err.message} (image ${im.id} of ${inst.source})`);
        });
        if (size.width !== im.width || size.height !== im.height)
          throw new InputError(`${file}: ${size.width}x${size.height}, but ${inst.source} gives image ${im.id} as ${im.width}x${im.height}`);
        const out = cocoImageLabels(im, anns, classes, inst.source);
        await writeWhole(gt, encodePalettePng(out.labels, palette));
        tags = out.tags;
        made++;
      }
      images[ids[i]] = {
        id: ids[i],
        image,
        gt: join(labelsDir, split.folder, `${ids[i]}.png`),
        fg: null,
        width: im.width,
        height: im.height,
        labels: tags,
        objects: anns.length,
      };
      opts.progress.tick();
    });
  } finally {
    opts.progress.done();
  }
  opts.log(`coco ${split.folder}: ${kept.length} of ${inst.images.length} images have an annotation; ${made} label maps made, ${kept.length - made} reused`);
  return ids;
}

/** Fetch, check, extract and convert COCO 2014 under `opts.dataDir`; the index of its annotated images. */
export async function prepareCoco(opts: PrepareCocoOptions): Promise<PreparedCoco> {
  const root = join(opts.dataDir, '2014');
  await mkdir(root, { recursive: true });
  await extractInstances(root, opts);
  const inst = {} as Record<CocoSplit, CocoInstances>;
  const sources = {} as Record<CocoSplit, CocoSplitSource>;
  for (const split of SPLITS) {
    sources[split] = splitSource(split, opts);
    const file = join(root, sources[split].instances);
    inst[split] = await readCocoInstances(file);
    checkInstanceCounts(file, sources[split], inst[split].images.length, annotatedImages(inst[split]).length);
  }
  sameCategories(inst.train, inst.val);
  const classes = cocoClasses(inst.train);
  const list = classListOf(classes.names);
  for (const split of SPLITS) await extractImages(root, sources[split], split, inst[split], opts);

  // the maps' folder: the instances files' content and the rule, so nothing stale is ever reused
  const digest = sha256(COCO_LABEL_RULE, ...(await Promise.all(SPLITS.map((s) => sha256File(join(root, sources[s].instances)))))).slice(0, 16);
  const labelsDir = `labels-${digest}`;
  const images: Record<string, DatasetImage> = {};
  const train = await convertSplit(root, labelsDir, sources.train, inst.train, classes, list.palette, images, opts);
  const val = await convertSplit(root, labelsDir, sources.val, inst.val, classes, list.palette, images, opts);
  return { root, classes: list, splits: { train, val, test: [] }, images };
}
