import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';
import { Scales } from './params.ts';

export default defineStage({
  name: 'eval',
  version: 1,
  description: 'multi-scale inference, dense CRF, mIoU on val; VOC test-server PNGs',
  params: z.strictObject({
    scales: Scales,
    crf: z.boolean().default(true),
    /** retrain: the adapted model; train: without adapt (the ablation) */
    checkpoint: z.enum(['retrain', 'train']).default('retrain'),
    split: z.enum(['val', 'test']).default('val'),
  }),
  inputs: ['dataset', 'train', 'retrain'],
  implemented: false,
});
