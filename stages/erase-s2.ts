import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';
import { Compare, Fill } from './params.ts';

const passes = () => import('../lib/saliency/passes.ts');

export default defineStage({
  name: 'erase-s2',
  version: 1,
  description: 'erase pixels with S1 >= 0.7, detect again: S2 = max(S1, S2e)',
  params: z.strictObject({ threshold: z.number().min(0).max(1).default(0.7), compare: Compare.default('>='), fill: Fill.default('mean') }),
  inputs: ['dataset', 'previous'],
  perItem: {
    ids: async (ctx) => (await ctx.inputs.previous.items('s')).ids,
    shared: async (ctx) => (await passes()).eraseShared(ctx),
    setup: async (env) => (await passes()).passSetup(env),
    compute: async (id, env) => (await passes()).computeErasePass(id, env),
    summarize: async (ctx, _m, ids, read) => (await passes()).passQuality(ctx, ids, read, 'S2'),
    chunkSize: 4,
  },
});
