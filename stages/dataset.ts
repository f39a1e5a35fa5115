import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';

export default defineStage({
  name: 'dataset',
  version: 1,
  description: 'toy (generated, VOC layout) or voc (VOC2012 + SBD train_aug): ids, sizes, labels, paths',
  params: z.strictObject({
    source: z.enum(['toy', 'voc']).default('toy'),
    toy: z.strictObject({}).passthrough().default({}),
    voc: z.strictObject({}).passthrough().default({}),
  }),
  inputs: [],
  implemented: false,
});
