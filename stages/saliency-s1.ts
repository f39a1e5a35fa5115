import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';

export default defineStage({
  name: 'saliency-s1',
  version: 1,
  description: 'off-the-shelf salient-object detector on every train image -> S1',
  params: z.strictObject({
    detector: z.enum(['boundary', 'onnx', 'tfjs', 'dhsnet']).default('boundary'),
    /** onnx: a file or a named model (u2netp, u2net); tfjs: a model folder */
    model: z.string().optional(),
    split: z.enum(['train', 'val', 'all']).default('train'),
  }),
  inputs: ['dataset'],
  implemented: false,
});
