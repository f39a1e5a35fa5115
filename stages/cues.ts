import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';

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
  implemented: false,
});
