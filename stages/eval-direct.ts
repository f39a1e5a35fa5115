import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import { defineStage } from '../lib/stage/stage.ts';
import { CueMean, Gamma, Scales } from './params.ts';

const direct = () => import('../lib/steps/eval-direct.ts');

/** The paper's Table 4 "no joint training" row: Algorithm 1 on val images, no segmentation network. */
export default defineStage({
  name: 'eval-direct',
  version: 1,
  description: 'val segmentation straight from attention x saliency (Algorithm 1 with predicted labels), no training',
  params: z.strictObject({
    scales: Scales,
    gamma: Gamma,
    mean: CueMean,
    /** saliency passes: each erase pass repeats the erase stage's threshold, comparison and fill */
    passes: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(3),
    labels: z.enum(['predicted', 'gt']).default('predicted'),
    split: z.enum(['val', 'test']).default('val'),
  }),
  // saliency: the first pass (its detector, with a dhsnet's weights); s2, s3: the erase settings
  inputs: ['dataset', 'model', 'saliency', 's2', 's3'],
  optionalInputs: ['s2', 's3'],
  inputsUsed: (p) => (['s2', 's3'] as const).slice(0, p.passes - 1),
  perItem: {
    ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids(ctx.params.split),
    shared: async (ctx) => (await direct()).directShared(ctx),
    setup: async (env) => (await direct()).directSetup(env),
    compute: async (id, env) => (await direct()).directCompute(id, env),
    summarize: async (ctx, _m, ids, read) =>
      (await import('../lib/steps/scores.ts')).evalSummary(ctx, ids, read, `Algorithm 1, ${ctx.params.labels} labels, S${ctx.params.passes}`),
    chunkSize: 4,
  },
});
