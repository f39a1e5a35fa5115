import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';
import { Training } from './params.ts';

export default defineStage({
  name: 'train',
  version: 1,
  description: 'joint training (l_s + l_c) on the cues, from the FCAN weights',
  params: z.strictObject({
    ...Training,
    iterations: Training.iterations.default(10000),
    /** code: l_c reaches only the attention head (DCSP-SPEC D4); paper: summed gradients */
    routing: z.enum(['code', 'paper']).default('code'),
  }),
  inputs: ['dataset', 'cues', 'init'],
  isolate: true,
  async run(ctx) {
    const { runTraining } = await import('../lib/model/stage-training.ts');
    return runTraining(ctx, 'seg');
  },
});
