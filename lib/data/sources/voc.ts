// `voc`: PASCAL VOC 2012 + SBD (train_aug), downloaded or taken from folders and archives you have,
// prepared under the store's data folder (../prepare-voc.ts).
import { join } from 'node:path';
import { z } from 'zod';
import { vocClassList } from '../class-list.ts';
import { defineSource } from './source-plugin.ts';
import { splitCounts } from './split-counts.ts';

const Archives = z.strictObject({ voc: z.string(), sbd: z.string(), test: z.string() }).partial();
const Download = z.strictObject({ url: z.string(), md5: z.string(), filename: z.string() }).partial();

export const vocOptions = z
  .strictObject({
    /** an extracted VOC2012 folder you already have (no download) */
    root: z.string(),
    /** an extracted SBD (benchmark_RELEASE) you already have */
    sbdDir: z.string(),
    /** convert SBD's cls/*.mat to SegmentationClassAug PNGs (VOC's own PNGs win), so every
     * train_aug image has ground truth (the oracle needs it); default true */
    sbdGroundTruth: z.boolean(),
    /** archives you already have (no download) */
    archives: Archives,
    includeTest: z.boolean(),
    /** URL / checksum overrides (mirrors; tests) */
    sources: z.strictObject({ voc: Download, sbd: Download, test: Download }).partial(),
    /** expected split sizes (default 10,582 / 1,449 / 1,456) */
    expectedCounts: splitCounts,
  })
  .partial()
  .default({});

export const vocSource = defineSource({
  name: 'voc',
  summary: "PASCAL VOC 2012 + SBD train_aug, downloaded and MD5-checked into the cache's data folder (dataset.voc)",
  options: vocOptions,
  async build(options, ctx) {
    const { prepareVoc } = await import('../prepare-voc.ts');
    const root = await prepareVoc({ ...options, dataDir: join(ctx.dataDir, 'voc'), log: ctx.log, signal: ctx.signal }, ctx.progress);
    return { root, storedRoot: root, classes: vocClassList(), layout: { expectedCounts: options.expectedCounts } };
  },
});
