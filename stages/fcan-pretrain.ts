import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';
import { Model, Training } from './params.ts';

export default defineStage({
  name: 'fcan-pretrain',
  version: 1,
  description: 'FCAN classification objective (eq. 1) on image labels',
  params: z.strictObject({
    model: Model.default('deeplab-lite'),
    ...Training,
    iterations: Training.iterations.default(30000),
    /** the code trains only the heads (ASPP + 1x1 attention filters) on an ImageNet backbone;
     * a model without ImageNet weights (deeplab-lite) must train everything: false */
    headsOnly: z.boolean().default(true),
    /** ImageNet weights: a Keras "notop" HDF5 file, or 'download' */
    init: z.string().optional(),
  }),
  inputs: ['dataset'],
  isolate: true,
  async run(ctx) {
    const { runTraining } = await import('../lib/model/stage-training.ts');
    return runTraining(ctx, 'fcan');
  },
});
