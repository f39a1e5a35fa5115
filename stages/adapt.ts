import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import { imageSizes } from '../lib/layouts/image-sizes.ts';
import { batchedItems } from '../lib/contract/item-batches.ts';
import { defineStage } from '../lib/contract/stage.ts';
import { Scales } from './shared/params.ts';

export const params = z.strictObject({
  scales: Scales,
  /** exclude: absent classes at -inf (the paper); zero: the code's zeroing (docs/method.md D8) */
  masking: z.enum(['exclude', 'zero']).default('exclude'),
});
export type AdaptParams = z.output<typeof params>;

export default defineStage({
  name: 'adapt',
  version: 1,
  description: "new cues from the trained network's logits, restricted to the image's labels + background",
  params,
  inputs: ['dataset', 'model'],
  tensors: true,
  work: new URL('../lib/work/adapt.ts', import.meta.url),
  perItem: batchedItems<AdaptParams>({
    ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids('train'),
    // equal sizes in one forward pass (computeBatch), in batches each item's key names
    sizes: async (ctx, ids) => imageSizes(await Dataset.open(ctx.inputs.dataset), ids),
  }),
});
