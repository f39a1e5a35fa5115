// `toy`: the generated shapes set, one shape family per VOC class (../toy-generate.ts), written inside the dataset artifact
// (toy/), so it moves with the artifact when the cache is committed.
import { join } from 'node:path';
import { z } from 'zod';
import { vocClassList } from '../class-list.ts';
import { defineSource } from './source-plugin.ts';
import { splitCounts } from './split-counts.ts';

/** toy generator options; unset ones take the generator's defaults (lib/data/toy-generate.ts) */
export const toyOptions = z
  .strictObject({
    seed: z.number().int(),
    counts: splitCounts,
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
  .default({});

const FOLDER = 'toy';

export const toySource = defineSource({
  name: 'toy',
  summary: 'generated shapes, one family per VOC class, in VOC layout (seeded; dataset.toy: counts, sizes, ...)',
  options: toyOptions,
  async build(options, ctx) {
    const root = join(ctx.outDir, FOLDER);
    // the generator (sharp, the renderer) loads only when a dataset is built, not when params are read
    const { generateToyDataset } = await import('../toy-generate.ts');
    await generateToyDataset(root, options, ctx.progress);
    // the toy images move with the artifact when it is committed: name them by where they will be
    return { root, storedRoot: FOLDER, shownRoot: `${FOLDER}/ inside this artifact`, classes: vocClassList() };
  },
});
