import { z } from 'zod';
import { builtInSourceParts, checkSourceOptions, sourceCode, sourceName } from '../lib/data/sources/registry.ts';
import { defineStage } from '../lib/contract/stage.ts';

const Split = z.enum(['train', 'val', 'test']);

export const params = z
  .strictObject({
    /** a source of lib/data/sources/registry.ts (pipeline --help lists them) */
    source: sourceName.default('toy'),
    /** each built-in source's options under its name: toy (lib/data/sources/toy.ts), voc (voc.ts), folder (folder.ts) */
    ...builtInSourceParts(),
    /** a plugin's source: its options */
    options: z.record(z.string(), z.unknown()).optional(),
    /** images sampled for the mean colour (the erase fill) */
    meanSample: z.number().int().min(1).default(1000),
    /** splits listed in the summary */
    splits: z.array(Split).default(['train', 'val', 'test']),
    /** set by the parse, not by hand: the code identity of a plugin's source (as saliency-s1's detectorCode) */
    sourceCode: z.string().optional(),
  })
  .superRefine(checkSourceOptions)
  .transform(({ sourceCode: _given, ...p }): typeof p & { sourceCode?: string } => {
    const code = sourceCode(p.source);
    return code === undefined ? p : { ...p, sourceCode: code };
  });
export type DatasetParams = z.output<typeof params>;

export default defineStage({
  name: 'dataset',
  version: 1,
  description: 'toy (generated, VOC layout), voc (VOC2012 + SBD train_aug) or a folder of tagged images: ids, sizes, labels, classes, paths',
  params,
  inputs: [],
  work: new URL('../lib/work/dataset.ts', import.meta.url),
});
