// Writes the toy dataset to disk in the VOC layout, so the VOC reader serves both sources:
//   JPEGImages/<id>.jpg, SegmentationClass/<id>.png (palette, 255 void band), Annotations/<id>.xml,
//   ForegroundMasks/<id>.png (1 object, 0 background incl. distractors, 255 void),
//   ImageSets/Segmentation/{train,val,test,trainval}.txt

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgressSink } from '../types.ts';
import { silentProgress } from '../types.ts';
import { encodeJpeg } from './image-io.ts';
import { encodePalettePng } from './label-png.ts';
import { vocPalette } from './palette.ts';
import { hashSeed, Rng } from './prng.ts';
import { TOY_CLASSES } from './toy-classes.ts';
import { renderToyImage, type ToyImage } from './toy-render.ts';
import { formatAnnotationXml } from './voc-xml.ts';

import type { SplitName } from './dataset-index.ts';
export type { SplitName };
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

export interface ToyOptions {
  seed: number;
  counts: Record<SplitName, number>;
  /** each image's width and height are drawn independently from [minSize, maxSize] */
  minSize: number;
  maxSize: number;
  maxObjects: number;
  lowContrastRate: number;
  /** each class drawn in a hue of its own (see ToyRenderOptions) */
  classHues: boolean;
  /** probabilities of 0, 1, 2, ... salient distractors per image */
  distractorWeights: number[];
  voidWidth: number;
  jpegQuality: number;
  /** encode/write tasks in flight */
  concurrency: number;
}

export const DEFAULT_TOY_OPTIONS: ToyOptions = {
  seed: 1,
  counts: { train: 1000, val: 200, test: 50 },
  minSize: 80,
  maxSize: 96,
  maxObjects: 4,
  lowContrastRate: 0.2,
  classHues: true,
  distractorWeights: [0.4, 0.4, 0.2],
  voidWidth: 1,
  jpegQuality: 90,
  concurrency: 8,
};

export type ToyOptionsInput = Partial<Omit<ToyOptions, 'counts'>> & { counts?: Partial<Record<SplitName, number>> };

export function resolveToyOptions(input: ToyOptionsInput = {}): ToyOptions {
  const o: ToyOptions = {
    ...DEFAULT_TOY_OPTIONS,
    ...input,
    counts: { ...DEFAULT_TOY_OPTIONS.counts, ...input.counts },
    distractorWeights: [...(input.distractorWeights ?? DEFAULT_TOY_OPTIONS.distractorWeights)],
  };
  const bad = (msg: string) => {
    throw new Error(`toy options: ${msg}`);
  };
  if (!Number.isInteger(o.seed)) bad(`seed must be an integer, got ${o.seed}`);
  for (const s of SPLITS) if (!Number.isInteger(o.counts[s]) || o.counts[s] < 0) bad(`counts.${s} must be a non-negative integer`);
  if (!(o.minSize >= 32 && o.maxSize >= o.minSize && o.maxSize <= 4096)) bad(`need 32 <= minSize <= maxSize <= 4096, got ${o.minSize}..${o.maxSize}`);
  if (!(Number.isInteger(o.maxObjects) && o.maxObjects >= 1 && o.maxObjects <= 8)) bad('maxObjects must be 1..8');
  if (!(o.lowContrastRate >= 0 && o.lowContrastRate <= 1)) bad('lowContrastRate must be in [0, 1]');
  if (o.distractorWeights.length === 0 || o.distractorWeights.some((w) => !(w >= 0))) bad('distractorWeights must be non-negative');
  if (!(Number.isInteger(o.voidWidth) && o.voidWidth >= 0 && o.voidWidth <= 8)) bad('voidWidth must be 0..8');
  if (!(o.jpegQuality >= 1 && o.jpegQuality <= 100)) bad('jpegQuality must be 1..100');
  if (!(Number.isInteger(o.concurrency) && o.concurrency >= 1)) bad('concurrency must be >= 1');
  return o;
}

export function toyImageId(split: SplitName, index: number): string {
  return `${split}_${String(index + 1).padStart(6, '0')}`;
}

/**
 * The class every image is guaranteed to contain: a seeded permutation of the toy class ids walked
 * cyclically, so any split with at least as many images as classes contains every class.
 */
function primaryClass(seed: number, split: SplitName, index: number): number {
  const n = TOY_CLASSES.length;
  const perm = new Rng(hashSeed(seed, split, 'primary')).shuffle(Array.from({ length: n }, (_, i) => i + 1));
  return perm[index % n];
}

/** Render image `index` of `split`; a pure function of the options, split and index. */
export function renderToySample(opts: ToyOptions, split: SplitName, index: number): ToyImage {
  const rng = new Rng(hashSeed(opts.seed, split, index));
  const width = rng.int(opts.minSize, opts.maxSize);
  const height = rng.int(opts.minSize, opts.maxSize);
  return renderToyImage(rng, primaryClass(opts.seed, split, index), {
    width,
    height,
    maxObjects: opts.maxObjects,
    lowContrastRate: opts.lowContrastRate,
    classHues: opts.classHues,
    distractorWeights: opts.distractorWeights,
    voidWidth: opts.voidWidth,
  });
}

/** Generate the whole toy dataset under outDir (created if needed). Same options, same bytes. */
export async function generateToyDataset(outDir: string, input: ToyOptionsInput = {}, progress: ProgressSink = silentProgress): Promise<void> {
  const opts = resolveToyOptions(input);
  const dirs = ['JPEGImages', 'SegmentationClass', 'ForegroundMasks', 'Annotations', 'ImageSets/Segmentation'];
  for (const d of dirs) await mkdir(join(outDir, d), { recursive: true });
  const palette = vocPalette();
  const total = SPLITS.reduce((n, s) => n + opts.counts[s], 0);
  progress.start(total, 'toy images');

  const pending = new Set<Promise<void>>();
  let failure: unknown = null;
  const writeSample = async (id: string, img: ToyImage) => {
    const jpeg = await encodeJpeg(img.rgb, opts.jpegQuality);
    const xml = formatAnnotationXml({
      filename: `${id}.jpg`,
      width: img.rgb.width,
      height: img.rgb.height,
      segmented: true,
      objects: img.objects,
    });
    await Promise.all([
      writeFile(join(outDir, 'JPEGImages', `${id}.jpg`), jpeg),
      writeFile(join(outDir, 'SegmentationClass', `${id}.png`), encodePalettePng(img.label, palette)),
      writeFile(join(outDir, 'ForegroundMasks', `${id}.png`), encodePalettePng(img.fg, palette)),
      writeFile(join(outDir, 'Annotations', `${id}.xml`), xml),
    ]);
  };

  const lists: Record<SplitName, string[]> = { train: [], val: [], test: [] };
  for (const split of SPLITS) {
    for (let i = 0; i < opts.counts[split]; i++) {
      if (failure) break;
      const id = toyImageId(split, i);
      lists[split].push(id);
      const img = renderToySample(opts, split, i);
      const task = writeSample(id, img).then(
        () => {
          pending.delete(task);
          progress.tick(1);
        },
        (err) => {
          pending.delete(task);
          failure ??= err;
        },
      );
      pending.add(task);
      // rendering is synchronous JS; bounded in-flight writes let sharp encode on its own threads meanwhile
      if (pending.size >= opts.concurrency) await Promise.race(pending);
    }
  }
  await Promise.all(pending);
  if (failure) throw failure;

  const listDir = join(outDir, 'ImageSets', 'Segmentation');
  const text = (ids: string[]) => (ids.length ? `${ids.join('\n')}\n` : '');
  for (const split of SPLITS) await writeFile(join(listDir, `${split}.txt`), text(lists[split]));
  await writeFile(join(listDir, 'trainval.txt'), text([...lists.train, ...lists.val]));
  progress.done();
}
