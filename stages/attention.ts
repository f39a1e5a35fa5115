import { z } from 'zod';
import { Dataset } from '../lib/data/dataset-artifact.ts';
import { defineStage } from '../lib/exec/stage.ts';
import { Scales } from './params.ts';

const maps = () => import('../lib/model/stage-attention.ts');

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
