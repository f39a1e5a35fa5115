import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import { imageSizes } from '../lib/layouts/image-sizes.ts';
import { batchedItems } from '../lib/contract/item-batches.ts';
import { defineStage } from '../lib/contract/stage.ts';
import { Scales } from './shared/params.ts';

export const params = z.strictObject({
  scales: Scales,
  crf: z.boolean().default(true),
  /** CRF settings over DCSP's (lib/crf DEFAULT_CRF_PARAMS); kernel widths are in pixels, so small
   * images want them scaled down */
  crfParams: z
    .strictObject({
      iterations: z.number().int().min(1),
      posSxy: z.number().positive(),
      posWeight: z.number().min(0),
      bilSxy: z.number().positive(),
      bilSrgb: z.number().positive(),
      bilWeight: z.number().min(0),
    })
    .partial()
    .default({}),
  /** retrain: the adapted model; train: without adapt (the ablation) */
  checkpoint: z.enum(['retrain', 'train']).default('retrain'),
  split: z.enum(['val', 'test']).default('val'),
});
export type EvalParams = z.output<typeof params>;

export default defineStage({
  name: 'eval',
  version: 1,
  description: 'multi-scale inference, dense CRF, mIoU on val; VOC test-server PNGs',
  params,
  inputs: ['dataset', 'train', 'retrain'],
  tensors: true,
  work: new URL('../lib/work/eval.ts', import.meta.url),
  perItem: batchedItems<EvalParams>({
    ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids(ctx.params.split),
    chunkSize: 4,
    // equal sizes in one forward pass (computeBatch), in batches each item's key names
    sizes: async (ctx, ids) => imageSizes(await Dataset.open(ctx.inputs.dataset), ids),
  }),
});
