import { z } from 'zod';
import { defineStage } from '../lib/exec/stage.ts';
import { Compare, Fill } from './params.ts';

export default defineStage({
  name: 'erase-s3',
  version: 1,
  description: 'also erase pixels with S2e >= 0.8, detect again: S3 = max(S2, S3e)',
  params: z.strictObject({ threshold: z.number().min(0).max(1).default(0.8), compare: Compare.default('>='), fill: Fill.default('mean') }),
  inputs: ['dataset', 'previous'],
  implemented: false,
});
