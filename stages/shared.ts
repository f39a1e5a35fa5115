// Stage definitions that differ only by name and a default: the two erase passes, and the two
// segmentation trainings. Each stage file stays the one place its stage is declared.
import { z } from 'zod';
import { SALIENCY } from '../lib/layouts/saliency.ts';
import { defineStage } from '../lib/stage/stage.ts';
import { Compare, Fill, Training } from './params.ts';

const passes = () => import('../lib/steps/saliency-passes.ts');

/** erase-s2 (pass 2, threshold 0.7 on S1) and erase-s3 (pass 3, threshold 0.8 on S2e) */
export function erasePassStage(pass: 2 | 3, threshold: number) {
  const prev = pass === 2 ? 'S1' : 'S2e';
  return defineStage({
    name: `erase-s${pass}`,
    version: 1,
    description: `erase pixels with ${prev} >= ${threshold}, detect again: S${pass} = max(S${pass - 1}, S${pass}e)`,
    params: z.strictObject({ threshold: z.number().min(0).max(1).default(threshold), compare: Compare.default('>='), fill: Fill.default('mean') }),
    inputs: ['dataset', 'previous'],
    perItem: {
      ids: (ctx) => SALIENCY.ids(ctx.inputs.previous),
      shared: async (ctx) => (await passes()).eraseShared(ctx),
      setup: async (env) => (await passes()).passSetup(env),
      compute: async (id, env) => (await passes()).computeErasePass(id, env),
      summarize: async (ctx, _m, ids, read) => (await passes()).passQuality(ctx, ids, read, `S${pass}`),
      chunkSize: 4,
    },
  });
}

/** train (on the Algorithm 1 cues, from fcan-pretrain) and retrain (on the adapted cues, from train) */
export function segTrainingStage(name: 'train' | 'retrain', description: string) {
  return defineStage({
    name,
    version: 1,
    description,
    params: z.strictObject({
      ...Training,
      iterations: Training.iterations.default(10000),
      /** code: l_c reaches only the attention head (docs/method.md D4); paper: summed gradients */
      routing: z.enum(['code', 'paper']).default('code'),
    }),
    inputs: ['dataset', 'cues', 'init'],
    isolate: true,
    async run(ctx) {
      const { runTraining } = await import('../lib/steps/training.ts');
      return runTraining(ctx, 'seg');
    },
  });
}
