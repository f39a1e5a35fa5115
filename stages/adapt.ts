import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';
import { Scales } from './params.ts';

export default defineStage({
  name: 'adapt',
  version: 1,
  description: "new cues from the trained network's logits, restricted to the image's labels + background",
  params: z.strictObject({
    scales: Scales,
    /** exclude: absent classes at -inf (the paper); zero: the code's zeroing (DCSP-SPEC D8) */
    masking: z.enum(['exclude', 'zero']).default('exclude'),
  }),
  inputs: ['dataset', 'model'],
  implemented: false,
});
