// `coco`: MS COCO 2014, the second benchmark of weakly-supervised segmentation papers. train2014's
// and val2014's images with at least one instance annotation (the WSSS protocol: 82,081 and
// 40,137) become the pipeline's train and val; label maps and image tags are made from the 2014
// instance annotations (../coco/label-map.ts: coco2voc's overlap rule), one image at a time under
// the store's data folder (../coco/prepare.ts). The class list is the categories' names in id
// order, background first.
import { join } from 'node:path';
import { z } from 'zod';
import { COCO_2014 } from '../coco/archives.ts';
import { defineSource } from './source-plugin.ts';

const kinds = ['annotations', 'train', 'val'] as const;
const perArchive = <T extends z.ZodType>(t: T) => z.strictObject(Object.fromEntries(kinds.map((k) => [k, t])) as Record<(typeof kinds)[number], T>).partial();
const count = z.number().int().min(0);

/**
 * dataset.coco. Optional (no default), so the dataset params of the other sources, and their keys,
 * are what they were before this source existed; unset means every pin as published.
 */
export const cocoOptions = z
  .strictObject({
    /** zips you already have: annotations_trainval2014.zip, train2014.zip, val2014.zip (checked, never deleted) */
    archives: perArchive(z.string().min(1)),
    /** overrides of a pinned download: its URL, exact size in bytes, or an MD5 of your copy */
    sources: perArchive(
      z
        .strictObject({
          url: z.string().min(1),
          bytes: z.number().int().min(1),
          md5: z.string().regex(/^[0-9a-fA-F]{32}$/),
        })
        .partial(),
    ),
    /** the published counts, overridden: JPEGs in a split's zip (= images of its instances file), and those with an annotation */
    expected: z
      .strictObject({
        train: z.strictObject({ images: count, annotated: count }).partial(),
        val: z.strictObject({ images: count, annotated: count }).partial(),
      })
      .partial(),
  })
  .partial()
  .optional();

export const cocoSource = defineSource({
  name: 'coco',
  summary:
    "MS COCO 2014: train2014 -> train, val2014 -> val (annotated images), label maps from the instances; downloaded into the cache's data folder (dataset.coco)",
  options: cocoOptions,
  async build(options, ctx) {
    const { prepareCoco } = await import('../coco/prepare.ts');
    const { root, classes, splits, images } = await prepareCoco({
      ...options,
      dataDir: join(ctx.dataDir, 'coco'),
      progress: ctx.progress,
      log: ctx.log,
      signal: ctx.signal,
    });
    return { root, storedRoot: root, classes, images: { splits, images } };
  },
  // COCO's photos are at most 640 px a side, most of them 640 x 480 or 640 x 427
  shape: (options) => ({
    train: options?.expected?.train?.annotated ?? COCO_2014.train.annotatedCount,
    val: options?.expected?.val?.annotated ?? COCO_2014.val.annotatedCount,
    test: 0,
    width: 640,
    height: 480,
  }),
});
