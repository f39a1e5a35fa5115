import { z } from 'zod';
import { defineStage } from '../lib/stage/stage.ts';

const Split = z.enum(['train', 'val', 'test']);
const Counts = z.strictObject({ train: z.number().int().min(0), val: z.number().int().min(0), test: z.number().int().min(0) }).partial();
const Archives = z.strictObject({ voc: z.string(), sbd: z.string(), test: z.string() }).partial();
const Source = z.strictObject({ url: z.string(), md5: z.string(), filename: z.string() }).partial();

export const params = z.strictObject({
  source: z.enum(['toy', 'voc']).default('toy'),
  /** toy generator options; unset ones take the generator's defaults (lib/data/toy-generate.ts) */
  toy: z
    .strictObject({
      seed: z.number().int(),
      counts: Counts,
      minSize: z.number().int().min(16),
      maxSize: z.number().int().min(16),
      maxObjects: z.number().int().min(1),
      lowContrastRate: z.number().min(0).max(1),
      classHues: z.boolean(),
      distractorWeights: z.array(z.number().min(0)),
      voidWidth: z.number().int().min(0),
      jpegQuality: z.number().int().min(1).max(100),
    })
    .partial()
    .default({}),
  voc: z
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
      sources: z.strictObject({ voc: Source, sbd: Source, test: Source }).partial(),
      /** expected split sizes (default 10,582 / 1,449 / 1,456) */
      expectedCounts: Counts,
    })
    .partial()
    .default({}),
  /** images sampled for the mean colour (the erase fill) */
  meanSample: z.number().int().min(1).default(1000),
  /** splits listed in the summary */
  splits: z.array(Split).default(['train', 'val', 'test']),
});
export type DatasetParams = z.output<typeof params>;

export default defineStage({
  name: 'dataset',
  version: 1,
  description: 'toy (generated, VOC layout) or voc (VOC2012 + SBD train_aug): ids, sizes, labels, paths',
  params,
  inputs: [],
  work: new URL('../lib/work/dataset.ts', import.meta.url),
});
