import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import { imageSizes } from '../lib/layouts/image-sizes.ts';
import { batchedItems } from '../lib/contract/item-batches.ts';
import { defineStage } from '../lib/contract/stage.ts';
import { Scales } from './shared/params.ts';

export const params = z.strictObject({ scales: Scales });
export type AttentionParams = z.output<typeof params>;

export default defineStage({
  name: 'attention',
  version: 1,
  description: '3-scale max-fused attention, per-class min-max normalised, present classes only',
  params,
  inputs: ['dataset', 'model'],
  tensors: true,
  // per train image, then the classifier's mAP on val
  work: new URL('../lib/work/attention.ts', import.meta.url),
  perItem: batchedItems<AttentionParams>({
    ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids('train'),
    // equal sizes in one forward pass (computeBatch), in batches each item's key names
    sizes: async (ctx, ids) => imageSizes(await Dataset.open(ctx.inputs.dataset), ids),
  }),
});
