// The dataset stage's params and entry; the work is in body/dataset.ts (loaded when the stage runs).
// The sources and their options are lib/data/sources' registry.
import { z } from 'zod';
import { builtInSourceParts, checkSourceOptions, sourceCode, sourceName } from '../data/sources/registry.ts';
import type { StageContext } from '../stage/stage.ts';
import type { Json } from '../store/canonical-json.ts';

const Split = z.enum(['train', 'val', 'test']);

export const params = z
  .strictObject({
    /** a source of lib/data/sources/registry.ts (pipeline --help lists them) */
    source: sourceName.default('toy'),
    /** each built-in source's options under its name: toy (lib/data/sources/toy.ts), voc (voc.ts) */
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

export async function run(ctx: StageContext<DatasetParams>): Promise<Record<string, Json>> {
  return (await import('./body/dataset.ts')).buildDataset(ctx);
}
