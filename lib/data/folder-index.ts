// Indexes a folder of tagged images (the folder source, ./sources/folder.ts): which images there are
// and in which split, their tags as class ids, and the label PNGs of those that have one. Every
// image is decoded once and every mask read, so bad data stops the dataset stage here with one line
// naming the file (and the tags row), not a later stage with a stack.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { silentProgress, type ProgressSink, VOID_LABEL } from '../types.ts';
import { type ClassList, classListOf } from './class-list.ts';
import { mapLimit } from './concurrency.ts';
import type { DatasetImage, DatasetIndex, SplitName } from './dataset-index.ts';
import { decodeRgb } from './image-io.ts';
import { readLabelPng } from './label-png.ts';
import { hashSeed, Rng } from './prng.ts';
import { parseClassList, parseSplit, parseTags, type TagRow } from './tag-table.ts';

/** a seeded split of the tagged images: these fractions go to val and test, the rest to train */
export interface SeededSplit {
  val: number;
  test: number;
  seed: number;
}

export interface FolderSpec {
  /** the images, <id>.jpg, .jpeg or .png; the other paths are relative to it */
  dir: string;
  tags: string;
  classes?: string;
  masks?: string;
  /** a split CSV, or a seeded split */
  split: string | SeededSplit;
}

export interface FolderIndex extends Pick<DatasetIndex, 'splits' | 'images'> {
  root: string;
  classes: ClassList;
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`${path}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

async function listFiles(dir: string, what: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    throw new InputError(`${dir}: cannot list the ${what} folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** id -> image file name; two images for one id are an error */
async function imageFiles(dir: string): Promise<Map<string, string>> {
  const byId = new Map<string, string>();
  for (const name of (await listFiles(dir, 'images')).sort()) {
    const ext = extname(name);
    if (!IMAGE_EXTENSIONS.has(ext.toLowerCase())) continue;
    const id = name.slice(0, -ext.length);
    const other = byId.get(id);
    if (other) throw new InputError(`${join(dir, name)}: a second image for id '${id}' (${other} is the first)`);
    byId.set(id, name);
  }
  return byId;
}

/** A seeded shuffle of the tagged ids, cut into val, test and train; each split in id order. */
export function seededSplit(ids: readonly string[], s: SeededSplit): Record<SplitName, string[]> {
  if (s.val + s.test >= 1) throw new InputError(`dataset.folder.split: val ${s.val} + test ${s.test} leaves no train images`);
  const order = new Rng(hashSeed(s.seed, 'folder-split')).shuffle([...ids].sort());
  const nVal = Math.round(s.val * order.length);
  const nTest = Math.round(s.test * order.length);
  const sorted = (a: string[]) => a.sort();
  return {
    val: sorted(order.slice(0, nVal)),
    test: sorted(order.slice(nVal, nVal + nTest)),
    train: sorted(order.slice(nVal + nTest)),
  };
}

async function splitsOf(spec: FolderSpec, dir: string, rows: readonly TagRow[], tagsFile: string): Promise<Record<SplitName, string[]>> {
  if (typeof spec.split !== 'string')
    return seededSplit(
      rows.map((r) => r.id),
      spec.split,
    );
  const file = resolve(dir, spec.split);
  const given = parseSplit(await readText(file, 'split'), file);
  const tagged = new Set(rows.map((r) => r.id));
  for (const r of rows) if (!given.has(r.id)) throw new InputError(`${tagsFile}:${r.row}: image '${r.id}' is in no split of ${file}`);
  const out: Record<SplitName, string[]> = { train: [], val: [], test: [] };
  for (const [id, { split, row }] of given) {
    // test images may come without tags (VOC's test set has none); train and val need them
    if (!tagged.has(id) && split !== 'test') throw new InputError(`${file}:${row}: ${split} image '${id}' has no row in ${tagsFile}`);
    out[split].push(id);
  }
  return out;
}

export async function indexFolder(spec: FolderSpec, progress: ProgressSink = silentProgress): Promise<FolderIndex> {
  const dir = resolve(spec.dir);
  const tagsFile = resolve(dir, spec.tags);
  const classesFile = spec.classes === undefined ? undefined : resolve(dir, spec.classes);
  const names = classesFile === undefined ? undefined : parseClassList(await readText(classesFile, 'class list'), classesFile);
  const table = parseTags(await readText(tagsFile, 'tags'), tagsFile, names);
  const classes = classListOf(table.classes);
  const maxClass = table.classes.length;
  const splits = await splitsOf(spec, dir, table.rows, tagsFile);
  const rowOf = new Map(table.rows.map((r) => [r.id, r]));

  const files = await imageFiles(dir);
  const masksDir = spec.masks === undefined ? undefined : resolve(dir, spec.masks);
  const masks = new Set(masksDir === undefined ? [] : await listFiles(masksDir, 'masks'));
  const ids = [...splits.train, ...splits.val, ...splits.test];
  progress.start(ids.length, 'check images');
  const entries = await mapLimit(ids, 8, async (id): Promise<DatasetImage> => {
    const tags = rowOf.get(id);
    const where = tags ? ` (${tagsFile} row ${tags.row})` : '';
    const file = files.get(id);
    if (!file) throw new InputError(`${join(dir, `${id}.jpg`)}: no image for id '${id}' (.jpg, .jpeg or .png)${where}`);
    const img = await decodeRgb(join(dir, file)).catch((err: Error) => {
      throw new InputError(`${err.message}${where}`);
    });
    let gt: string | null = null;
    if (masksDir !== undefined && masks.has(`${id}.png`)) {
      const path = join(masksDir, `${id}.png`);
      const mask = await readLabelPng(path, { maxClass }).catch((err: Error) => {
        throw new InputError(`${err.message} (classes 0..${maxClass}, ${VOID_LABEL} ignore)`);
      });
      if (mask.width !== img.width || mask.height !== img.height)
        throw new InputError(`${path}: mask is ${mask.width}x${mask.height} but its image ${file} is ${img.width}x${img.height}`);
      gt = relative(dir, path);
    }
    progress.tick(1);
    const labels = tags?.labels ?? [];
    return { id, image: file, gt, fg: null, width: img.width, height: img.height, labels, objects: labels.length };
  });
  progress.done();
  const images: Record<string, DatasetImage> = {};
  for (const e of entries) images[e.id] = e;
  return { root: dir, classes, splits, images };
}
