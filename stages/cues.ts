import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';

const maps = () => import('../lib/model/stage-cues.ts');

export default defineStage({
  name: 'cues',
  version: 1,
  description: 'Algorithm 1: mean of attention and saliency; background where max < gamma',
  params: z.strictObject({
    saliency: z.enum(['s1', 's2', 's3']).default('s3'),
    gamma: z.number().min(0).max(1).default(0.4),
    mean: z.enum(['harmonic', 'arithmetic', 'geometric']).default('harmonic'),
    /** gt: oracle cues from the ground truth (the fully-supervised upper bound) */
    source: z.enum(['computed', 'gt']).default('computed'),
  }),
  inputs: ['dataset', 'attention', 's1', 's2', 's3'],
  perItem: {
    ids: async (ctx) => (await ctx.inputs.attention.items('attention')).ids,
    setup: async (env) => (await maps()).cueSetup(env),
    compute: async (id, env) => (await maps()).cueCompute(id, env),
    summarize: async (ctx, _m, ids, read) => (await maps()).cueSummary(ctx, ids, read, `cues (${ctx.params.source === 'gt' ? 'ground truth' : ctx.params.saliency})`),
    chunkSize: 16,
  },
});
