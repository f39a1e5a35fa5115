import { z } from 'zod';
import { ATTENTION } from '../lib/layouts/attention.ts';
import { defineStage } from '../lib/contract/stage.ts';
import { CueMean, Gamma } from './shared/params.ts';

export const params = z.strictObject({
  saliency: z.enum(['s1', 's2', 's3']).default('s3'),
  gamma: Gamma,
  mean: CueMean,
  /** gt: oracle cues from the ground truth (the fully-supervised upper bound) */
  source: z.enum(['computed', 'gt']).default('computed'),
});
export type CueParams = z.output<typeof params>;

export default defineStage({
  name: 'cues',
  version: 1,
  description: 'Algorithm 1: mean of attention and saliency; background where max < gamma',
  params,
  inputs: ['dataset', 'attention', 's1', 's2', 's3'],
  refuse: (p, upstream) => {
    const data = upstream('dataset');
    const voc = data?.params.voc as { sbdGroundTruth?: boolean } | undefined;
    if (p.source === 'gt' && data?.params.source === 'voc' && voc?.sbdGroundTruth === false) {
      return {
        stage: data.stage,
        key: 'voc.sbdGroundTruth',
        message:
          'is false, so the SBD-only train_aug images have no ground truth, and cues with source: gt (the oracle) would need it for every train image; set it true (the SBD cls/*.mat files are then converted)',
      };
    }
    return null;
  },
  work: new URL('../lib/work/cues.ts', import.meta.url),
  perItem: { ids: (ctx) => ATTENTION.ids(ctx.inputs.attention), chunkSize: 16 },
});
