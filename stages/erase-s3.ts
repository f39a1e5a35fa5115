import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';
import { Compare, Fill } from './params.ts';

const passes = () => import('../lib/saliency/passes.ts');

export default defineStage({
  name: 'erase-s3',
  version: 1,
  description: 'erase pixels with S2e >= 0.8, detect again: S3 = max(S2, S3e)',
  params: z.strictObject({ threshold: z.number().min(0).max(1).default(0.8), compare: Compare.default('>='), fill: Fill.default('mean') }),
  inputs: ['dataset', 'previous'],
  perItem: {
    ids: async (ctx) => (await ctx.inputs.previous.items('s')).ids,
    shared: async (ctx) => (await passes()).eraseShared(ctx),
    setup: async (env) => (await passes()).passSetup(env),
    compute: async (id, env) => (await passes()).computeErasePass(id, env),
    summarize: async (ctx, _m, ids, read) => (await passes()).passQuality(ctx, ids, read, 'S3'),
    chunkSize: 4,
  },
});
