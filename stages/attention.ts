import { z } from 'zod';
import { Dataset } from '../lib/layouts/dataset.ts';
import { defineStage } from '../lib/stage/stage.ts';
import { Scales } from './params.ts';

const maps = () => import('../lib/steps/attention.ts');

export default defineStage({
  name: 'attention',
  version: 1,
  description: '3-scale max-fused attention, per-class min-max normalised, present classes only',
  params: z.strictObject({ scales: Scales }),
  inputs: ['dataset', 'model'],
  perItem: {
    ids: async (ctx) => (await Dataset.open(ctx.inputs.dataset)).ids('train'),
    setup: async (env) => (await maps()).attentionSetup(env),
    compute: async (id, env) => (await maps()).attentionCompute(id, env),
    summarize: async (_ctx, metrics) => (await maps()).attentionSummary(metrics),
  },
  // after the per-image maps: the classifier's mAP on val
  async run(ctx) {
    return (await maps()).classifierMap(ctx);
  },
});
