import { z } from 'zod';
import { builtInSourceParts, checkSourceOptions, isBuiltInSource, sourceCode, sourceName, sourceState } from '../lib/data/sources/registry.ts';
import { defineStage } from '../lib/contract/stage.ts';

const Split = z.enum(['train', 'val', 'test']);

export const params = z
  .strictObject({
    /** a source of lib/data/sources/registry.ts (pipeline --help lists them) */
    source: sourceName.default('toy'),
    /** each built-in source's options under its name: toy (lib/data/sources/toy.ts), voc (voc.ts), folder (folder.ts), coco (coco.ts) */
    ...builtInSourceParts(),
    /** a plugin's source: its options */
    options: z.record(z.string(), z.unknown()).optional(),
    /** images sampled for the mean colour (the erase fill) */
    meanSample: z.number().int().min(1).default(1000),
    /** splits listed in the summary */
    splits: z.array(Split).default(['train', 'val', 'test']),
    /** set by the parse, not by hand: the code identity of a plugin's source (as saliency-s1's detectorCode) */
    sourceCode: z.string().optional(),
    /** set by the parse, not by hand: the source's digest of the files it reads outside the cache (a folder source's) */
    sourceState: z.string().optional(),
  })
  .superRefine(checkSourceOptions)
  .transform(({ sourceCode: _code, sourceState: _state, ...p }): typeof p & { sourceCode?: string; sourceState?: string } => {
    const code = sourceCode(p.source);
    const parts: Record<string, unknown> = p;
    const state = sourceState(p.source, isBuiltInSource(p.source) ? parts[p.source] : (p.options ?? {}));
    return { ...p, ...(code === undefined ? {} : { sourceCode: code }), ...(state === undefined ? {} : { sourceState: state }) };
  });
export type DatasetParams = z.output<typeof params>;

export default defineStage({
  name: 'dataset',
  version: 1,
  description: 'toy (generated, VOC layout), voc (VOC2012 + SBD train_aug), coco (COCO 2014) or a folder of tagged images: ids, sizes, labels, classes, paths',
  params,
  inputs: [],
  work: new URL('../lib/work/dataset.ts', import.meta.url),
});
