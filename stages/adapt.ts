import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import { defineStage } from '../lib/stage/stage.ts';
import { Scales } from './params.ts';

const maps = () => import('../lib/steps/adapt.ts');
const scores = () => import('../lib/steps/scores.ts');

export default defineStage({
  name: 'adapt',
  version: 1,
  description: "new cues from the trained network's logits, restricted to the image's labels + background",
  params: z.strictObject({
    scales: Scales,
    /** exclude: absent classes at -inf (the paper); zero: the code's zeroing (docs/method.md D8) */
    masking: z.enum(['exclude', 'zero']).default('exclude'),
  }),
  inputs: ['dataset', 'model'],
  perItem: {
    ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids('train'),
    setup: async (env) => (await maps()).adaptSetup(env),
    compute: async (id, env) => (await maps()).adaptCompute(id, env),
    summarize: async (ctx, _m, ids, read) => (await scores()).cueSummary(ctx, ids, read, 'adapted cues'),
  },
});
