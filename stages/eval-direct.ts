import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import { imageSizes } from '../lib/layouts/image-sizes.ts';
import { batchedItems } from '../lib/contract/item-batches.ts';
import { defineStage } from '../lib/contract/stage.ts';
import { CueMean, Gamma, Scales } from './shared/params.ts';

export const params = z.strictObject({
  scales: Scales,
  gamma: Gamma,
  mean: CueMean,
  /** saliency passes: each erase pass repeats the erase stage's threshold, comparison and fill */
  passes: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(3),
  /** predicted: classes with sigmoid(score) > 0.5 (at least the top one); gt: the image's true tags */
  labels: z.enum(['predicted', 'gt']).default('predicted'),
  split: z.enum(['val', 'test']).default('val'),
});
export type DirectParams = z.output<typeof params>;

/** The paper's Table 4 "no joint training" row: Algorithm 1 on val images, no segmentation network. */
export default defineStage({
  name: 'eval-direct',
  version: 1,
  description: 'val segmentation straight from attention x saliency (Algorithm 1 with predicted labels), no training',
  params,
  inputs: ['dataset', 'model', 'saliency', 's2', 's3'],
  optionalInputs: ['s2', 's3'],
  inputsUsed: (p) => (['s2', 's3'] as const).slice(0, p.passes - 1),
  tensors: true,
  work: new URL('../lib/work/eval-direct.ts', import.meta.url),
  perItem: batchedItems<DirectParams>({
    ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids(ctx.params.split),
    chunkSize: 4,
    // equal sizes in one forward pass (computeBatch), in batches each item's key names
    sizes: async (ctx, ids) => imageSizes(await Dataset.open(ctx.inputs.dataset), ids),
  }),
});
