import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import { idsBySize } from '../lib/layouts/size-order.ts';
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
  perItem: {
    ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids('train'),
    // equal sizes in one chunk: the work batches them through the network (computeBatch)
    order: async (ctx, ids) => idsBySize(await Dataset.open(ctx.inputs.dataset), ids),
  },
});
